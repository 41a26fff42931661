"""Identifiers and secrets, all from the OS CSPRNG."""

from __future__ import annotations

import hashlib
import os
import secrets
import string
import threading
from datetime import UTC, datetime
from typing import Any

_ALNUM = string.ascii_letters + string.digits
_UPPER = string.ascii_uppercase + string.digits


def new_id(length: int = 14) -> str:
    """A JFW-style id such as ``Kd12AnplKdMd5s``: 62^14, about 83 bits."""
    return _draw(_ALNUM, length)


def new_code(length: int = 8) -> str:
    """An upper-case code a person can read out (user codes, referral codes)."""
    return _draw(_UPPER, length)


def _draw(alphabet: str, length: int) -> str:
    """``length`` characters of ``alphabet``, every string equally likely: each from one random
    byte, kept only below the largest multiple of the alphabet's size (so each character is
    equally likely), the bytes taken from ``_random_bytes``."""
    base = len(alphabet)
    limit = 256 - 256 % base
    out: list[str] = []
    while len(out) < length:
        out += [alphabet[b % base] for b in _random_bytes(length - len(out) + 4) if b < limit]
    return "".join(out[:length])


# The OS CSPRNG read 4 kB at a time: a system call per id cost more than the rest of making it
# (six ids on a notification's path). Each byte is used once; a forked child starts afresh.
_POOL_BYTES = 4096
_pool = b""
_taken = 0
_pool_lock = threading.Lock()


def _random_bytes(n: int) -> bytes:
    global _pool, _taken
    with _pool_lock:
        if _taken + n > len(_pool):
            _pool, _taken = os.urandom(max(_POOL_BYTES, n)), 0
        out = _pool[_taken:_taken + n]
        _taken += n
    return out


def _forget_pool() -> None:
    global _pool, _taken
    _pool, _taken = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What we store instead of a bearer secret (Auth-Keys, reset tokens)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    """Fixed-width UTC time for sort keys, so times sort as strings."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return utc_digits(moment) + "Z"


def utc_digits(moment: datetime) -> str:
    """A UTC ``moment`` as ``2026-12-05T01:02:03.000456``, what ``stamp`` and the models' UTC
    times (store/base.py) are written with, without strftime."""
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}")


def stamp_range(attr: Any, start: datetime | None, end: datetime | None) -> Any:
    """The key condition on a ``stamp(...)#...`` sort key between two times (either open);
    None when both are."""
    if start and end:
        return attr.between(stamp(start), stamp(end) + "~")
    if start:
        return attr >= stamp(start)
    if end:
        return attr <= stamp(end) + "~"
    return None
