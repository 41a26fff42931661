"""Debian packages the local stack and the tests need when the machine lacks them: installed
with apt-get as root, or with password-less sudo; otherwise one line says what to do."""

from __future__ import annotations

import os
import shutil
import subprocess

from chalicelib.devstack.ports import StartupError


def install(package: str, why: str, missing: str) -> None:
    """``apt-get install package``; ``why`` says who needs it, ``missing`` what to do when it
    can't be installed from here (raised as a StartupError)."""
    if not shutil.which("apt-get"):
        raise StartupError(missing + " (no apt-get here to install it with).")
    if os.geteuid() == 0:
        sudo: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"],
                                                 capture_output=True).returncode == 0:
        sudo = ["sudo", "-n"]
    else:
        raise StartupError(missing + " (not root, so it can't be installed from here).")
    print(f"Installing {package} with apt-get ({why}) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]):
        proc = subprocess.run(sudo + argv, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise StartupError(f"`{' '.join(argv)}` failed ({last}); " + missing + ".")
