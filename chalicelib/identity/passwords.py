"""Password hashing (argon2id) and the brand's password policy (Low / Medium / High)."""

from __future__ import annotations

import re
from functools import lru_cache

from chalicelib import settings
from chalicelib.http.errors import BadRequest

MAX_LENGTH = 128

POLICIES = {
    "Low": (6, [], "at least 6 characters"),
    "Medium": (8, [r"[A-Za-z]", r"\d"], "at least 8 characters with letters and digits"),
    "High": (12, [r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"],
             "at least 12 characters with upper- and lower-case letters, digits and a symbol"),
}


def check_policy(password: str, level: str, field: str = "password") -> None:
    min_len, patterns, words = POLICIES.get(level, POLICIES["Medium"])
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"The password must be at most {MAX_LENGTH} characters.", field=field,
                         code="PASSWORD_POLICY")
    if len(password) < min_len or not all(re.search(p, password) for p in patterns):
        raise BadRequest(f"The password must have {words} (policy {level}).", field=field,
                         code="PASSWORD_POLICY")


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher  # heavy, optional: only password checks and changes

    s = settings.get()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib,
                          parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError  # heavy (see _hasher)

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash of a random password, verified against when the user does not exist, so a login for an
# unknown name costs the same time as a wrong password (no user enumeration by timing).
@lru_cache(maxsize=1)
def dummy_hash() -> str:
    return hash_password("not-a-real-password-0")
