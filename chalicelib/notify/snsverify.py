"""Amazon SNS message verification (HTTPS subscriptions), as AWS documents it.

A message is believed only when:
- its ``TopicArn`` is ours (``settings.ses_feedback_topic_arn``);
- its ``Timestamp`` is at most ``MAX_AGE`` old (and not from the future, beyond ``MAX_SKEW``);
- ``SigningCertURL`` is https on ``sns.<region>.amazonaws.com`` with a ``.pem`` path (in the
  local and test stages also the ``settings.sns_test_cert_origin`` origin, whose certificates
  must then be issued by ``settings.sns_test_ca_pem``);
- the certificate is valid now, and ``Signature`` verifies over the canonical string of the
  message's fields: RSA PKCS#1 v1.5 with SHA1 (``SignatureVersion`` 1) or SHA256 (2).

Certificates are fetched once per URL and kept in the process (SNS rotates them rarely).
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib import settings

MAX_AGE = timedelta(hours=1)
MAX_SKEW = timedelta(minutes=5)
MAX_CERT_BYTES = 64 * 1024
FETCH_TIMEOUT_SECONDS = 5
MAX_CACHED = 16

_SNS_HOST = re.compile(r"^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$")
_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                 "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                "TopicArn", "Type"),
}
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}

_certs: dict[str, x509.Certificate] = {}


class Refused(Exception):
    """The message is not a genuine SNS message of our topic; says why."""


class Unreachable(Exception):
    """SNS could not be reached (certificate or SubscribeURL): SNS should retry later."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a trusted URL answers itself; a redirect would leave the trusted host


_opener = urllib.request.build_opener(_NoRedirects)


def clear_cache() -> None:
    _certs.clear()


def string_to_sign(message: dict[str, Any]) -> bytes:
    """AWS's canonical form: ``name\\nvalue\\n`` for each signed field present, in order."""
    names = _FIELDS.get(message.get("Type"))
    if names is None:
        raise Refused(f"unknown message Type {message.get('Type')!r}")
    out = []
    for name in names:
        if name == "Subject" and message.get(name) is None:
            continue
        value = message.get(name)
        if not isinstance(value, str):
            raise Refused(f"{name} is missing")
        out.append(f"{name}\n{value}\n")
    return "".join(out).encode()


def trusted_url(url: Any) -> bool:
    """An SNS URL we may fetch (certificate) or call (SubscribeURL)."""
    if not isinstance(url, str) or len(url) > 2048:
        return False
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and _SNS_HOST.match(parts.hostname) \
            and parts.port in (None, 443) and not parts.username and not parts.password:
        return True
    return _test_origin(url) is not None


def _test_origin(url: str) -> str | None:
    cfg = settings.get()
    origin = (cfg.sns_test_cert_origin or "").rstrip("/")
    if cfg.is_local and origin and url.startswith(origin + "/"):
        return origin
    return None


def verify(message: dict[str, Any], now: datetime | None = None) -> None:
    """Raise ``Refused`` unless ``message`` is a genuine, fresh SNS message of our topic."""
    topic = settings.get().ses_feedback_topic_arn
    if not topic or message.get("TopicArn") != topic:
        raise Refused("TopicArn is not our feedback topic")
    now = now or settings.now()
    sent = _timestamp(message.get("Timestamp"))
    if sent < now - MAX_AGE or sent > now + MAX_SKEW:
        raise Refused("Timestamp is not within the last hour")
    algorithm = _HASHES.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        raise Refused("SignatureVersion must be 1 or 2")
    url = message.get("SigningCertURL")
    if not trusted_url(url) or not urlsplit(url).path.endswith(".pem"):
        raise Refused("SigningCertURL is not an SNS certificate URL")
    if _test_origin(url) is None and not (urlsplit(url).hostname or "").startswith(
            f"sns.{_region_of(topic)}."):
        raise Refused("SigningCertURL is not in the topic's region")
    try:
        signature = base64.b64decode(message.get("Signature") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise Refused("Signature is not base64") from None
    cert = certificate(url)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise Refused("the signing certificate is not valid now")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Refused("the signing certificate has no RSA key")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise Refused("Signature does not verify") from None


def _region_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise Refused("Timestamp is missing")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused("Timestamp is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise Refused("Timestamp has no time zone")
    return parsed


def certificate(url: str) -> x509.Certificate:
    """The certificate at ``url`` (a trusted URL), fetched once."""
    cert = _certs.get(url)
    if cert is not None:
        return cert
    pem = fetch(url, MAX_CERT_BYTES)
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise Refused("SigningCertURL does not hold a PEM certificate") from None
    if _test_origin(url) is not None:
        _check_test_issuer(cert)
    if len(_certs) >= MAX_CACHED:
        _certs.pop(next(iter(_certs)))
    _certs[url] = cert
    return cert


def _check_test_issuer(cert: x509.Certificate) -> None:
    ca_pem = settings.get().sns_test_ca_pem
    if not ca_pem:
        raise Refused("no test CA configured for the test certificate origin")
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise Refused("the test certificate is not issued by the test CA") from None


def fetch(url: str, limit: int) -> bytes:
    """GET a trusted URL (https, or the local test origin), at most ``limit`` bytes."""
    if not trusted_url(url):
        raise Refused("not an SNS URL")
    try:
        with _opener.open(url, timeout=FETCH_TIMEOUT_SECONDS) as resp:
            body = resp.read(limit + 1)
    except OSError as e:  # URLError and HTTPError (a 3xx not followed, a 4xx/5xx) included
        raise Unreachable(f"could not fetch from {urlsplit(url).hostname}: "
                          f"{type(e).__name__}") from None
    if len(body) > limit:
        raise Refused("the answer is too large")
    return body
