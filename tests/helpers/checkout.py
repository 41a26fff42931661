"""Helpers shared by the checkout, gateway, black-list and commission tests (their fixtures:
tests/integration/payments/conftest.py)."""

from __future__ import annotations

import json
import re
import zlib
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from chalicelib import settings
from tests.helpers.api import Api

SIMULATOR_URL = "http://127.0.0.1:9/paypal-sim"  # never called: checkout only builds URLs

STRIPE_BODY = {"appIntegrationId": "stripe", "name": "Stripe",
               "returnLink": "https://demo.test/paid", "cancelLink": "https://demo.test/cancel",
               "publicKey": "pk_test_demo", "privateKey": "sk_test_51HxSecretKeyValue9876",
               "webhookSecret": "whsec_SigningSecretValue1234", "testMode": True}
PAYPAL_BODY = {"appIntegrationId": "paypal", "name": "PayPal",
               "returnLink": "https://demo.test/paid", "cancelLink": "https://demo.test/cancel",
               "paypalReceiverEmail": "seller@demo.test", "paypalMode": "sandbox",
               "testMode": True}


def checkout_link(buyer: Api, price_id: str, **query: str) -> str:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return buyer.ok("POST", f"v1/prices/{price_id}/generate-checkout-link" + (f"?{q}" if q
                                                                            else ""))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def payments_of(brand_id: str) -> list:
    """Every payment item of the brand (the listing index)."""
    from chalicelib.payments import models as m

    return list(m.PaymentItem.gsi1.query(m.payments_gsi(brand_id)))


def raw_items(prefix: str) -> list[dict]:
    """Items of the payments table whose pk starts with ``prefix``, as DynamoDB stores them."""
    from chalicelib.store import aws

    out = []
    for pg in aws.client("dynamodb").get_paginator("scan").paginate(
            TableName=settings.get().table_name("payments"), ConsistentRead=True):
        out += [i for i in pg["Items"] if i["pk"]["S"].startswith(prefix)]
    return out


def raw_text(items: list[dict]) -> str:
    """The items as text to search, binary values included: a compressed one (a notification's
    body, payments/models.CompressedBytesAttribute) as what it holds, others byte for byte."""
    return json.dumps(items, sort_keys=True, default=_readable)


def _readable(value: object) -> str:
    if not isinstance(value, bytes | bytearray):
        raise TypeError(f"{type(value).__name__} in a stored item")
    try:
        return zlib.decompress(value).decode("latin-1")
    except zlib.error:
        return bytes(value).decode("latin-1")


def error_of(resp) -> dict:
    env = resp.json_body
    assert env["success"] is False and env["data"] is None
    return env["errors"][0]


def outbox_rows(brand_id: str, kind: str | None = None) -> list:
    """The brand's outbox effects (a Scan: fine in tests), oldest first: rows, and each effect
    of a bundle row as a row of its own kind (notify.outbox.effects)."""
    from chalicelib.notify.models import OutboxItem
    from chalicelib.notify.outbox import effects

    rows = [e for r in OutboxItem.scan(OutboxItem.pk.startswith(f"B#{brand_id}#OUTBOX#"))
            for e in effects(r) if kind is None or e.kind == kind]
    return sorted(rows, key=lambda r: r.created_date)


def holder_id(effect) -> str:
    """The outbox id of the row holding ``effect`` (itself, or the bundle it is part of): what
    an SQS message names and ``jobs.process`` takes."""
    return effect.pk.rsplit("#OUTBOX#", 1)[1]


def paypal_completion(payment, receiver: str = "seller@demo.test", amount: int | None = None):
    """A verified PayPal Completed IPN about ``payment``, normalised (as the intake gets it)."""
    from chalicelib.payments.gateways.events import GatewayEvent

    return GatewayEvent(
        gateway="paypal", dedupe_key=f"TXN{payment.id}:Completed", kind="payment.succeeded",
        event_type="web_accept/Completed", occurred_at=settings.now(), payment_ref=payment.id,
        merchant_ref=f"TXN{payment.id}", amount_minor=payment.amount_minor if amount is None
        else amount, currency=payment.currency, fee_minor=50, receiver=receiver,
        receiver_matches=True, jfw_status="Completed", test_mode=True)


# -- the hosted page's Content-Security-Policy ----------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def csp_of(resp) -> dict[str, list[str]]:
    header = resp.headers.get("Content-Security-Policy") or ""
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def _allowed(url: str, sources: list[str]) -> bool:
    """A URL against a CSP source list (the host-source forms this page's policy uses)."""
    parts = urlsplit(url)
    for src in sources:
        m = re.fullmatch(r"(https?)://(\*\.)?([^/:]+)(:\d+)?", src)
        if not m:
            continue
        scheme, wild, host, port = m.groups()
        if parts.scheme != scheme or (port or "") != (f":{parts.port}" if parts.port else ""):
            continue
        if parts.hostname == host or (wild and (parts.hostname or "").endswith("." + host)):
            return True
    return False


def assert_page_obeys_its_csp(resp, js_origin: str, api_origin: str) -> None:
    """What a browser enforcing the page's policy would let run: every script and style of the
    page, Stripe.js from ``js_origin`` and its calls to ``api_origin``; nothing inline without
    the answer's nonce, and no framing of the page."""
    csp = csp_of(resp)
    assert csp, "no Content-Security-Policy header"
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["base-uri"] == ["'none'"]
    for directive in csp.values():
        assert "'unsafe-inline'" not in directive and "'unsafe-eval'" not in directive
        assert "*" not in directive and "https:" not in directive
    [nonce] = [s[len("'nonce-"):-1] for s in csp["script-src"] if s.startswith("'nonce-")]
    assert csp["style-src"] == [f"'nonce-{nonce}'"] and len(nonce) >= 16
    page = resp.body.decode()
    tags = _Tags()
    tags.feed(page)
    scripts = [a for t, a in tags.tags if t == "script" and a.get("type") != "application/json"]
    assert scripts, "the page runs no script"
    for attrs in scripts:
        assert attrs.get("nonce") == nonce or (attrs.get("src") and _allowed(
            attrs["src"], csp["script-src"])), attrs
    assert any(a.get("src", "").startswith(js_origin) for a in scripts)
    assert _allowed(api_origin + "/v1/payment_intents", csp["connect-src"])
    for tag, attrs in tags.tags:
        assert tag != "style" or attrs.get("nonce") == nonce
        assert "style" not in attrs and not any(k.startswith("on") for k in attrs), (tag, attrs)
