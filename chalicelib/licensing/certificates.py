"""Offline license certificates (beyond JFW; Keygen's signed license files are the model).

A brand's app verifies a certificate with no network, using only the brand's public key
(``GET v1/licenses/public-key``). Each brand has its own Ed25519 key pair, created on first use
(a conditional put, so two first requests agree on one key); the private key is stored sealed
with ``store/secrets.py`` and never leaves the server.

Format (one ASCII string, two base64url segments without padding)::

    <payload>.<signature>

- ``payload`` = base64url of the canonical JSON of the claims: UTF-8, keys sorted, no spaces
  (``json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``);
- ``signature`` = base64url of the Ed25519 signature of the ASCII bytes of ``payload`` (the
  first segment exactly as sent, as JWS signs its input; no re-encoding on the verifier's side).

Claims: ``v`` (format version, 1), ``keyId``, ``brandId``, ``userId``, ``packageId``,
``packageCode``, ``features`` ([{code, type, value, isUnlimited}]), ``expiryDate`` (the end of the
user's package, null for none), ``deviceCode`` (when the certificate is bound to a device),
``issuedAt``, ``notAfter`` (``issuedAt`` + the brand's ``certificateTtlDays``, default 30). Times
are ISO 8601 UTC with a ``Z``. A verifier rejects a bad signature, and a certificate whose
``notAfter`` has passed (fetch a new one online); ``expiryDate`` says when the package itself
ends.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib import settings
from chalicelib.http.errors import Conflict, Forbidden
from chalicelib.licensing import devices, validation
from chalicelib.licensing import models as m
from chalicelib.store import secrets

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

FORMAT_VERSION = 1
ALGORITHM = "Ed25519"
DEFAULT_TTL_DAYS = 30
MAX_TTL_DAYS = 366
SK = "CURRENT"


class InvalidCertificate(Exception):
    """A certificate that is malformed, not signed by the key, or past ``notAfter``."""


# -- the format (pure) ---------------------------------------------------------------------------

def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_json(claims: dict[str, Any]) -> bytes:
    return json.dumps(claims, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def sign(claims: dict[str, Any], private_key: Ed25519PrivateKey) -> str:
    payload = b64e(canonical_json(claims))
    return f"{payload}.{b64e(private_key.sign(payload.encode('ascii')))}"


def verify(certificate: str, public_key: Ed25519PublicKey,
           now: datetime | None = None) -> dict[str, Any]:
    """The claims of a certificate the key signed and whose ``notAfter`` is still ahead."""
    # cryptography is heavy: deferred so only certificate work loads it
    from cryptography.exceptions import InvalidSignature

    try:
        payload, signature = certificate.strip().split(".")
        public_key.verify(b64d(signature), payload.encode("ascii"))
        claims = json.loads(b64d(payload))
        not_after = datetime.fromisoformat(claims["notAfter"].replace("Z", "+00:00"))
    except InvalidSignature:
        raise InvalidCertificate("the signature does not match the payload") from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeError):
        raise InvalidCertificate("not a certificate in the <payload>.<signature> format") from None
    if not_after <= (now or settings.now()):
        raise InvalidCertificate(f"expired at {claims['notAfter']}; fetch a new certificate")
    return claims


def new_key_pair() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    # cryptography is heavy: deferred so only certificate work loads it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    return private, private.public_key()


def raw_private(private_key: Ed25519PrivateKey) -> bytes:
    # cryptography is heavy: deferred so only certificate work loads it
    from cryptography.hazmat.primitives import serialization as ser

    return private_key.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw,
                                     ser.NoEncryption())


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    # cryptography is heavy: deferred so only certificate work loads it
    from cryptography.hazmat.primitives import serialization as ser

    return public_key.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)


def public_pem(public_key: Ed25519PublicKey) -> str:
    # cryptography is heavy: deferred so only certificate work loads it
    from cryptography.hazmat.primitives import serialization as ser

    return public_key.public_bytes(ser.Encoding.PEM,
                                   ser.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_id(raw_public_key: bytes) -> str:
    """A short, stable name for a public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def claims_for(*, brand_id: str, user_id: str, package: dict, expiry: datetime | None,
               device_code: str | None, issued_at: datetime, ttl_days: int,
               kid: str) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "v": FORMAT_VERSION, "keyId": kid, "brandId": brand_id, "userId": user_id,
        "packageId": package["id"], "packageCode": package.get("code"),
        "features": validation.features_of(package),
        "expiryDate": iso(expiry) if expiry else None,
        "issuedAt": iso(issued_at), "notAfter": iso(issued_at + timedelta(days=ttl_days)),
    }
    if device_code:
        claims["deviceCode"] = device_code
    return claims


# -- the brand's key pair --------------------------------------------------------------------------

# Keys never change once made: a warm Lambda keeps the loaded ones.
_keys: dict[str, tuple[Ed25519PrivateKey, str, bytes]] = {}


def _seal_context(brand_id: str) -> str:
    return f"licensing:{brand_id}:signkey:privateKey"


def brand_key(brand_id: str) -> tuple[Ed25519PrivateKey, str, bytes]:
    """(private key, key id, raw public key) of the brand, made on first use."""
    hit = _keys.get(brand_id)
    if hit:
        return hit
    # cryptography is heavy: deferred so only certificate work loads it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pk = m.signkey_pk(brand_id)
    try:
        item = m.SigningKeyItem.get(pk, SK, consistent_read=True)
    except DoesNotExist:
        private, public = new_key_pair()
        raw = raw_public(public)
        item = m.SigningKeyItem(
            pk, SK, brand_id=brand_id, algorithm=ALGORITHM, key_id=key_id(raw),
            public_key=b64e(raw),
            private_key_sealed=secrets.encrypt(b64e(raw_private(private)),
                                               _seal_context(brand_id)),
            created_date=settings.now())
        try:
            item.save(condition=m.SigningKeyItem.pk.does_not_exist())
        except PutError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
            # Another request made the brand's key first: use that one.
            item = m.SigningKeyItem.get(pk, SK, consistent_read=True)
    private = Ed25519PrivateKey.from_private_bytes(
        b64d(secrets.decrypt(item.private_key_sealed, _seal_context(brand_id))))
    loaded = (private, item.key_id, b64d(item.public_key))
    _keys[brand_id] = loaded
    return loaded


def forget_keys() -> None:
    _keys.clear()


def public_key_dto(brand_id: str) -> dict[str, Any]:
    # cryptography is heavy: deferred so only certificate work loads it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    _, kid, raw = brand_key(brand_id)
    return {"keyId": kid, "algorithm": ALGORITHM, "brandId": brand_id,
            "publicKey": base64.b64encode(raw).decode("ascii"),
            "publicKeyPem": public_pem(Ed25519PublicKey.from_public_bytes(raw)),
            "format": "base64url(canonical JSON claims) + '.' + base64url(Ed25519 signature of "
                      "the first segment's ASCII bytes)"}


# -- issuing ---------------------------------------------------------------------------------------

def ttl_days(brand: dict) -> int:
    value = (brand.get("setting") or {}).get("certificateTtlDays")
    try:
        days = int(value) if value is not None else DEFAULT_TTL_DAYS
    except (TypeError, ValueError):
        days = DEFAULT_TTL_DAYS
    return min(max(days, 1), MAX_TTL_DAYS)


def issue(brand: dict, user_id: str, device_code: str | None = None) -> dict[str, Any]:
    """A certificate for the user's current package (and device, when given)."""
    brand_id = brand["id"]
    verdict = validation.evaluate_user(brand_id, user_id)
    if not verdict["valid"]:
        raise Forbidden(f"No certificate: {verdict['detail']}", code=verdict["code"])
    package = verdict["package"]
    if package is None:
        raise Conflict("No certificate: you have no package.", code="NO_PACKAGE")
    if device_code:
        access = devices.device_access(brand_id, user_id, device_code, brand)
        if access != "OK":
            raise Forbidden(f"No certificate for device '{device_code}': "
                            f"{devices.ACCESS_DETAIL[access]}", code=access)
    private, kid, _ = brand_key(brand_id)
    now = settings.now()
    days = ttl_days(brand)
    claims = claims_for(brand_id=brand_id, user_id=user_id, package=package,
                        expiry=verdict["expiry"], device_code=device_code, issued_at=now,
                        ttl_days=days, kid=kid)
    return {"certificate": sign(claims, private), "keyId": kid, "algorithm": ALGORITHM,
            "issuedAt": claims["issuedAt"], "notAfter": claims["notAfter"],
            "expiryDate": claims["expiryDate"], "claims": claims}
