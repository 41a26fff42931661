"""Secrets at rest: what the server must use itself (gateway keys, webhook signing secrets).

Format, versioned so a later scheme can sit next to this one (issue 6: KMS envelope encryption
as ``v2:...``; ``decrypt`` dispatches on the prefix, so stored ``v1`` values keep working)::

    v1:<nonce, base64url>:<ciphertext + GCM tag, base64url>

``v1`` is AES-256-GCM with the data key from the ``JFW_SECRETS_KEY`` setting (base64 of 32
bytes). Each value is bound to where it is stored through the GCM associated data (``context``,
e.g. ``gateway:<id>:privateKey``): a ciphertext copied into another item or field fails to
decrypt instead of being used there.

In the local stack and tests an unset key falls back to a fixed development key (derived from a
constant, never printed); any other stage refuses to run without one.

Secrets are never returned in full: ``mask`` keeps a recognisable prefix and the last 4
characters (``sk_test_…abcd``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from functools import lru_cache
from typing import Any

from chalicelib import settings

VERSION = "v1"
NONCE_BYTES = 12
MASK = "…"


class SecretsError(Exception):
    """A stored secret can't be decrypted (wrong key, tampered, moved to another item) or the
    key is missing or malformed. A configuration problem, never the caller's input."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4)
def _key(configured: str | None, stage: str) -> bytes:
    if configured:
        try:
            key = base64.b64decode(configured, validate=True)
        except (binascii.Error, ValueError):
            raise SecretsError("JFW_SECRETS_KEY is not valid base64; generate one with "
                               "`python -c \"import os,base64;print(base64.b64encode("
                               "os.urandom(32)).decode())\"`.") from None
        if len(key) != 32:
            raise SecretsError(f"JFW_SECRETS_KEY must be 32 bytes (AES-256); it is {len(key)}.")
        return key
    if stage in ("local", "test"):
        # Fixed, so every process of the local stack (and each test run) reads what another
        # wrote; it protects nothing and is only ever used where no real secret lives.
        return hashlib.sha256(b"jfw-billing local development secrets key v1").digest()
    raise SecretsError(f"JFW_SECRETS_KEY is not set; stage {stage!r} refuses to store secrets "
                       "with the development key.")


def _aead() -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    s = settings.get()
    return AESGCM(_key(s.secrets_key, s.stage))


def encrypt(plaintext: str, context: str) -> str:
    """``plaintext`` sealed for storage in ``context`` (the item and field it is stored in)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead().encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{VERSION}:{_b64e(nonce)}:{_b64e(sealed)}"


def decrypt(stored: str, context: str) -> str:
    """The plaintext of a value ``encrypt`` produced for the same ``context``."""
    from cryptography.exceptions import InvalidTag

    version, _, rest = (stored or "").partition(":")
    if version != VERSION:
        raise SecretsError(f"Unknown secret format {version!r} (this build reads {VERSION}).")
    nonce_text, sep, sealed_text = rest.partition(":")
    try:
        if not sep:
            raise ValueError
        nonce, sealed = _b64d(nonce_text), _b64d(sealed_text)
        return _aead().decrypt(nonce, sealed, context.encode("utf-8")).decode("utf-8")
    except (InvalidTag, ValueError, binascii.Error):
        raise SecretsError(f"A stored secret ({context}) can't be decrypted: wrong "
                           "JFW_SECRETS_KEY, or the value was altered or moved.") from None


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(VERSION + ":")


def mask(secret: str | None) -> str | None:
    """``sk_test_51Hx…abcd`` -> ``sk_test_…abcd``: the kind of key stays visible, the rest not.

    The prefix shown is the part up to the last ``_`` within the first 9 characters (Stripe's
    ``sk_live_``, ``whsec_``); the last 4 characters only when at least 12 remain hidden.
    """
    if secret is None:
        return None
    if not secret:
        return ""
    head = secret[:9]
    prefix = head[: head.rfind("_") + 1] if "_" in head else ""
    rest = secret[len(prefix):]
    tail = rest[-4:] if len(rest) >= 16 else ""
    return f"{prefix}{MASK}{tail}"


def is_masked(value: str | None) -> bool:
    """A value a client echoed back from a reply (PUT after GET): keep the stored secret."""
    return bool(value) and MASK in str(value)
