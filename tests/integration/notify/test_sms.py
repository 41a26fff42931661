"""Text messages end to end: the catalog's texting events, a brand's phone templates (JFW's
``v1/events/{id}/phone-templates``), ``texts_for`` (0 or 1 ``sms`` rows), the outbox consumer
sending through SNS, the delivery log and ``v1/dev/texts``."""

from __future__ import annotations

import pytest

from chalicelib import settings
from chalicelib.identity import users
from chalicelib.identity.models import UserItem, user_pk
from chalicelib.notify import catalog, eventsettings, segments
from chalicelib.notify import service as notify
from chalicelib.notify.models import (
    OutboxItem,
    PhoneTemplateItem,
    SentMailItem,
    phone_template_pk,
    sent_mail_pk,
)
from chalicelib.store.tx import transaction
from tests.helpers.api import login, make_user, register_and_login
from tests.helpers.mail import drain
from tests.helpers.sms import sns_sent, texts_to

PHONE = "+14155550123"
PAID = "PAYMENT.PROCESSED.SUCCESS"
TEXTING = {"USER.PHONE.VERIFICATION-CODE-SENT", PAID, "LICENSE.EXPIRING.SOON",
           "INVOICE.RENEWAL.OVERDUE", "USER.PASSWORD.RESET-REQUESTED"}
IEVENT = {"id", "guid", "createdDate", "groupCodeName", "code", "name", "description",
          "trackingLevel", "tags", "zOrder", "status", "isSystem"}
PAID_CONTEXT = {"user": notify.user_vars(username="tess"),
                "payment": {"code": "P-1", "amount": "9.99", "currency_code": "USD"}}


def templates_path(event: str = PAID) -> str:
    return f"v1/events/{event}/phone-templates"


def user_with_phone(brand: dict, username: str = "tess", *, confirmed: bool = True,
                    language_code: str = "en") -> UserItem:
    made = users.register(brand, password="s3cret-Pass", username=username,
                          email_address=f"{username}@example.com", phone_number=PHONE)
    item = UserItem.get(user_pk(brand["id"], made["id"]), "USER")
    item.update(actions=[UserItem.language_code.set(language_code),
                         *([UserItem.confirmed_phone.set(PHONE)] if confirmed else [])])
    return UserItem.get(user_pk(brand["id"], made["id"]), "USER")


def send(rows: list[OutboxItem]) -> None:
    with transaction() as tx:
        notify.add(tx, rows)
    notify.publish(rows)
    drain()


def sms_rows() -> list[OutboxItem]:
    return [r for r in OutboxItem.scan(OutboxItem.sk == "OUTBOX") if r.kind == "sms"]


def text_on(brand: dict, code: str = PAID) -> None:
    eventsettings.save(brand["id"], code, sms=True)


# -- the catalog's texting events ---------------------------------------------------------------

def test_events_that_text_are_listed_as_ievents(admin):
    events = admin.ok("GET", "v1/events/phone-templates")
    assert {e["code"] for e in events} == TEXTING
    for e in events:
        assert set(e) >= IEVENT and e["id"] == catalog.event_id(e["code"]) == e["guid"]
        assert e["status"] == "Active" and e["isSystem"] is True


def test_plain_users_may_not_read_or_write_texts(api):
    user = register_and_login(api, "plain")
    assert user.get("v1/events/phone-templates").status_code == 403
    assert user.put(templates_path(), {"content": "hi"}).status_code == 403
    assert api.get("v1/events/phone-templates").status_code == 401


def test_default_text_by_id_or_code(admin):
    event = catalog.event(PAID)
    for ref in (event.id, event.code):
        assert admin.ok("GET", f"{templates_path(ref)}/default?languageCode=fr") == {
            "languageCode": "fr", "content": event.sms}
    got = admin.ok("GET", templates_path(event.id))
    assert got["id"] is None and got["isDefault"] is True and got["content"] == event.sms
    assert got["languageCode"] == "en" and got["status"] == "Active"
    assert set(got["event"]) >= IEVENT and got["event"]["code"] == PAID


@pytest.mark.parametrize("ref", ["nope", "USER.PASSWORD.CHANGED",
                                 catalog.event_id("USER.PASSWORD.CHANGED")])
def test_unknown_or_untextable_event_is_404(admin, ref):
    assert admin.get(templates_path(ref)).status_code == 404
    assert admin.put(templates_path(ref), {"content": "hi"}).status_code == 404
    assert admin.get(f"{templates_path(ref)}/default").status_code == 404


# -- a brand's own text -------------------------------------------------------------------------

def test_brand_text_is_saved_read_used_and_deleted(admin, mail_env, demo_brand):
    text_on(demo_brand)
    saved = admin.ok("PUT", templates_path(), {
        "languageCode": "en", "content": "{{ brand.name }} got {{ payment.amount }}, ta!",
        "status": "Active"})
    assert saved["id"] and saved["isDefault"] is False and saved["createdDate"]
    assert saved["event"]["code"] == PAID
    assert admin.ok("GET", templates_path()) == saved
    user = user_with_phone(demo_brand)
    send(notify.texts_for(demo_brand["id"], PAID, user, PAID_CONTEXT))
    assert texts_to(PHONE) == ["Demo got 9.99, ta!"]
    # Replaced in place: same id, same createdDate.
    again = admin.ok("PUT", templates_path(), {"languageCode": "en", "content": "Thanks!"})
    assert again["id"] == saved["id"] and again["createdDate"] == saved["createdDate"]
    assert admin.ok("DELETE", f"{templates_path()}?languageCode=en") is True
    assert admin.ok("GET", templates_path())["isDefault"] is True
    assert admin.delete(f"{templates_path()}?languageCode=en").status_code == 404
    send(notify.texts_for(demo_brand["id"], PAID, user, PAID_CONTEXT))
    assert texts_to(PHONE)[-1].startswith("Demo: we received your payment P-1 of 9.99 USD")


def test_language_choice_and_inactive_texts(admin, mail_env, demo_brand):
    text_on(demo_brand)
    admin.ok("PUT", templates_path(), {"languageCode": "fr", "content": "Merci !"})
    admin.ok("PUT", templates_path(), {"languageCode": "en", "content": "Thanks!",
                                       "status": "Inactive"})
    french = user_with_phone(demo_brand, "fifi", language_code="fr")
    send(notify.texts_for(demo_brand["id"], PAID, french, PAID_CONTEXT))
    assert texts_to(PHONE) == ["Merci !"]
    # German: no German text, the English one is Inactive, so the default.
    german = user_with_phone(demo_brand, "gerd", language_code="de")
    send(notify.texts_for(demo_brand["id"], PAID, german, PAID_CONTEXT))
    assert texts_to(PHONE)[-1].startswith("Demo: we received your payment")
    assert admin.ok("GET", f"{templates_path()}?languageCode=en")["status"] == "Inactive"


@pytest.mark.parametrize(("body", "error"), [
    ({"content": "<b>Paid</b> {{ payment.code }}"}, "PHONE_TEMPLATE_INVALID"),
    ({"content": "Paid {% if %}"}, "PHONE_TEMPLATE_INVALID"),
    ({"content": "Paid {{ payment.code "}, "PHONE_TEMPLATE_INVALID"),
    ({"content": "   "}, "PHONE_TEMPLATE_INVALID"),
    ({"content": "x" * 1531}, "PHONE_TEMPLATE_TOO_LONG"),  # 11 GSM-7 segments
    ({"content": "ą" * 671}, "PHONE_TEMPLATE_TOO_LONG"),  # 11 UCS-2 segments
    ({"content": "{% for i in (1..200) %}0123456789{% endfor %}"}, "PHONE_TEMPLATE_TOO_LONG"),
    ({"content": "x" * 2001}, None),
    ({"content": "ok", "status": "Paused"}, None),
    ({"content": "ok", "languageCode": "english!"}, None),
    ({"content": "{% include 'secrets' %}"}, "PHONE_TEMPLATE_INVALID"),
    ({}, None),
])
def test_bad_texts_are_refused_and_write_nothing(admin, body, error):
    resp = admin.put(templates_path(), body)
    assert resp.status_code == 400, resp.body
    if error:
        assert resp.json_body["errors"][0]["code"] == error
    assert admin.ok("GET", templates_path())["isDefault"] is True


def test_the_longest_text_allowed_fits_ten_segments(admin):
    assert admin.ok("PUT", templates_path(), {"content": "x" * 1530})["content"] == "x" * 1530


def test_a_brand_sees_only_its_own_texts(admin, mail_env, demo_brand, other_brand):
    admin.ok("PUT", templates_path(), {"content": "Demo only"})
    make_user(other_brand, "oboss", "Admin")
    theirs = login(admin.as_(brand_url=other_brand["domains"][0]["domain"]), "oboss")
    assert theirs.ok("GET", templates_path())["isDefault"] is True
    assert theirs.delete(templates_path()).status_code == 404
    assert admin.ok("GET", templates_path())["content"] == "Demo only"


# -- who gets a text ----------------------------------------------------------------------------

def test_texts_for_needs_the_event_on_and_a_confirmed_phone(mail_env, demo_brand):
    brand_id = demo_brand["id"]
    user = user_with_phone(demo_brand)
    assert notify.texts_for(brand_id, PAID, user, PAID_CONTEXT) == []  # off by default
    assert notify.texts_for(brand_id, "USER.PASSWORD.CHANGED", user, {}) == []  # no text
    text_on(demo_brand)
    unconfirmed = user_with_phone(demo_brand, "uma", confirmed=False)
    assert notify.texts_for(brand_id, PAID, unconfirmed, PAID_CONTEXT) == []
    assert notify.texts_for(brand_id, PAID, None, PAID_CONTEXT) == []
    [row] = notify.texts_for(brand_id, PAID, user, PAID_CONTEXT)
    assert row.kind == "sms" and row.payload["to"] == PHONE
    send([row])
    [message] = texts_to(PHONE)
    assert message == "Demo: we received your payment P-1 of 9.99 USD. Thank you!"
    # Logged as a text (JFW's Tracking Email, channel Sms), and in the dev list.
    [log] = [i for i in SentMailItem.query(sent_mail_pk(brand_id)) if i.channel == "Sms"]
    assert log.to == PHONE and log.body == message and log.event_code == PAID
    assert log.subject is None and log.template_source == "default"
    assert notify.sent_mails(brand_id) == []  # the mail log shows mails only
    [dev] = notify.all_sent_texts()
    assert dev["body"] == message and dev["to"] == PHONE
    assert OutboxItem.get(row.pk, "OUTBOX").result["segments"] == 1


def test_a_text_turned_off_after_it_was_queued_is_not_sent(mail_env, demo_brand):
    text_on(demo_brand)
    rows = notify.texts_for(demo_brand["id"], PAID, user_with_phone(demo_brand), PAID_CONTEXT)
    eventsettings.save(demo_brand["id"], PAID, sms=False)
    send(rows)
    assert sns_sent() == []
    [row] = sms_rows()
    assert row.status == "Sent" and row.result == {"skipped": "texts turned off"}


def test_a_row_naming_a_user_reads_the_confirmed_number_when_sent(mail_env, demo_brand):
    text_on(demo_brand)
    confirmed = user_with_phone(demo_brand)
    unconfirmed = user_with_phone(demo_brand, "uma", confirmed=False)
    rows = (notify.texts_for(demo_brand["id"], PAID, confirmed.id, PAID_CONTEXT)
            + notify.texts_for(demo_brand["id"], PAID, unconfirmed.id, PAID_CONTEXT))
    assert len(rows) == 2
    send(rows)
    assert len(texts_to(PHONE)) == 1
    results = sorted(str(r.result) for r in sms_rows())
    assert "no confirmed phone number" in results[1] or "no confirmed phone number" in results[0]


def test_a_text_is_cut_at_ten_segments(mail_env, demo_brand):
    text_on(demo_brand)
    long = {**PAID_CONTEXT, "payment": {**PAID_CONTEXT["payment"], "code": "P" * 5000}}
    send(notify.texts_for(demo_brand["id"], PAID, user_with_phone(demo_brand), long))
    [message] = texts_to(PHONE)
    assert segments.count(message).segments == 10 and len(message) == 1530
    [row] = sms_rows()
    assert row.result["segments"] == 10 and row.result["encoding"] == "GSM-7"


def test_a_broken_brand_text_falls_back_to_the_default(admin, mail_env, demo_brand):
    text_on(demo_brand)
    # Saved before a check that refuses it (stored directly): the text still goes out.
    PhoneTemplateItem(phone_template_pk(demo_brand["id"], PAID), "LANG#en", id="t1",
                      brand_id=demo_brand["id"], event_code=PAID, language_code="en",
                      content="{{ payment.code | nope_filter }}",
                      created_date=settings.now()).save()
    assert admin.ok("GET", templates_path())["content"] == "{{ payment.code | nope_filter }}"
    send(notify.texts_for(demo_brand["id"], PAID, user_with_phone(demo_brand), PAID_CONTEXT))
    [message] = texts_to(PHONE)
    assert message.startswith("Demo: we received your payment P-1")


def test_a_password_reset_is_texted_too_where_the_brand_turns_it_on(mail_api, demo_brand):
    user_with_phone(demo_brand)
    ask = {"emailAddress": "tess@example.com", "resetPasswordLink": "https://demo.test/reset"}
    assert mail_api.ok("POST", "v1/users/forgot-password", ask) is True
    drain()
    assert sns_sent() == []  # off by default: the mail only
    text_on(demo_brand, "USER.PASSWORD.RESET-REQUESTED")
    assert mail_api.ok("POST", "v1/users/forgot-password", ask) is True
    drain()
    [message] = texts_to(PHONE)
    assert message.startswith("Demo: choose a new password at https://demo.test/reset?token=")
    [row] = sms_rows()  # sent as the reset row's follow-up; it keeps no token once sent
    assert row.status == "Sent" and "context" not in row.payload


def test_a_text_whose_publish_was_lost_is_sent_once_by_the_sweeper(mail_env, demo_brand):
    """A crash between the commit and the SQS send: the sweeper publishes the row later, a
    duplicate message changes nothing, and the buyer gets one text."""
    from datetime import timedelta

    from chalicelib.notify import jobs, outbox

    text_on(demo_brand)
    [row] = notify.texts_for(demo_brand["id"], PAID, user_with_phone(demo_brand), PAID_CONTEXT)
    with transaction() as tx:
        notify.add(tx, [row])  # committed; never published
    drain()
    assert sns_sent() == [] and jobs.sweep_outbox() == {"late": 0, "published": 0}
    start = settings.now()
    late = settings.get().outbox_sweep_after_seconds + 1
    settings.set_clock(lambda: start + timedelta(seconds=late))
    assert jobs.sweep_outbox() == {"late": 1, "published": 1}
    outbox.publish([row])  # and the first publish arrives after all: two messages
    drain()
    assert len(texts_to(PHONE)) == 1
    [sent] = sms_rows()
    assert sent.status == "Sent" and sent.attempts == 1
