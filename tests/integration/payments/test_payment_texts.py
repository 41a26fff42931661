"""A completed payment is also texted to its buyer, where the brand turns the event's texts on
and the buyer confirmed a phone number (the row names the user; the number is read at send)."""

from __future__ import annotations

from chalicelib.identity import users
from chalicelib.identity.models import UserItem, user_pk
from chalicelib.notify import eventsettings
from tests.helpers import payments as ps
from tests.helpers.sms import sns_sent, texts_to

PHONE = "+14155550123"
PAID = "PAYMENT.PROCESSED.SUCCESS"


def buyer(brand: dict, confirmed: bool = True) -> str:
    made = users.register(brand, password="s3cret-Pass", username="bob",
                          email_address="buyer@example.com", phone_number=PHONE)
    if confirmed:
        UserItem.get(user_pk(brand["id"], made["id"]), "USER").update(
            actions=[UserItem.confirmed_phone.set(PHONE)])
    return made["id"]


def test_a_completed_payment_is_texted_where_turned_on(client, demo_brand):
    gw = ps.make_gateway(demo_brand, "stripe")
    ps.verify_sender()
    user_id = buyer(demo_brand)
    off = ps.make_payment(demo_brand, gw, user_id=user_id)
    assert ps.post_stripe(client, gw, ps.pi_event(off.id, pi_id="pi_off")).status_code == 200
    ps.drain_outbox()
    assert sns_sent() == []  # off unless the brand turns it on
    eventsettings.save(demo_brand["id"], PAID, sms=True)
    on = ps.make_payment(demo_brand, gw, user_id=user_id)
    assert ps.post_stripe(client, gw, ps.pi_event(on.id, pi_id="pi_on")).status_code == 200
    ps.drain_outbox()
    [text] = texts_to(PHONE)
    assert text == f"Demo: we received your payment {on.code} of 19.99 USD. Thank you!"


def test_an_unconfirmed_number_gets_no_text(client, demo_brand):
    gw = ps.make_gateway(demo_brand, "stripe")
    ps.verify_sender()
    eventsettings.save(demo_brand["id"], PAID, sms=True)
    pay = ps.make_payment(demo_brand, gw, user_id=buyer(demo_brand, confirmed=False))
    assert ps.post_stripe(client, gw, ps.pi_event(pay.id)).status_code == 200
    ps.drain_outbox()
    assert sns_sent() == []
    assert len(ps.sent_mails(demo_brand["id"])) >= 1  # the mail still goes
