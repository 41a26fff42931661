"""Ports: is one free, and wait until something answers HTTP on it."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable


class StartupError(RuntimeError):
    """The stack could not start; the message says what to do."""


def is_free(host: str, port: int) -> bool:
    """Nothing listens there. SO_REUSEADDR as the servers use it: connections of an earlier run
    still in TIME_WAIT don't count as in use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def require_free(host: str, port: int, what: str, env_name: str) -> None:
    if not is_free(host, port):
        raise StartupError(f"Port {port} on {host} is in use, so {what} can't start there. "
                           f"Stop whatever uses it, or pick another port: {env_name}=<port>.")


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def wait_http(url: str, what: str, timeout: float, *, want: Callable[[int], bool] = bool,
              alive: Callable[[], bool] = lambda: True) -> None:
    """Poll ``url`` until its status satisfies ``want``; fail early if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = http_status(url)
        if status is not None and want(status):
            return
        if not alive():
            raise StartupError(f"{what} exited during start-up.")
        time.sleep(0.1)
    raise StartupError(f"{what} did not answer at {url} within {timeout:.0f} s.")
