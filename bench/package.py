"""The Lambda package (``make package``): its size, and its cold import with and without bytecode.

Builds (or reuses) ``build/<stage>/deployment.zip`` with ``infra.package.build``, unzips it
twice: as shipped (precompiled, ``unchecked-hash``) and as a copy without any ``.pyc`` /
``__pycache__``. Each sample is a fresh interpreter, isolated as far as Python allows (``-I``: no
PYTHON* variables, no user site; ``-S``: no site-packages, so only the package and the standard
library are importable, as in Lambda's /var/task; ``-B`` plus PYTHONDONTWRITEBYTECODE=1: nothing
is written, so every sample of the copy without bytecode pays compilation again), with the
unzipped package first on sys.path and JFW_STAGE set. Samples alternate between the two trees
so a noisy machine affects both alike. Two figures: ``import app`` (what Lambda does at init),
and ``import app`` plus the libraries the handlers load on first use (boto3, pynamodb, pydantic,
liquid, argon2, cryptography, stripe). Prints:

    package zip_bytes=... unzipped_bytes=... files=... pyc_bytes=...
    package import_app_bytecode_median_ms=... import_app_source_median_ms=... ratio=...
    package import_libs_bytecode_median_ms=... import_libs_source_median_ms=... ratio=...
    package import_app_bytecode_min_ms=... import_app_source_min_ms=... min_ratio=...
    package samples=... python=... stage=...

``ratio`` is without bytecode / with bytecode: how much slower a cold start that compiles is.

Usage: python bench/package.py [--samples 15] [--stage dev]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py).
FULL = os.environ.get("BENCH_FULL") == "1"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra import package  # noqa: E402

# The timer starts after the interpreter is up, as Lambda's init phase does for the handler module.
IMPORT_APP = '''import sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
import app
print(time.perf_counter() - t0)
'''

IMPORT_APP_AND_LIBS = '''import sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
import app
import boto3, pynamodb.models, pydantic, liquid, argon2, stripe
import cryptography.hazmat.primitives.ciphers.aead
print(time.perf_counter() - t0)
'''


def sizes(zip_path: Path) -> dict[str, int]:
    with zipfile.ZipFile(zip_path) as z:
        infos = z.infolist()
    return {
        "zip_bytes": zip_path.stat().st_size,
        "unzipped_bytes": sum(i.file_size for i in infos),
        "files": len(infos),
        "pyc_bytes": sum(i.file_size for i in infos if i.filename.endswith(".pyc")),
    }


def unpack(zip_path: Path, workdir: Path) -> tuple[Path, Path]:
    """The package as shipped, and a copy of it without bytecode."""
    shipped, source = workdir / "shipped", workdir / "source"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(shipped)
    shutil.copytree(shipped, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return shipped, source


def lambda_env(stage: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "PYTHON"))}
    env.update({
        "JFW_STAGE": stage,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "1",  # ignored under -I; -B below is what enforces it
    })
    return env


def sample(python: str, tree: Path, code: str, env: dict[str, str]) -> float:
    out = subprocess.run([python, "-I", "-S", "-B", "-c", code, str(tree)], cwd=tree, env=env,
                         check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) * 1000


def has_bytecode(tree: Path) -> bool:
    return any(tree.rglob("*.pyc"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=15 if FULL else 3,
                        help="samples per figure")
    parser.add_argument("--stage", default="dev", help="the package to measure (default dev)")
    args = parser.parse_args(argv)
    try:
        out = package.build(args.stage)
    except package.PackageError as e:
        print(f"package error: {e}", file=sys.stderr)
        return 1
    zip_path = out / package.ZIP_NAME
    size = sizes(zip_path)
    env = lambda_env(args.stage)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="jfw-package-bench-") as tmp:
        shipped, source = unpack(zip_path, Path(tmp))
        runs = {"app_bytecode": (shipped, IMPORT_APP), "app_source": (source, IMPORT_APP),
                "libs_bytecode": (shipped, IMPORT_APP_AND_LIBS),
                "libs_source": (source, IMPORT_APP_AND_LIBS)}
        for tree, code in runs.values():  # warm the OS file cache; not counted
            sample(python, tree, code, env)
        times: dict[str, list[float]] = {name: [] for name in runs}
        order = list(runs)
        for i in range(args.samples):
            for name in order[i % len(order):] + order[:i % len(order)]:
                tree, code = runs[name]
                times[name].append(sample(python, tree, code, env))
        if has_bytecode(source):
            print("package error: the copy without bytecode got some; figures are void",
                  file=sys.stderr)
            return 1
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"package zip_bytes={size['zip_bytes']} unzipped_bytes={size['unzipped_bytes']} "
          f"files={size['files']} pyc_bytes={size['pyc_bytes']}")
    for figure in ("app", "libs"):
        with_bc, without = med[f"{figure}_bytecode"], med[f"{figure}_source"]
        print(f"package import_{figure}_bytecode_median_ms={with_bc:.1f} "
              f"import_{figure}_source_median_ms={without:.1f} ratio={without / with_bc:.2f}")
    # Minima are steadier than medians on a busy machine; the medians above are the figures.
    lo_bc, lo_src = min(times["app_bytecode"]), min(times["app_source"])
    print(f"package import_app_bytecode_min_ms={lo_bc:.1f} import_app_source_min_ms={lo_src:.1f} "
          f"min_ratio={lo_src / lo_bc:.2f}")
    print(f"package samples={args.samples} python={sys.version.split()[0]} stage={args.stage}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
