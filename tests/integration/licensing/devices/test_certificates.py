"""Offline license certificates: the brand's Ed25519 key, signed certificates that verify with
only the public key, and the README's verification snippet run exactly as printed."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from chalicelib import settings
from tests.helpers.api import register_and_login
from tests.helpers.devices import device_body, package_with_devices, user_id_of
from tests.helpers.tables import assert_unchanged, dump_tables
from tests.helpers.users import error_of

# The README's snippet (also /work/notes/cert-snippet.md), character for character.
SNIPPET = '''\
import base64, datetime as dt, json
from cryptography.hazmat.primitives.serialization import load_pem_public_key
def verify_certificate(certificate: str, public_key_pem: str) -> dict:
    b64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    payload, signature = certificate.split(".")
    load_pem_public_key(public_key_pem.encode()).verify(b64(signature), payload.encode())
    claims = json.loads(b64(payload))  # verify() raised InvalidSignature if anything was altered
    if dt.datetime.fromisoformat(claims["notAfter"]) <= dt.datetime.now(dt.timezone.utc):
        raise ValueError("certificate expired: fetch a new one online")
    return claims  # brandId, userId, packageId, packageCode, features, expiryDate, deviceCode?
'''


def snippet_verifier():
    scope: dict = {}
    exec(compile(SNIPPET, "README snippet", "exec"), scope)  # noqa: S102 - the code under test
    return scope["verify_certificate"]


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")




@pytest.fixture
def alice(api):
    return register_and_login(api, "alice")


@pytest.fixture
def gold(admin) -> dict:
    """The default package: 3 devices and an EXPORT function."""
    export = admin.ok("POST", "v1/features", {"code": "EXPORT", "name": "Export"})
    return package_with_devices(admin, 3, code="GOLD", extra_features=(
        {"featureId": export["id"], "type": "Function", "value": 1},))


def test_the_public_key_is_made_once_per_brand(api, demo_brand, other_brand):
    first = api.ok("GET", "v1/licenses/public-key")
    assert first == api.ok("GET", "v1/licenses/public-key")
    assert first["algorithm"] == "Ed25519" and first["brandId"] == demo_brand["id"]
    raw = base64.b64decode(first["publicKey"])
    assert len(raw) == 32
    pem_key = load_pem_public_key(first["publicKeyPem"].encode())
    assert pem_key.public_bytes_raw() == raw
    other = api.as_(None, "other.test").ok("GET", "v1/licenses/public-key")
    assert other["publicKey"] != first["publicKey"] and other["keyId"] != first["keyId"]
    # Stored once, its private key sealed (never in the clear).
    from chalicelib.licensing import certificates
    from chalicelib.licensing import models as m

    item = m.SigningKeyItem.get(m.signkey_pk(demo_brand["id"]), "CURRENT")
    assert item.private_key_sealed.startswith("v1:") and item.public_key
    certificates.forget_keys()  # a cold container reads the same key back
    assert api.ok("GET", "v1/licenses/public-key") == first


def test_concurrent_first_requests_agree_on_one_key(atomic_moto, demo_brand):
    from chalicelib.licensing import certificates
    from tests.concurrency import run_jobs

    results = run_jobs([lambda: (certificates.forget_keys(),
                                     certificates.public_key_dto(demo_brand["id"]))[1]
                            for _ in range(6)])
    certificates.forget_keys()
    stored = certificates.public_key_dto(demo_brand["id"])
    assert {r["publicKey"] for r in results} == {stored["publicKey"]}


def test_a_certificate_verifies_with_only_the_public_key(api, admin, alice, gold, demo_brand):
    me = user_id_of(alice)
    d = alice.ok("POST", "v1/devices", device_body("LAPTOP"))
    alice.ok("POST", f"v1/users/{me}/devices/{d['id']}")
    issued = alice.ok("POST", "v1/licenses/certificate", {"deviceCode": "LAPTOP"})
    public = api.ok("GET", "v1/licenses/public-key")

    # Only the public key (raw bytes from the route), no server code.
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public["publicKey"]))
    payload, signature = issued["certificate"].split(".")
    key.verify(b64d(signature), payload.encode())
    claims = json.loads(b64d(payload))
    assert claims["brandId"] == demo_brand["id"] and claims["userId"] == me
    assert claims["packageId"] == gold["id"] and claims["packageCode"] == "GOLD"
    assert {f["code"]: f["value"] for f in claims["features"]} == {"DEVICE": 3, "EXPORT": 1}
    assert claims["deviceCode"] == "LAPTOP" and claims["keyId"] == public["keyId"]
    assert claims["expiryDate"] is None  # the default package has no end
    issued_at = datetime.fromisoformat(claims["issuedAt"])
    assert datetime.fromisoformat(claims["notAfter"]) - issued_at == timedelta(days=30)
    # Canonical JSON: sorted keys, no spaces.
    assert b64d(payload) == json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()

    # The README snippet says the same.
    assert snippet_verifier()(issued["certificate"], public["publicKeyPem"]) == claims
    # Without a device, the certificate names none.
    plain = alice.ok("POST", "v1/licenses/certificate")
    assert "deviceCode" not in json.loads(b64d(plain["certificate"].split(".")[0]))


def test_a_tampered_certificate_is_rejected(api, alice, gold):
    cert = alice.ok("POST", "v1/licenses/certificate")["certificate"]
    pem = api.ok("GET", "v1/licenses/public-key")["publicKeyPem"]
    payload, signature = cert.split(".")
    claims = json.loads(b64d(payload))
    claims["packageCode"] = "PLATINUM"
    forged = b64e(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    verify = snippet_verifier()
    with pytest.raises(InvalidSignature):
        verify(f"{forged}.{signature}", pem)
    with pytest.raises(InvalidSignature):  # one flipped bit of the signature
        sig = bytearray(b64d(signature))
        sig[0] ^= 1
        verify(f"{payload}.{b64e(bytes(sig))}", pem)
    assert verify(cert, pem)["packageCode"] == "GOLD"


def test_a_certificate_of_another_brand_does_not_verify(api, alice, gold, other_brand):
    cert = alice.ok("POST", "v1/licenses/certificate")["certificate"]
    other_pem = api.as_(None, "other.test").ok("GET", "v1/licenses/public-key")["publicKeyPem"]
    with pytest.raises(InvalidSignature):
        snippet_verifier()(cert, other_pem)


def test_an_expired_certificate_is_rejected(api, alice, gold, demo_brand):
    from chalicelib.identity import access, brands
    from chalicelib.licensing import certificates

    brands.update_setting(demo_brand["id"], {"certificateTtlDays": 2})
    access.clear_cache()
    settings.set_clock(lambda: datetime.now(UTC) - timedelta(days=3))
    try:
        old = alice.ok("POST", "v1/licenses/certificate")
    finally:
        settings.set_clock(None)
    pem = api.ok("GET", "v1/licenses/public-key")["publicKeyPem"]
    claims = json.loads(b64d(old["certificate"].split(".")[0]))
    assert datetime.fromisoformat(claims["notAfter"]) - datetime.fromisoformat(
        claims["issuedAt"]) == timedelta(days=2)
    with pytest.raises(ValueError, match="expired"):
        snippet_verifier()(old["certificate"], pem)
    # The server's own verifier agrees, and accepts a fresh one.
    key = load_pem_public_key(pem.encode())
    with pytest.raises(certificates.InvalidCertificate, match="expired"):
        certificates.verify(old["certificate"], key)
    fresh = alice.ok("POST", "v1/licenses/certificate")["certificate"]
    assert certificates.verify(fresh, key)["userId"] == claims["userId"]


def test_no_certificate_for_an_unlinked_device_or_without_a_package(api, alice, admin, gold):
    before = dump_tables()
    resp = alice.post("v1/licenses/certificate", {"deviceCode": "NOT-MINE"})
    assert resp.status_code == 403 and error_of(resp)["code"] == "DEVICE_NOT_LINKED"
    resp = alice.post("v1/licenses/certificate", {"deviceCode": "has space"})
    assert resp.status_code == 400 and error_of(resp)["field"] == "deviceCode"
    resp = api.post("v1/licenses/certificate")
    assert resp.status_code == 401
    assert_unchanged(before, "refused certificates")


def test_no_package_no_certificate(api, demo_brand):
    bob = register_and_login(api, "bob")  # the brand has no default package
    resp = bob.post("v1/licenses/certificate")
    assert resp.status_code == 403 and error_of(resp)["code"] == "NO_PACKAGE"


def test_the_readme_snippet_is_this_one():
    """The README shows the snippet this module runs, character for character."""
    readme = Path(__file__).resolve().parents[4] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)
    shown = [b for b in blocks if "def verify_certificate" in b]
    assert shown and shown[0] == SNIPPET
