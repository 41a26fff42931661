"""Chromium for the browser tests (tests/browser): Debian's ``chromium`` package, installed with
apt-get when the machine has none (``make test`` runs ``install``), driven by Playwright.

``CHROMIUM`` names another binary. The flags are the ones a closed machine needs: headless, no
sandbox (root in CI), and none of Chromium's own calls home (background networking, component
updates, sync), which this machine's network refuses.

    python -m chalicelib.devstack.chromium install
"""

from __future__ import annotations

import os
import shutil
import sys

from chalicelib.devstack import apt
from chalicelib.devstack.ports import StartupError

PACKAGE = "chromium"
NO_CHROMIUM = ("The browser tests need Chromium and this machine has none; `make test` installs "
               f"Debian's {PACKAGE} when it runs as root, or install it yourself (sudo apt-get "
               f"install {PACKAGE}) or set CHROMIUM=/path/to/chromium")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions")


def find() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure(may_install: bool = True) -> str:
    found = find()
    if found:
        return found
    if not may_install:
        raise StartupError(NO_CHROMIUM + ".")
    apt.install(PACKAGE, "the browser tests drive it", NO_CHROMIUM)
    found = find()
    if found is None:
        raise StartupError(f"{PACKAGE} installed, yet no chromium binary was found.")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print(__doc__)
        return 2
    try:
        print(f"Chromium: {ensure()}")
    except StartupError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
