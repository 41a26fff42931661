"""Secrets at rest: what the server must use itself (gateway keys, webhook signing secrets).

Two formats; ``decrypt`` dispatches on the prefix, so stored ``v1`` values keep working after a
stage moves to KMS::

    v1:<nonce>:<ciphertext + GCM tag>                       (all base64url)
    v2:<KMS-encrypted data key>:<nonce>:<ciphertext + GCM tag>

``v1`` is AES-256-GCM with the data key from the ``JFW_SECRETS_KEY`` setting (base64 of 32
bytes). Each value is bound to where it is stored through the GCM associated data (``context``,
e.g. ``gateway:<id>:privateKey``): a ciphertext copied into another item or field fails to
decrypt instead of being used there.

``v2`` (used for new values when ``JFW_SECRETS_KMS_KEY_ID`` is set; infra/ creates that key) is
envelope encryption, chosen for cost and latency: one KMS ``GenerateDataKey`` per value sealed
(writes are rare: gateway settings, certificates), AES-256-GCM locally with that data key, and
the KMS-encrypted data key stored with the value. The KMS encryption context is
``{"jfw:context": context}``, the same string as the GCM associated data, so KMS refuses to
unwrap a value's key for another place and CloudTrail records which secret was opened. Reading
calls KMS ``Decrypt`` once per (data key, context) per process: the plaintext data key is kept
in memory, so a warm Lambda decrypts with no KMS call and a cold one pays one call for each
distinct secret it opens. One data key per value (not one per process) keeps that binding
exact; a process-wide key would need a context-free KMS call and save nothing on reads.

In the local stack and tests an unset key falls back to a fixed development key (derived from a
constant, never printed); any other stage refuses to run with neither setting.

Secrets are never returned in full: ``mask`` keeps a recognisable prefix and the last 4
characters (``sk_test_…abcd``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from chalicelib import settings

VERSION = "v1"
KMS_VERSION = "v2"
VERSIONS = (VERSION, KMS_VERSION)
NONCE_BYTES = 12
MASK = "…"
KMS_CONTEXT_KEY = "jfw:context"
DATA_KEYS_CACHED = 512  # plaintext data keys kept per process (32 bytes each)


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
    if stage in settings.LOCAL_STAGES:
        # Fixed, so every process of the local stack (and each test run) reads what another
        # wrote; it protects nothing and is only ever used where no real secret lives.
        return hashlib.sha256(b"jfw-billing local development secrets key v1").digest()
    raise SecretsError(f"JFW_SECRETS_KMS_KEY_ID (or JFW_SECRETS_KEY) is not set; stage {stage!r} "
                       "refuses to store secrets with the development key.")


def base_key() -> bytes:
    """The ``v1`` key (or the local development key), for keys derived from it (the wallet
    ledger's HMAC key when ``JFW_LEDGER_KEY`` is not set)."""
    s = settings.get()
    return _key(s.secrets_key, s.stage)


def _gcm(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # cold start

    return AESGCM(key)


def _aead() -> Any:
    """The ``v1`` cipher (``JFW_SECRETS_KEY``)."""
    s = settings.get()
    if not s.secrets_key and s.secrets_kms_key_id and not s.is_local:
        raise SecretsError("A stored secret is sealed with JFW_SECRETS_KEY (v1) but only "
                           "JFW_SECRETS_KMS_KEY_ID is set: keep JFW_SECRETS_KEY set until every "
                           "v1 value has been saved again (new values are sealed with KMS).")
    return _gcm(_key(s.secrets_key, s.stage))


def encrypt(plaintext: str, context: str) -> str:
    """``plaintext`` sealed for storage in ``context`` (the item and field it is stored in)."""
    key_id = settings.get().secrets_kms_key_id
    if key_id:
        return _encrypt_kms(plaintext, context, key_id)
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead().encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{VERSION}:{_b64e(nonce)}:{_b64e(sealed)}"


def decrypt(stored: str, context: str) -> str:
    """The plaintext of a value ``encrypt`` produced for the same ``context``."""
    from cryptography.exceptions import InvalidTag  # cold start

    version, _, rest = (stored or "").partition(":")
    if version not in VERSIONS:
        raise SecretsError(f"Unknown secret format {version!r} (this build reads "
                           f"{', '.join(VERSIONS)}).")
    parts = rest.split(":")
    try:
        if version == KMS_VERSION:
            if len(parts) != 3:
                raise ValueError
            data_key = _unwrap(_b64d(parts[0]), context)
            nonce, sealed = _b64d(parts[1]), _b64d(parts[2])
            aead = _gcm(data_key)
        else:
            if len(parts) != 2:
                raise ValueError
            nonce, sealed = _b64d(parts[0]), _b64d(parts[1])
            aead = _aead()
        return aead.decrypt(nonce, sealed, context.encode("utf-8")).decode("utf-8")
    except (InvalidTag, ValueError, binascii.Error):
        which = "KMS key" if version == KMS_VERSION else "JFW_SECRETS_KEY"
        raise SecretsError(f"A stored secret ({context}) can't be decrypted: wrong "
                           f"{which}, or the value was altered or moved.") from None


def _encryption_context(context: str) -> dict[str, str]:
    return {KMS_CONTEXT_KEY: context}


def _encrypt_kms(plaintext: str, context: str, key_id: str) -> str:
    made = _kms("generate_data_key", key_id, KeyId=key_id, KeySpec="AES_256",
                EncryptionContext=_encryption_context(context))
    data_key, wrapped = made["Plaintext"], made["CiphertextBlob"]
    _remember(wrapped, context, data_key)
    nonce = os.urandom(NONCE_BYTES)
    sealed = _gcm(data_key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{KMS_VERSION}:{_b64e(wrapped)}:{_b64e(nonce)}:{_b64e(sealed)}"


# (KMS-encrypted data key, context) -> plaintext data key, most recently used last.
_data_keys: OrderedDict[tuple[bytes, str], bytes] = OrderedDict()


def _remember(wrapped: bytes, context: str, data_key: bytes) -> None:
    _data_keys[(wrapped, context)] = data_key
    _data_keys.move_to_end((wrapped, context))
    while len(_data_keys) > DATA_KEYS_CACHED:
        _data_keys.popitem(last=False)


def _unwrap(wrapped: bytes, context: str) -> bytes:
    """The plaintext data key of a ``v2`` value: from memory, else one KMS ``Decrypt``."""
    cached = _data_keys.get((wrapped, context))
    if cached is not None:
        _data_keys.move_to_end((wrapped, context))
        return cached
    key_id = settings.get().secrets_kms_key_id
    if not key_id:
        raise SecretsError(f"A stored secret ({context}) is sealed with KMS (v2) but "
                           "JFW_SECRETS_KMS_KEY_ID is not set.")
    opened = _kms("decrypt", key_id, CiphertextBlob=wrapped, KeyId=key_id,
                  EncryptionContext=_encryption_context(context))
    data_key = opened["Plaintext"]
    _remember(wrapped, context, data_key)
    return data_key


class _Unopenable(ValueError):
    """KMS won't unwrap this data key here: altered, another context, another key."""


# KMS's answers that mean "this value won't open" or "this key can't be used" (configuration);
# anything else (throttling, network, after botocore's retries) propagates as it is.
_UNOPENABLE = {"InvalidCiphertextException", "IncorrectKeyException"}
_UNUSABLE_KEY = {"NotFoundException", "DisabledException", "KMSInvalidStateException",
                 "AccessDeniedException", "InvalidKeyUsageException"}


def _kms(operation: str, key_id: str, **params: Any) -> dict[str, Any]:
    from botocore.exceptions import ClientError  # cold start

    from chalicelib.store import aws  # cold start

    try:
        return getattr(aws.client("kms"), operation)(**params)
    except ClientError as e:
        error = e.response.get("Error", {})
        code = error.get("Code", "")
        if code in _UNOPENABLE:
            raise _Unopenable(code) from None
        if code in _UNUSABLE_KEY:
            raise SecretsError(
                f"The KMS key JFW_SECRETS_KMS_KEY_ID={key_id} can't be used for secrets "
                f"({code}: {error.get('Message', '')}); check that it exists, is enabled and "
                "that this stage's role may use it.") from e
        raise


def forget_data_keys() -> None:
    """Drop the cached plaintext data keys (tests; a process that must call KMS again)."""
    _data_keys.clear()


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(tuple(v + ":" for v in VERSIONS))


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
