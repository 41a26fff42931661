"""Identifiers and secrets, all from the OS CSPRNG."""

from __future__ import annotations

import hashlib
import secrets
import string
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
    """``length`` characters of ``alphabet``, every string equally likely: one draw below
    base^length written in that base (one CSPRNG call, not one per character)."""
    base = len(alphabet)
    n = secrets.randbelow(base ** length)
    out = []
    for _ in range(length):
        n, digit = divmod(n, base)
        out.append(alphabet[digit])
    return "".join(out)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What we store instead of a bearer secret (Auth-Keys, reset tokens)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    """Fixed-width UTC time for sort keys, so times sort as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
