"""What issue 15's channels cost per message: a mail with the brand's template vs the default,
the webhook fan-out per endpoint, a webhook signature and an SNS signature check.

In moto in-process, in the same run:
- a single GetItem (the baseline: the cheapest DynamoDB read there is),
- composing one mail (choose the template, render it) with the built-in default, then with the
  brand's own template saved: DynamoDB calls and time,
- the webhook fan-out of one event row for a brand with 0, 1 and 5 endpoints: DynamoDB calls
  and the items written with the event's Sent mark,
- signing a delivery (``webhooks.signing.header``) beside a bare HMAC-SHA256 of the same bytes,
- checking an SNS message (``notify.snsverify.verify``, certificate cached as in a warm Lambda)
  beside the bare RSA verify it ends in and the HMAC baseline.
moto's times are not DynamoDB's: the call counts and the ratios are the figures to compare.

Run: .venv/bin/python bench/notify.py
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.update({
    "JFW_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
})
for _name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
    os.environ.pop(_name, None)

RUNS = 200
TOPIC = "arn:aws:sns:us-east-1:123456789012:jfw-bench-ses-feedback"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-bench.pem"


def timed(fn: Callable[[], object], calls: list[str], runs: int = RUNS) -> tuple[float, int]:
    """Median milliseconds over ``runs`` and the DynamoDB calls one run makes."""
    fn()  # warm
    calls.clear()
    fn()
    per_run = len(calls)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), per_run


def line(label: str, ms: float, n: int | None, base: float, extra: str = "") -> None:
    if n is None:  # CPU only: compared with the HMAC baseline in ``extra``
        print(f"  {label:<52} {'':<20} {ms:9.4f} ms  {extra}")
        return
    print(f"  {label:<52} {n} DynamoDB call(s)   {ms:9.4f} ms  {ms / base:5.1f}x GetItem {extra}")


def sns_message(key, now: datetime) -> dict:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from chalicelib.notify import snsverify

    ses = {"notificationType": "Bounce", "mail": {"messageId": "bench-1"},
           "bounce": {"bounceType": "Permanent", "bouncedRecipients": [
               {"emailAddress": "gone@example.com"}]}}
    message = {"Type": "Notification", "MessageId": "m-1", "TopicArn": TOPIC,
               "Message": json.dumps(ses), "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
               "SignatureVersion": "2", "SigningCertURL": CERT_URL}
    sig = key.sign(snsverify.string_to_sign(message), padding.PKCS1v15(), hashes.SHA256())
    message["Signature"] = base64.b64encode(sig).decode()
    return message


def self_signed(key):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))


def main() -> None:
    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings

        settings.reload()
        from chalicelib.identity import brands
        from chalicelib.identity import service as identity  # registers the brand lookup
        from chalicelib.notify import emailtemplates, mailer, snsverify
        from chalicelib.notify.models import OutboxItem
        from chalicelib.store import bootstrap
        from chalicelib.store.base import connection
        from chalicelib.webhooks import deliveries, endpoints, signing
        from chalicelib.webhooks.schemas import EndpointBody

        bootstrap.create_all()
        brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
        b = brand["id"]
        brand_dto = identity.get_brand(b)

        calls: list[str] = []
        connection().client.meta.events.register(
            "before-call.dynamodb.*", lambda event_name, **_: calls.append(event_name))

        print(f"issue 15 channels (moto in-process, median of {RUNS})")
        base, _ = timed(lambda: _get_missing(OutboxItem), calls)
        line("GetItem baseline", base, 1, base)

        code = "PAYMENT.PROCESSED.SUCCESS"
        payload = {"eventCode": code, "to": "jane@example.com", "languageCode": "fr",
                   "context": {"user": {"name": "Jane"}, "payment": {
                       "code": "P-1", "name": "Pro", "amount": "19.99",
                       "currency_code": "USD"}}}
        ms, n = timed(lambda: mailer.compose(brand_dto, payload), calls)
        line("compose a mail, built-in default", ms, n, base)
        emailtemplates.save_template(b, code, subject="Merci, {{ user.name }}",
                                     body="<p>{{ payment.code }}: {{ payment.amount }} "
                                          "{{ payment.currency_code }}</p>",
                                     language_code="fr")
        ms, n = timed(lambda: mailer.compose(brand_dto, payload), calls)
        used = mailer.compose(brand_dto, payload)[0].source
        line("compose a mail, the brand's French template", ms, n, base, f"(source: {used})")

        def fan(k: int) -> Callable[[], object]:
            return lambda: deliveries.fan_out(b, code, {"paymentId": "p1"}, f"ev-{k}")

        for k in (0, 1, 5):
            while len(endpoints.for_brand(b)) < k:
                endpoints.create(b, EndpointBody(url="https://hooks.example.com/jfw",
                                                 enabledEvents=["*"]), None)
            ms, n = timed(fan(k), calls, runs=50)
            items = len(fan(k)())
            line(f"webhook fan-out of one event, {k} endpoint(s)", ms, n, base,
                 f"-> {items} item(s) written with the Sent mark")

        body = json.dumps({"id": "ev", "type": code, "data": {"x": "y" * 2000}}).encode()
        secret = signing.new_secret()
        ts = int(time.time())
        bare, _ = timed(lambda: hmac.new(secret.encode(), f"{ts}.".encode() + body,
                                         hashlib.sha256).hexdigest(), calls, runs=2000)
        line("bare HMAC-SHA256 of a 2 kB body (CPU baseline)", bare, None, base, "1.0x HMAC")
        ms, _ = timed(lambda: signing.header([secret], ts, body), calls, runs=2000)
        line("webhooks.signing.header, one secret", ms, None, base, f"{ms / bare:.1f}x HMAC")
        both = [secret, signing.new_secret()]
        ms, _ = timed(lambda: signing.header(both, ts, body), calls, runs=2000)
        line("webhooks.signing.header, two secrets (rollover)", ms, None, base,
             f"{ms / bare:.1f}x HMAC")

        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = self_signed(key)
        snsverify._certs[CERT_URL] = cert  # as a warm Lambda has it after the first message
        settings._settings = settings.get()._replace(ses_feedback_topic_arn=TOPIC)
        now = datetime.now(UTC)
        message = sns_message(key, now)
        signed = snsverify.string_to_sign(message)
        raw_sig = base64.b64decode(message["Signature"])
        pub = cert.public_key()
        ms_rsa, _ = timed(lambda: pub.verify(raw_sig, signed, padding.PKCS1v15(),
                                             hashes.SHA256()), calls, runs=2000)
        line("bare RSA-2048 verify (cryptography)", ms_rsa, None, base,
             f"{ms_rsa / bare:.1f}x HMAC")
        ms, _ = timed(lambda: snsverify.verify(message, now), calls, runs=2000)
        line("snsverify.verify (cert cached)", ms, None, base,
             f"{ms / bare:.1f}x HMAC, {ms / ms_rsa:.2f}x bare RSA")


def _get_missing(model) -> object:
    try:
        return model.get("BENCH#NONE", "NONE")
    except model.DoesNotExist:
        return None


if __name__ == "__main__":
    main()
