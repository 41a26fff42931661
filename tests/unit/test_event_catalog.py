"""The event catalog (notify/catalog.py): every event the code mails is in it, and every event's
default subject and body (and text message, if it has one) render with the sample data
(notify/samples.py) under a strict undefined, seeing only its declared placeholders plus
``brand`` and ``user``: a template that reads a name it does not declare fails here, not in a
user's inbox."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from liquid import Environment, StrictUndefined

from chalicelib.notify import catalog, events, samples
from chalicelib.wallet import events as wallet_events

ROOT = Path(__file__).resolve().parents[2] / "chalicelib"
CODE = re.compile(r"""["']([A-Z][A-Z-]*(?:\.[A-Z][A-Z-]*){2,})["']""")
EVENTS = list(catalog.EVENTS.values())

# Codes that appear in mailing modules but are events no one is mailed about, with the reason.
NOT_MAILED = {
    "WALLET.CONVERT.DEBITED": "the debited side of a conversion; the credited side is mailed",
    "WALLET.PAYMENT.SUCCESS": "a purchase paid from the wallet is told by the payment's mails",
}


def _strict(html: bool) -> Environment:
    return Environment(undefined=StrictUndefined, autoescape=html)


def _declared_context(event: catalog.Event) -> dict:
    """``brand`` and ``user`` in full; of the other roots only the declared keys."""
    context = {root: samples.SAMPLES[root] for root in samples.ALWAYS}
    for placeholder in event.placeholders:
        root, _, key = placeholder.partition(".")
        name = samples.root_of(placeholder)
        sample = samples.SAMPLES[name]
        if root.endswith("[]"):
            rows = context.setdefault(name, [{}])
            rows[0][key] = sample[0][key]
        elif key:
            context.setdefault(name, {})[key] = sample[key]
        else:
            context[name] = sample
    return context


def _mailing_modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py")
            if "notify" not in p.parts and "notify.mail(" in p.read_text()]


def _codes_in(path: Path) -> set[str]:
    return set(CODE.findall(path.read_text()))


@pytest.mark.parametrize("event", EVENTS, ids=[e.code for e in EVENTS])
def test_every_default_renders_with_the_samples(event):
    assert not samples.missing_placeholders(event), "add these to notify/samples.py SAMPLES"
    context = _declared_context(event)
    if events.webhook_only(event):  # no text to render: only webhooks carry it
        assert event in catalog.WEBHOOK_ONLY_EVENTS and not event.placeholders
        return
    assert event.body or event.sms, "an event sends a mail, a text, or both"
    if event.body:
        subject = _strict(False).from_string(event.subject).render(**context)
        body = _strict(True).from_string(event.body).render(**context)
        assert subject.strip() and "{{" not in subject and "{%" not in subject
        assert body.strip() and "{{" not in body and "{%" not in body
        assert "Acme" in subject + body  # the brand is named
    if event.sms:  # a text message: plain text, no escaping
        text = _strict(False).from_string(event.sms).render(**context)
        assert text.strip() and "{{" not in text and "{%" not in text


@pytest.mark.parametrize("event", EVENTS, ids=[e.code for e in EVENTS])
def test_every_event_is_described(event):
    assert event.description and event.name and event.group
    assert event.code.split(".")[0] == event.group
    assert re.fullmatch(r"[A-Z][A-Z-]*(\.[A-Z][A-Z-]*){2,}", event.code)
    assert catalog.event_by_id(event.id) is event and catalog.event_by_id(event.code) is event


def test_ids_are_unique_and_stable():
    assert len({e.id for e in EVENTS}) == len(EVENTS)
    # uuid5 of the code: the same on every deploy and stage (brand templates name it).
    assert catalog.event_id("USER.PASSWORD.CHANGED") == catalog.PASSWORD_CHANGED.id
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://jfw-billing/events")
    assert catalog.PASSWORD_CHANGED.id == str(uuid.uuid5(namespace, "USER.PASSWORD.CHANGED"))


def test_every_code_a_webhook_can_carry_is_in_the_catalog():
    from chalicelib.payments import effects
    from chalicelib.payments.constants import STATUSES

    codes = {*effects.EVENT_CODES.values(), *(f"PAYMENT.STATUS.{s.upper()}" for s in STATUSES),
             *wallet_events.MAILED, *NOT_MAILED, "LICENSE.STATE.CHANGED", "WEBHOOK.ENDPOINT.PING"}
    assert codes - set(catalog.EVENTS) == set()


def test_every_code_the_code_mails_is_in_the_catalog():
    modules = _mailing_modules()
    assert len(modules) >= 8, [str(p) for p in modules]  # recovery, payments, licensing, ...
    fired = {code: path.relative_to(ROOT.parent) for path in modules for code in _codes_in(path)}
    missing = {c: str(p) for c, p in fired.items()
               if c not in catalog.EVENTS and c not in NOT_MAILED}
    assert not missing, f"mailed but not in notify/catalog.py: {missing}"
    # What wallet/events.py mails is in the catalog; what it does not mail is known here.
    assert wallet_events.MAILED <= set(catalog.EVENTS)
    assert not set(NOT_MAILED) & wallet_events.MAILED
    # The constants callers use name catalog events too.
    assert {catalog.PASSWORD_RESET_REQUESTED.code, catalog.PASSWORD_CHANGED.code} <= set(
        catalog.EVENTS)


def test_samples_render_a_list_placeholder():
    event = catalog.PAYMENT_DOWNLOADS_READY
    body = _strict(True).from_string(event.body).render(**samples.context_for(event))
    assert "acme-setup.exe" in body and 'href="https://acme.example/d/sample"' in body
