"""Cold start: how long ``import app`` takes as Lambda loads it, next to a bare Chalice app.

Both apps are copied to a temporary directory and precompiled the way the package ships
(``compileall --invalidation-mode unchecked-hash``, ARCHITECTURE.md "Cold start"). Each sample is a
fresh interpreter that times only the import (and, for the second figure, the import plus one
``GET /api/v1/health`` through the Lambda handler; no AWS involved). Samples alternate between
the apps so a noisy machine affects both alike. Prints:

    coldstart app_import_median_ms=...
    coldstart bare_chalice_median_ms=...
    coldstart ratio=...
    coldstart app_import_plus_health_median_ms=...
    coldstart app_import_min_ms=... bare_chalice_min_ms=... min_ratio=...

Usage: python bench/coldstart.py [--samples 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE_APP = '''from chalice import Chalice

app = Chalice(app_name="x")


@app.route("/")
def index():
    return {"hello": "world"}
'''

IMPORT_ONLY = '''import time
t0 = time.perf_counter()
import app
print(time.perf_counter() - t0)
'''

# One API Gateway (REST, proxy) event for GET /api/v1/health, handled by the app object: the
# stage "api" is the URL's /api, the route is mounted at /v1/health (dispatch.mounted_path).
IMPORT_AND_HEALTH = '''import time
t0 = time.perf_counter()
import app
event = {
    "resource": "/v1/health", "path": "/v1/health", "httpMethod": "GET",
    "headers": {"Accept": "application/json"}, "multiValueHeaders": {},
    "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/v1/health", "httpMethod": "GET",
                       "requestId": "bench", "path": "/api/v1/health",
                       "identity": {"sourceIp": "127.0.0.1"}},
}
response = app.app(event, None)
elapsed = time.perf_counter() - t0
assert response["statusCode"] == 200, response
print(elapsed)
'''


def prepare(workdir: Path, python: str) -> tuple[Path, Path]:
    """A copy of the real app and a bare Chalice app, both precompiled as shipped."""
    real, bare = workdir / "real", workdir / "bare"
    real.mkdir()
    bare.mkdir()
    shutil.copy2(ROOT / "app.py", real / "app.py")
    shutil.copytree(ROOT / "chalicelib", real / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (bare / "app.py").write_text(BARE_APP)
    for d in (real, bare):
        subprocess.run([python, "-m", "compileall", "-q", "--invalidation-mode",
                        "unchecked-hash", str(d)], check=True)
    return real, bare


def lambda_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "PYTHON"))}
    env.update({
        "JFW_STAGE": "prod",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "1",  # use the shipped bytecode, write none
    })
    return env


def sample(python: str, cwd: Path, code: str, env: dict[str, str]) -> float:
    out = subprocess.run([python, "-c", code], cwd=cwd, env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=15, help="samples per figure")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter to measure (same minor version as the runtime)")
    args = parser.parse_args(argv)
    env = lambda_env()
    with tempfile.TemporaryDirectory(prefix="jfw-coldstart-") as tmp:
        real, bare = prepare(Path(tmp), args.python)
        runs = {"real": (real, IMPORT_ONLY), "bare": (bare, IMPORT_ONLY),
                "health": (real, IMPORT_AND_HEALTH)}
        for cwd, code in runs.values():  # warm the OS file cache; not counted
            sample(args.python, cwd, code, env)
        times: dict[str, list[float]] = {name: [] for name in runs}
        order = list(runs)
        for i in range(args.samples):
            for name in order[i % len(order):] + order[:i % len(order)]:
                cwd, code = runs[name]
                times[name].append(sample(args.python, cwd, code, env))
    app_ms = statistics.median(times["real"])
    bare_ms = statistics.median(times["bare"])
    health_ms = statistics.median(times["health"])
    print(f"coldstart app_import_median_ms={app_ms:.1f}")
    print(f"coldstart bare_chalice_median_ms={bare_ms:.1f}")
    print(f"coldstart ratio={app_ms / bare_ms:.2f}")
    print(f"coldstart app_import_plus_health_median_ms={health_ms:.1f}")
    # Minima are steadier than medians on a busy machine; the ratio above is the figure.
    print(f"coldstart app_import_min_ms={min(times['real']):.1f} "
          f"bare_chalice_min_ms={min(times['bare']):.1f} "
          f"min_ratio={min(times['real']) / min(times['bare']):.2f}")
    print(f"coldstart samples={args.samples} python={sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
