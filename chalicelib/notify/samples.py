"""Sample data for every placeholder root a mail may use (``brand``, ``user``, ``payment``, ...).

One value for every key any event's template reads, so a template can be previewed (and the
catalog's defaults checked, tests/unit/test_event_catalog.py) without a real payment, license or
invoice. ``context_for(event)`` is the context an event's template sees: the roots it names in
its placeholders, plus ``brand`` and ``user``, which every mail has.
"""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.notify import templates
from chalicelib.notify.catalog import Event

_BRAND = {
    "id": "KdBrandSample01", "name": "Acme", "code": "ACME", "abbr": "ACME",
    "description": "Acme's apps", "profile": {"logo": "https://acme.example/logo.png",
                                              "website": "https://acme.example"},
    "setting": {"emailSupport": "support@acme.example", "emailSupportTitle": "Acme support",
                "systemEmail": "no-reply@acme.example", "systemEmailTitle": "Acme"},
    "domains": [{"domain": "acme.example", "isPrimary": True}],
}

SAMPLES: dict[str, Any] = {
    "brand": templates.brand_vars(_BRAND),
    "user": templates.user_vars(username="jane", email_address="jane@example.com",
                                first_name="Jane", last_name="Doe", nick_name=None,
                                expiry_date="2027-01-31 00:00 UTC"),
    "reset_password": {"link": "https://acme.example/reset?token=sample",
                       "expiry_minutes": 30, "expiry_date": "2026-12-04 12:30 UTC"},
    "change": {"date": "2026-12-04 12:00 UTC", "method": "reset"},
    "payment": {"code": "PAY-1001", "name": "Pro, 1 year", "amount": "49.00",
                "currency_code": "USD", "date": "2026-12-04 12:00 UTC",
                "merchant_ref_no": "ORDER-77", "status": "Completed",
                "refunded_amount": "49.00", "method": "Card"},
    "risk": {"reasons": "the amount paid differs from the payment's", "gateway": "Stripe",
             "notification_id": "evt_sample"},
    "license": {"code": "LIC-ABCD-1234", "codes": "LIC-ABCD-1234\nLIC-EFGH-5678",
                "package_name": "Pro", "expiry_date": "2027-12-04 12:00 UTC", "quantity": 2,
                "queued": False, "start_date": "2026-12-04 12:00 UTC", "days_left": 7,
                "default_package_name": "Free"},
    "downloads": [{"file_name": "acme-setup.exe", "url": "https://acme.example/d/sample",
                   "expires_at": "2026-12-11 12:00 UTC", "max_count": 5}],
    "invoice": {"code": "INV-2026-0042", "name": "Pro, 1 year", "type": "Post",
                "status": "Unpaid", "date": "2026-12-04 12:00 UTC",
                "due_date": "2026-12-18 12:00 UTC", "total": "49.00", "amount_paid": "0.00",
                "amount_due": "49.00", "currency_code": "USD",
                "link": "https://acme.example/i/sample",
                "link_expiry_date": "2027-01-03 12:00 UTC",
                "overdue_date": "2026-12-25 12:00 UTC", "period_start": "2026-12-18",
                "period_end": "2027-12-18", "reminder_count": 1,
                "pay_link": "https://acme.example/pay/sample"},
    "wallet": {"id": "KdWalletSample1", "code": "W-1001", "currency_code": "USD",
               "amount": "10.00", "balance": "25.00", "description": "Top-up",
               "type": "WalletAddMoney", "user": "jane (jane@example.com)",
               "reason": "the balance is 25.00 USD, the ledger sums to 20.00 USD"},
    "verification": {"code": "493817", "expiry_minutes": 10},
    "webhook": {"id": "we_sample1", "url": "https://acme.example/hooks/billing",
                "reason": "no delivery was accepted for 3 days (last answer: HTTP 503)",
                "disabled_date": "2026-12-21 12:00 UTC"},
}

ALWAYS = ("brand", "user")  # every mail's template sees these


def root_of(placeholder: str) -> str:
    """``payment.code`` -> ``payment``; ``downloads[].url`` -> ``downloads``."""
    return placeholder.split(".", 1)[0].split("[", 1)[0]


def context_for(event: Event) -> dict[str, Any]:
    """Sample context for one event's template: its placeholders' roots, ``brand`` and ``user``
    (a copy: a caller may change it)."""
    roots = {*ALWAYS, *(root_of(p) for p in event.placeholders)}
    return {r: copy.deepcopy(SAMPLES[r]) for r in roots if r in SAMPLES}


def missing_placeholders(event: Event) -> list[str]:
    """The event's placeholders the samples have no value for (``root.key``; lists by their
    first row)."""
    out = []
    for p in event.placeholders:
        root, _, rest = p.partition(".")
        name = root.split("[", 1)[0]
        value = SAMPLES.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None or (rest and (not isinstance(value, dict) or rest not in value)):
            out.append(p)
    return out
