"""The Lambda package for a stage: Chalice's package, precompiled and re-zipped reproducibly.

``build(stage)`` leaves ``deployment.zip`` and ``sam.json`` in ``build/<stage>/`` (or ``out_dir``):

1. Chalice packages a clean copy of the project (``app.py``, ``chalicelib/`` without bytecode,
   ``requirements.txt``, ``.chalice/config.json``) in a child interpreter with only
   ``JFW_STAGE=<stage>`` among the JFW settings: app.py reads the settings at import, so the queue
   names Chalice bakes into sam.json are the stage's, and nothing of this process (settings
   already loaded, another module called ``app`` on sys.path) leaks into the template. Chalice
   downloads the Linux wheels of requirements.txt from PyPI (pip's cache makes repeats cheap);
   its zip of them is kept in ``build/.chalice-deployments/`` for the next stage's build.
2. Every ``.py`` is compiled with ``compileall --invalidation-mode unchecked-hash`` by this
   interpreter, which must be the runtime's minor (Python 3.11): Lambda then never compiles at
   cold start, and never checks source mtimes (which a zip doesn't keep anyway). Paths in the
   bytecode are ``/var/task/...``, where Lambda unpacks the code, so tracebacks read right.
3. The tree is zipped again with sorted entries, fixed timestamps and modes: an unchanged source
   gives a byte-identical zip, so the CDK asset hash (and the deployment) doesn't change.

A stamp next to the output holds a hash of everything the package is made from; a matching
stamp skips the whole build (``make infra-check`` on the second run). The zip is the same bytes
for every stage, so a stage built beside another from the same code (build/prod beside
build/dev) links that zip and runs only step 1, for its own sam.json.

CLI: ``python -m infra.package --stage dev [--no-compile] [--out DIR] [--force]``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from chalicelib import settings

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PYTHON = (3, 11)  # the Lambda runtime (python3.11): bytecode is only valid for one minor
LAMBDA_TASK_ROOT = "/var/task"
ZIP_NAME = "deployment.zip"
TEMPLATE_NAME = "sam.json"
STAMP_NAME = ".package-stamp"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can store
SOURCES = ("app.py", "requirements.txt", ".chalice/config.json")
SOURCE_DIRS = ("chalicelib",)
SKIP_DIRS = {"__pycache__"}
BUILD_ONLY = {"chalice"}  # requirements the Lambda doesn't import (see runtime_requirements)
SKIP_SUFFIXES = (".pyc", ".pyo")

# What the dependencies ship but no handler loads (``prune_unused``; tests/unit/test_package.py
# imports every module of chalicelib from the pruned package and runs the libraries' paths we
# use, so a needed file pruned here fails it).
UNUSED_DIRS = (
    "jinja2",  # swagger-ui-bundle's dependency, for a page of its own; we serve two files
    "pycparser", "cffi",  # cffi at build time; the compiled bindings load only _cffi_backend
    # fontTools subpackages fpdf2 never imports (it uses ttLib, subset, pens, varLib, ...)
    "fontTools/cu2qu", "fontTools/qu2cu", "fontTools/ufoLib", "fontTools/voltLib",
    "fontTools/mtiLib", "fontTools/merge", "fontTools/diff",
)
# Pillow's (fpdf2's) optional plugins whose module loads a library of its own: AVIF (8 MB of
# libavif; Pillow reports the format unsupported without it) and Tk (no display on Lambda).
UNUSED_FILES = ("PIL/_avif.*.so", "pillow.libs/libavif-*", "PIL/_imagingtk.*.so")
# C and Cython sources, headers and type stubs: Python never reads them (fontTools ships 5 MB).
UNUSED_SUFFIXES = (".c", ".pyx", ".pxd", ".h", ".pyi")
# babel comes with python-liquid, for its optional i18n filters, which notify/templates.py's
# environment doesn't register: no locale is ever loaded (32 MB of CLDR data). These few stay
# for anything that asks babel for the default locale.
BABEL_LOCALES = {"root", "en", "en_US"}
# botocore's models of services the code never creates a client for (17 MB of 18). Kept: every
# ``aws.client("<service>")`` in chalicelib (store/aws.py), DynamoDB (PynamoDB's client) and
# STS (the credential chain's assume-role provider).
BOTOCORE_SERVICES = {"dynamodb", "sts"}
_CLIENT_CALL = re.compile(r"""\bclient\(\s*["']([a-z0-9-]+)["']\s*\)""")

# Run in the child: JFW_STAGE is in its environment; cwd is the staged project.
_PACKAGE_CODE = """
import sys
from chalice.api import package_app
package_app(sys.argv[1], sys.argv[2], sys.argv[3])
"""


class PackageError(Exception):
    """The package can't be built (wrong interpreter, Chalice or compileall failed)."""


def default_out_dir(stage: str) -> Path:
    return ROOT / "build" / stage


def check_stage(stage: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,20}", stage or ""):
        raise PackageError(f"Stage {stage!r}: use lower-case letters, digits and '-' (dev, prod); "
                           "it becomes part of every resource name.")
    if stage in settings.LOCAL_STAGES:
        raise PackageError(f"Stage {stage!r} is the local stack's: it runs with development "
                           "secrets and is never deployed. Package dev, prod or another stage.")


def check_interpreter() -> None:
    if sys.version_info[:2] != RUNTIME_PYTHON:
        want = ".".join(map(str, RUNTIME_PYTHON))
        have = ".".join(map(str, sys.version_info[:3]))
        raise PackageError(
            f"The Lambda runtime is Python {want}, this interpreter is {have} ({sys.executable}): "
            f"bytecode and native wheels are only valid for one minor. Run with python{want}, "
            f"e.g. `make package` (the project's .venv).")


def _source_files() -> Iterator[tuple[Path, str]]:
    """(absolute path, path in the package) of every project file the package is made from."""
    for name in SOURCES:
        yield ROOT / name, name
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(ROOT / top):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for filename in sorted(filenames):
                if filename.endswith(SKIP_SUFFIXES):
                    continue
                path = Path(dirpath) / filename
                yield path, path.relative_to(ROOT).as_posix()


def code_hash(compile: bool) -> str:
    """What the zip is made from: sources, requirements, Chalice config, the compile step, the
    interpreter minor and this recipe itself. Not the stage: every stage's zip is the same
    bytes (only sam.json names the stage's queues)."""
    h = hashlib.sha256()
    recipe = {"compile": compile, "python": list(sys.version_info[:2]), "region": _region()}
    h.update(json.dumps(recipe, sort_keys=True).encode())
    for path, name in [*_source_files(), (Path(__file__), "infra/package.py")]:
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def source_hash(stage: str, compile: bool) -> str:
    """What the whole output (zip and sam.json) is made from: the code and the stage."""
    return hashlib.sha256(f"{stage}\0{code_hash(compile)}".encode()).hexdigest()


def _requirement_name(line: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def runtime_requirements(text: str) -> str:
    """requirements.txt without Chalice: its packager ships ``chalice/app.py`` (all a Lambda
    imports) by itself and drops the ``chalice`` package, but would still ship what the CLI
    needs (pip, setuptools, wheel, click, inquirer, pyyaml, ...: about 28 MB unzipped)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if _requirement_name(line) not in BUILD_ONLY)


def _stage_project(dest: Path) -> None:
    for path, name in _source_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == "requirements.txt":
            target.write_text(runtime_requirements(path.read_text()))
        else:
            shutil.copyfile(path, target)


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _child_env(stage: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JFW_", "PYTHON"))}
    env["JFW_STAGE"] = stage
    # Chalice derives the service principals' partition from a region; no AWS call is made.
    env["AWS_DEFAULT_REGION"] = _region()
    env["PYTHONHASHSEED"] = "0"  # set iteration order is part of marshalled frozensets
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise PackageError(f"{what} failed (exit {proc.returncode}):\n{output[-4000:]}")


def chalice_cache() -> Path:
    """Where Chalice keeps its zip of the dependencies and the app (its costly part, the pip
    install), named by a hash of requirements.txt and the app's files, not the stage: in a
    project's ``.chalice/deployments``. Each build stages a new copy of the project, so the
    copies share this folder, and a second stage (``make infra-check`` builds dev and prod)
    reuses the first one's zip instead of installing every wheel again."""
    return ROOT / "build" / ".chalice-deployments"


def _keep_only(cache: Path, used: Path) -> None:
    """Drop the cache's older zips: only the one this build used (a copy of ``used``) stays."""
    size, sha = used.stat().st_size, None
    for old in cache.glob("*.zip"):
        if old.stat().st_size == size:
            sha = sha or hashlib.sha256(used.read_bytes()).hexdigest()
            if hashlib.sha256(old.read_bytes()).hexdigest() == sha:
                continue
        old.unlink()


def chalice_package(stage: str, project: Path, out: Path) -> None:
    """Chalice's own ``package`` of ``project`` into ``out`` (deployment.zip + sam.json)."""
    _run([sys.executable, "-c", _PACKAGE_CODE, str(project), str(out), stage],
         cwd=project, env=_child_env(stage), what=f"chalice package (stage {stage})")


def compile_tree(tree: Path) -> None:
    _run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
          "-s", str(tree), "-p", LAMBDA_TASK_ROOT, str(tree)],
         cwd=tree, env=_child_env("build"), what="compileall")


def strip_bytecode(tree: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(tree):
        for d in [d for d in dirnames if d in SKIP_DIRS]:
            shutil.rmtree(Path(dirpath) / d)
            dirnames.remove(d)
        for filename in filenames:
            if filename.endswith(SKIP_SUFFIXES):
                os.remove(Path(dirpath) / filename)


def prune_unserved_assets(tree: Path) -> int:
    """Delete what swagger-ui-bundle ships but the docs page never serves (8.6 MB of bundles
    and source maps: the page serves two files, chalicelib/apidocs.py ``ASSETS``); returns the
    bytes removed."""
    from chalicelib.apidocs import ASSETS

    served = {name for name, (where, _) in ASSETS.items() if where == "package"}
    removed = 0
    for vendor in tree.glob("swagger_ui_bundle/vendor/*"):
        for f in [f for f in vendor.rglob("*") if f.is_file() and f.name not in served]:
            removed += f.stat().st_size
            f.unlink()
    return removed


def used_services(source: Path) -> set[str]:
    """The AWS services whose botocore models the package needs: every ``client("<name>")`` in
    the app's sources under ``source``, and BOTOCORE_SERVICES."""
    found = set(BOTOCORE_SERVICES)
    for path in [source / "app.py", *sorted((source / "chalicelib").rglob("*.py"))]:
        if path.is_file():
            found.update(_CLIENT_CALL.findall(path.read_text(encoding="utf-8")))
    return found


def _remove(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        shutil.rmtree(path)
        return size
    size = path.stat().st_size
    path.unlink()
    return size


def prune_unused(tree: Path) -> int:
    """Delete what the dependencies ship but no handler loads (UNUSED_DIRS, UNUSED_FILES,
    UNUSED_SUFFIXES, babel's locales but BABEL_LOCALES, botocore's models but
    ``used_services``, tests, wheels' ``.data`` folders); returns the bytes removed."""
    removed = 0
    for name in UNUSED_DIRS:
        if (tree / name).exists():
            removed += _remove(tree / name)
    for f in [f for pattern in UNUSED_FILES for f in tree.glob(pattern)]:
        removed += _remove(f)
    for top in [d for d in tree.iterdir() if d.is_dir() and d.name != "chalicelib"]:
        if top.name.endswith(".data"):  # a wheel's scripts and man pages, never importable
            removed += _remove(top)
        elif (top / "tests").is_dir():
            removed += _remove(top / "tests")
    for f in [f for f in tree.rglob("*") if f.is_file() and f.suffix in UNUSED_SUFFIXES]:
        removed += _remove(f)
    for f in [f for f in tree.glob("babel/locale-data/*.dat") if f.stem not in BABEL_LOCALES]:
        removed += _remove(f)
    data = tree / "botocore" / "data"
    if data.is_dir():
        keep = used_services(tree)
        for service in [d for d in data.iterdir() if d.is_dir() and d.name not in keep]:
            removed += _remove(service)
    return removed


def deterministic_zip(tree: Path, dest: Path) -> None:
    """``tree`` zipped with sorted names, one timestamp and two modes (0644, 0755)."""
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for name in files:
            path = tree / name
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3  # unix, so the modes above are read
            z.writestr(info, path.read_bytes(), compresslevel=6)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """One build per output directory at a time (parallel test workers may ask together)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".package.lock", "w") as lock:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, builds are still atomic per file
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def link_or_copy(src: Path, dest: Path) -> None:
    dest.unlink(missing_ok=True)
    try:
        os.link(src, dest)
    except OSError:  # another file system (a missing ``src`` raises here too)
        shutil.copy2(src, dest)


def _stamped(out_dir: Path) -> list[str]:
    """A build's stamp: its source_hash, then its code_hash."""
    try:
        return (out_dir / STAMP_NAME).read_text().split()
    except OSError:  # none, or a folder beside ours we may not read (--out /tmp/x)
        return []


def is_current(out_dir: Path, digest: str) -> bool:
    return (_stamped(out_dir)[:1] == [digest]
            and (out_dir / ZIP_NAME).is_file() and (out_dir / TEMPLATE_NAME).is_file())


def _reuse_zip(out_dir: Path, code: str, dest: Path) -> bool:
    """Link (or copy) into ``dest`` the zip of another stage's build beside ``out_dir`` made
    from the same code (build/dev for build/prod): the second stage then skips extracting,
    compiling and zipping again. A sibling rebuilt meanwhile from the same code wrote the same
    bytes (the zip is deterministic), so its stamp is checked again after the link."""
    for other in sorted(d for d in out_dir.parent.iterdir() if d.is_dir() and d != out_dir):
        if _stamped(other)[1:2] != [code]:
            continue
        try:
            link_or_copy(other / ZIP_NAME, dest)
        except FileNotFoundError:
            continue
        if _stamped(other)[1:2] == [code]:
            return True
        dest.unlink()
    return False


def build(stage: str, out_dir: Path | None = None, compile: bool = True,
          force: bool = False) -> Path:
    """The directory holding ``deployment.zip`` and ``sam.json`` for ``stage``, built only when
    what it is made from changed (or ``force``)."""
    check_stage(stage)
    check_interpreter()
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(stage)
    out_dir = out_dir.resolve()
    code = code_hash(compile)
    digest = source_hash(stage, compile)
    with _locked(out_dir):
        if not force and is_current(out_dir, digest):
            return out_dir
        with tempfile.TemporaryDirectory(prefix=".package-", dir=out_dir) as tmp:
            work = Path(tmp)
            project, chalice_out, tree = work / "project", work / "chalice", work / "tree"
            _stage_project(project)
            with _locked(chalice_cache()):
                (project / ".chalice" / "deployments").symlink_to(chalice_cache(),
                                                                  target_is_directory=True)
                chalice_package(stage, project, chalice_out)
                _keep_only(chalice_cache(), chalice_out / ZIP_NAME)
            if force or not _reuse_zip(out_dir, code, work / ZIP_NAME):
                with zipfile.ZipFile(chalice_out / ZIP_NAME) as z:
                    z.extractall(tree)
                strip_bytecode(tree)
                prune_unserved_assets(tree)
                prune_unused(tree)
                if compile:
                    compile_tree(tree)
                deterministic_zip(tree, work / ZIP_NAME)
            (out_dir / STAMP_NAME).unlink(missing_ok=True)
            os.replace(work / ZIP_NAME, out_dir / ZIP_NAME)
            os.replace(chalice_out / TEMPLATE_NAME, out_dir / TEMPLATE_NAME)
            (out_dir / STAMP_NAME).write_text(f"{digest}\n{code}\n")
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev", help="dev, prod, ... (default dev)")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="ship sources only (cold starts then compile)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default build/<stage>)")
    parser.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    args = parser.parse_args(argv)
    try:
        out = build(args.stage, args.out, compile=args.compile, force=args.force)
    except PackageError as e:
        print(f"package error: {e}", file=sys.stderr)
        return 1
    zip_path = out / ZIP_NAME
    print(f"package stage={args.stage} out={out} zip={zip_path} "
          f"zip_bytes={zip_path.stat().st_size} compiled={str(args.compile).lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
