"""A fake SNS for the SES feedback tests: its own CA and signing certificate, a loopback http
server (127.0.0.1, a free port) serving the certificate and counting SubscribeURL calls, and
messages signed as SNS signs them (SignatureVersion 1: SHA1, 2: SHA256).

``FakeSns.settings()`` gives the settings that make the app trust it (local stages only).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from chalicelib import settings
from chalicelib.notify import snsverify

TOPIC = "arn:aws:sns:us-east-1:123456789012:jfw-test-ses-feedback"
CERT_PATH = "/SimpleNotificationService-test.pem"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject: str, key: Any, issuer_name: x509.Name, issuer_key: Any,
              ca: bool = False, days: int = 30) -> x509.Certificate:
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


@cache
def keys() -> dict[str, Any]:
    """A CA, the signing key and its certificate, and a stranger's key and self-made cert
    (made once per process: RSA key generation is slow)."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = make_cert("JFW test CA", ca_key, _name("JFW test CA"), ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = make_cert("sns.amazonaws.com", key, ca.subject, ca_key)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = make_cert("sns.amazonaws.com", other_key, _name("Evil CA"), other_key)
    return {"ca": ca, "key": key, "cert": cert, "other_key": other_key, "other": other}


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class FakeSns:
    """The loopback server: ``files`` maps a path to the bytes it answers; every GET is kept."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {CERT_PATH: pem(keys()["cert"]),
                                        "/evil.pem": pem(keys()["other"])}
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.requests.append(self.path)
                path = self.path.split("?", 1)[0]
                body = fake.files.get(path, b"<ConfirmSubscriptionResponse/>"
                                      if path == "/confirm" else None)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> settings.Settings:
        return settings.get()._replace(
            ses_feedback_topic_arn=TOPIC, sns_test_cert_origin=self.origin,
            sns_test_ca_pem=pem(keys()["ca"]).decode())

    def cert_requests(self) -> int:
        return sum(1 for p in self.requests if p.endswith(".pem"))

    # -- messages ------------------------------------------------------------------------------

    def sign(self, message: dict[str, Any], version: str = "1", key: Any = None) -> dict:
        message = {**message, "SignatureVersion": version}
        message.setdefault("SigningCertURL", self.origin + CERT_PATH)
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = (key or keys()["key"]).sign(snsverify.string_to_sign(message),
                                                padding.PKCS1v15(), algorithm)
        message["Signature"] = base64.b64encode(signature).decode()
        return message

    def notification(self, ses_event: dict[str, Any], *, version: str = "1",
                     timestamp: datetime | None = None, topic: str = TOPIC,
                     message_id: str | None = None, **extra: Any) -> dict:
        """A signed SNS Notification carrying an SES event."""
        message = {"Type": "Notification", "MessageId": message_id or str(uuid.uuid4()),
                   "TopicArn": topic, "Message": json.dumps(ses_event),
                   "Timestamp": _iso(timestamp or settings.now()), **extra}
        return self.sign(message, version)

    def subscription(self, *, topic: str = TOPIC, subscribe_url: str | None = None) -> dict:
        message = {"Type": "SubscriptionConfirmation", "MessageId": str(uuid.uuid4()),
                   "TopicArn": topic, "Token": "tok-123",
                   "Message": "You have chosen to subscribe to the topic.",
                   "SubscribeURL": subscribe_url or self.origin + "/confirm?Token=tok-123",
                   "Timestamp": _iso(settings.now())}
        return self.sign(message)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def bounce(ses_message_id: str, address: str, bounce_type: str = "Permanent",
           feedback_id: str | None = None) -> dict:
    """An SES Bounce event (SES's own notification shape)."""
    return {"notificationType": "Bounce",
            "bounce": {"bounceType": bounce_type,
                       "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
                       "bouncedRecipients": [{"emailAddress": address, "action": "failed",
                                              "status": "5.1.1",
                                              "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
                       "timestamp": _iso(settings.now()),
                       "feedbackId": feedback_id or str(uuid.uuid4())},
            "mail": {"messageId": ses_message_id, "destination": [address],
                     "source": "no-reply@jfw.localhost"}}


def complaint(ses_message_id: str, address: str) -> dict:
    return {"notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": address}],
                          "complaintFeedbackType": "abuse", "feedbackId": str(uuid.uuid4()),
                          "timestamp": _iso(settings.now())},
            "mail": {"messageId": ses_message_id, "destination": [address]}}


def delivery(ses_message_id: str, address: str) -> dict:
    """A Delivery as a configuration set publishes it (``eventType``)."""
    return {"eventType": "Delivery",
            "delivery": {"recipients": [address], "timestamp": _iso(settings.now())},
            "mail": {"messageId": ses_message_id, "destination": [address]}}
