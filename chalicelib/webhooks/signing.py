"""How a delivery is signed, so the brand's receiver can tell it came from us, unchanged.

``JFW-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=...]``, the
key being the endpoint's whole secret (``whsec_...``) as UTF-8. While a rolled secret is still
honoured there is one ``v1`` per secret (the new one first), so a receiver that knows either
accepts the delivery. A receiver should also refuse a ``t`` more than 5 minutes from its clock
(a replayed delivery), and may drop a ``JFW-Delivery-Id`` it has seen (we deliver at least
once; a resend keeps the id).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _random
import string

PREFIX = "whsec_"
HEADER = "JFW-Signature"
TOLERANCE_SECONDS = 300


_ALPHABET = string.ascii_letters + string.digits


def new_secret() -> str:
    """``whsec_`` and 43 letters or digits (256 bits): no ``_`` or ``-``, so a masked secret
    (store/secrets.mask) always shows ``whsec_…`` and the secret is one word to copy."""
    return PREFIX + "".join(_random.choice(_ALPHABET) for _ in range(43))


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header(secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}"
                                          for s in secrets)])


def verify(value: str, body: bytes, secret: str, now: int,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether ``value`` (a JFW-Signature header) signs ``body`` with ``secret`` within
    ``tolerance`` seconds of ``now``: what a receiver does (the README's receiver in 10 lines)."""
    fields = [p.split("=", 1) for p in value.split(",") if "=" in p]
    stamps = [v for k, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body)
    return any(hmac.compare_digest(expected, v) for k, v in fields if k == "v1")
