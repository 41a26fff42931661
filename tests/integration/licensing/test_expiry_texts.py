"""The "expiring soon" reminder is also texted, where the brand turns the event's texts on and
the user confirmed a phone number (notify.texts_for at the reminder's call site)."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.identity.models import UserItem
from chalicelib.licensing import expiry
from chalicelib.notify import eventsettings
from tests.helpers import payments as ps
from tests.helpers.licensing import T0, new_license, user_id_of, user_item
from tests.helpers.sms import sns_sent, texts_to

EXPIRY = T0 + timedelta(days=30)
PHONE = "+14155550123"


def test_reminder_is_texted_only_when_the_brand_turns_it_on(demo_brand, admin, alice, shop,
                                                            clock):
    b = demo_brand["id"]
    user = user_item(b, user_id_of(alice))
    user.update(actions=[UserItem.phone_number.set(PHONE), UserItem.confirmed_phone.set(PHONE)])
    lic = new_license(admin, shop["pro"])[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    ps.verify_sender()
    clock.set(EXPIRY - timedelta(days=7) + timedelta(minutes=1))
    assert expiry.run()["reminded"] == 1
    ps.drain_outbox()
    assert sns_sent() == []  # texts of this event are off unless the brand turns them on
    eventsettings.save(b, "LICENSE.EXPIRING.SOON", sms=True)
    clock.set(EXPIRY - timedelta(days=1) + timedelta(minutes=1))
    assert expiry.run()["reminded"] == 1
    ps.drain_outbox()
    [text] = texts_to(PHONE)
    assert text.startswith("Demo: your Pro ends on ")
    assert len(ps.sent_mails(b)) >= 2  # the mails still go
