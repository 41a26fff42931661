"""Helpers shared by the licensing core tests (their fixtures: tests/integration/licensing/
conftest.py): the movable Clock, the shop, licenses, payloads and mails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import settings
from tests.helpers.api import Api

T0 = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves (settings.set_clock)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start
        settings.set_clock(lambda: self.now)

    def move(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


def user_item(brand_id: str, user_id: str) -> Any:
    from chalicelib.identity import users

    return users.get_item(brand_id, user_id)


def user_id_of(api: Api) -> str:
    return api.ok("GET", "v1/users/me")["id"]


def set_policy(brand_id: str, **values: Any) -> None:
    from chalicelib.identity import brands

    brands.update_setting(brand_id, values)


def new_license(admin: Api, package_id: str, *, subtype: str | None = "D30",
                start: datetime | None = None, end: datetime | None = None,
                quantity: int = 1, **extra: Any) -> list[dict]:
    """Create licenses through the API; returns the new ones (newest first)."""
    start = start or settings.now() - timedelta(days=1)
    end = end or settings.now() + timedelta(days=60)
    before = {x["id"] for x in admin.ok("GET", "v1/licenses?pageSize=1000")["items"]}
    body = {"packageId": package_id, "subscriptionTypeId": subtype, "amount": 10,
            "currencyCode": "USD", "startDate": start.isoformat(), "endDate": end.isoformat(),
            "quantity": quantity, **extra}
    made = admin.ok("POST", "v1/licenses", body)
    assert made["countSuccess"] == quantity and len(made["ids"]) == quantity
    items = admin.ok("GET", "v1/licenses?pageSize=1000")["items"]
    got = [x for x in items if x["id"] not in before]
    assert {x["id"] for x in got} == set(made["ids"])
    return got


def mails(brand_id: str, event_code: str | None = None, to: str | None = None) -> list[Any]:
    """Outbox mail effects of the brand (a Scan: test helper only; a bundle's mails too)."""
    from chalicelib.notify.models import OutboxItem
    from chalicelib.notify.outbox import effects

    return [r for b in OutboxItem.scan() for r in effects(b)
            if r.brand_id == brand_id and r.kind == "mail"
            and (event_code is None or r.payload.get("eventCode") == event_code)
            and (to is None or r.payload.get("to") == to)]


def licensing_items(kind: type) -> list[Any]:
    """Every licensing item of a type (a Scan: test helper only)."""
    from chalicelib.licensing import models as m

    return [i for i in m.LicensingRecord.scan() if isinstance(i, kind)]


def success_payload(brand: dict, user_id: str | None, package_id: str, price_id: str | None,
                    *, subtype: str | None = "D30", amount: int = 2000,
                    email: str | None = "alice@example.com", quote: dict | None = None,
                    gateway_id: str = "gw-none") -> dict[str, Any]:
    """A PAYMENT.PROCESSED.SUCCESS payload as payments builds it, for a real payment item."""
    from chalicelib.payments import service
    from chalicelib.payments.inbound import intake

    payment = service.create_payment(
        brand, amount_minor=amount, currency="USD", gateway_id=gateway_id, gateway_type="stripe",
        user_id=user_id, user_email=email, user_name="alice", package_id=package_id,
        price_id=price_id, subscription_type_id=subtype, quote=quote or {}, test_mode=True)
    after = {"status": "Completed", "payment_date": settings.now(),
             "amount_gross_minor": amount}
    payload = intake.event_payload(payment, after, None, "Completed", None)
    payload["brandId"] = brand["id"]
    payload["eventId"] = f"evt-{payment.id}"
    return payload


def refund_payload(success: dict[str, Any], refunded: int | None = None) -> dict[str, Any]:
    """The refund event that followed ``success`` (the payment's next version); ``refunded``:
    the total refunded (None: an event without the figure, taken as a full refund)."""
    out = {**success, "event": "PAYMENT.PROCESSED.REFUNDED", "status": "Refunded",
           "fulfil": False, "eventId": success["eventId"] + "-refund",
           "paymentVersion": int(success.get("paymentVersion") or 0) + 1}
    if refunded is not None:
        out["refundedMinor"] = refunded
    return out


def licensing_shop(demo_brand: dict) -> dict[str, Any]:
    """BASIC (the default, free), PRO and GOLD with 30-day USD prices, PRO also one-time."""
    from chalicelib.catalog import service

    b = demo_brand["id"]
    basic = service.create_package(b, {"code": "BASIC", "name": "Basic", "isFree": True})
    pro = service.create_package(b, {"code": "PRO", "name": "Pro"})
    gold = service.create_package(b, {"code": "GOLD", "name": "Gold"})

    def price(package: dict, code: str, amount: str, subtype: str | None = "D30",
              model: str | None = None) -> str:
        body = {"packageId": package["id"], "subscriptionTypeId": subtype, "code": code,
                "name": code, "amount": amount, "currency": "USD"}
        if model:
            body["pricingModel"] = model
        return service.create_price(b, body)["id"]

    return {"basic": basic["id"], "pro": pro["id"], "gold": gold["id"],
            "pro_price": price(pro, "PRO-30", "20.00"),
            "gold_price": price(gold, "GOLD-30", "30.00"),
            "pro_lifetime": price(pro, "PRO-LIFE", "99.00", None, "OneTime")}
