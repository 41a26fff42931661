"""An overdue renewal invoice is also texted, where the brand turns the event's texts on and
the user confirmed a phone number (notify.texts_for at mark_overdue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import settings
from chalicelib.identity.models import UserItem, user_pk
from chalicelib.invoicing import renewals
from chalicelib.licensing import expiry
from chalicelib.notify import eventsettings
from chalicelib.payments.inbound import intake
from tests.helpers.api import Api, login, make_user, register_and_login
from tests.helpers.checkout import paypal_completion
from tests.helpers.licensing import Clock
from tests.helpers.payments import drain_outbox, payment, verify_sender
from tests.helpers.sms import texts_to

T0 = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
END = T0 + timedelta(days=30)  # PRO-30 bought at T0
PHONE = "+14155550123"


@pytest.fixture
def clock(aws_env):
    before = settings.get()
    settings._settings = before._replace(auth_key_ttl_hours=24 * 3650)
    c = Clock(T0)
    yield c
    settings.set_clock(None)
    settings._settings = before


@pytest.fixture
def admin(api, demo_brand, clock) -> Api:
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")


def test_overdue_renewal_is_texted_where_turned_on(admin, api, shop, paypal, demo_brand, clock):
    b = demo_brand["id"]
    verify_sender()
    buyer = register_and_login(api, "bob", email="bob@shop-buyers.com")
    url = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link")
    payment_id = parse_qs(urlsplit(url).query)["custom"][0]
    intake.apply(b, paypal_completion(payment(b, payment_id)), None)
    drain_outbox()
    user_id = buyer.ok("GET", "v1/users/me")["id"]
    UserItem.get(user_pk(b, user_id), "USER").update(
        actions=[UserItem.phone_number.set(PHONE), UserItem.confirmed_phone.set(PHONE)])
    eventsettings.save(b, "INVOICE.RENEWAL.OVERDUE", sms=True)
    clock.set(END - timedelta(days=6))
    renewals.run()
    clock.set(END + timedelta(days=3))
    expiry.run()
    assert renewals.run().get("overdue") == 1
    drain_outbox()
    [text] = texts_to(PHONE)  # only the overdue event is on: no text for the others
    assert text.startswith("Demo: renewal invoice ") and "your subscription has ended" in text
