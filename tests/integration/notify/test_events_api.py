"""The events API (JFW v6.9.3 ``v1/events``, notify/events.py): the list with JFW's filters and
paging, one event by id or code, the events that mail, and a brand turning an event's mail off,
after which the mail really stops (no SES send, nothing in v1/dev/mails) while other brands'
mails go on."""

from __future__ import annotations

import pytest

from chalicelib.notify import catalog, events, eventsettings
from chalicelib.notify.models import EventSettingItem, OutboxItem
from tests.concurrency import run_together
from tests.helpers.api import login, make_user, register_and_login
from tests.helpers.mail import drain, mails_to

# JFW's IEvent (src/features/event/types.ts) and our extras.
IEVENT = {"id", "createdDate", "guid", "groupCodeName", "code", "name", "description",
          "trackingLevel", "tags", "zOrder", "status", "isSystem"}
EXTRAS = {"mailEnabled", "smsEnabled", "placeholders"}
CHANGED = catalog.PASSWORD_CHANGED
RESET = catalog.PASSWORD_RESET_REQUESTED
OLD, NEW = "s3cret-Pass", "n3w-Passw0rd"


@pytest.fixture
def boss(mail_api, admin):
    return admin


def change_password(user) -> None:
    user.ok("PUT", "v1/users/change-password", {"oldPassword": OLD, "newPassword": NEW,
                                                "confirmPassword": NEW})


def settings_rows() -> list:
    return [i for i in EventSettingItem.scan() if i.pk.endswith("#EVENTSETTING")]


# -- reading ---------------------------------------------------------------------------------

def test_list_is_every_event_in_the_sdk_shape(boss):
    page = boss.ok("GET", "v1/events")
    assert set(page) == {"items", "totalItems", "pageNumber", "pageSize"}
    assert page["totalItems"] == len(catalog.EVENTS) and page["pageNumber"] == 0
    items = page["items"]
    assert {e["code"] for e in items} == set(catalog.EVENTS)
    for e in items:
        assert set(e) == IEVENT | EXTRAS
        event = catalog.EVENTS[e["code"]]
        assert e["id"] == e["guid"] == event.id and e["createdDate"] is None
        assert e["groupCodeName"] == event.group and e["name"] == event.name
        assert e["description"] == event.description and e["description"]
        assert isinstance(e["trackingLevel"], int) and e["isSystem"] is True
        assert e["status"] == "Active" and e["mailEnabled"] is events.sends_mail(event)
        assert e["smsEnabled"] is (bool(event.sms) and event.sms_on)
        assert e["placeholders"] == list(event.placeholders)
    # Display order: zOrder 1..n, by group then code.
    assert [e["zOrder"] for e in items] == list(range(1, len(items) + 1))
    assert [(e["groupCodeName"], e["code"]) for e in items] == sorted(
        (e["groupCodeName"], e["code"]) for e in items)


def test_filters_keywords_paging_and_sort(boss):
    def codes(query: str) -> list[str]:
        return [e["code"] for e in boss.ok("GET", f"v1/events?{query}")["items"]]

    payment = codes("groupCodeName=payment")
    assert payment and all(c.startswith("PAYMENT.") for c in payment)
    assert set(codes("code=password")) == {CHANGED.code, RESET.code}
    assert codes("name=Risk%20Flagged") == ["PAYMENT.RISK.FLAGGED"]
    assert codes("description=locked") == ["WALLET.RECONCILIATION.FAILED"]
    assert codes("keywords=wallet%20locked") == ["WALLET.RECONCILIATION.FAILED"]
    assert codes("tags=x") == [] and codes("isSystem=false") == []
    assert len(codes("isSystem=true&includeParentBrand=true")) == len(catalog.EVENTS)
    assert len(codes("zOrder=3")) == 1
    assert codes("status=Inactive") == [] and len(codes("status=active")) == len(catalog.EVENTS)

    page = boss.ok("GET", "v1/events?pageSize=5&pageNumber=1&sortDataField=code&sortOrder=asc")
    assert page["pageSize"] == 5 and page["pageNumber"] == 1
    assert page["totalItems"] == len(catalog.EVENTS)
    assert [e["code"] for e in page["items"]] == sorted(catalog.EVENTS)[5:10]
    assert codes("sortDataField=name&sortOrder=desc") == [
        e.code for e in sorted(catalog.EVENTS.values(), key=lambda e: e.name, reverse=True)]


@pytest.mark.parametrize("query, field", [
    ("sortDataField=body", "sortDataField"), ("pageSize=0", "pageSize"),
    ("pageSize=1001", "pageSize"), ("pageNumber=-1", "pageNumber"),
    ("status=Deleted", "status"), ("zOrder=first", "zOrder"), ("isSystem=maybe", "isSystem"),
    ("code=" + "X" * 201, "code"), ("keywords=" + "w" * 201, "keywords"),
])
def test_bad_list_queries_are_400(boss, query, field):
    resp = boss.get(f"v1/events?{query}")
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["field"] == field


def test_one_event_by_id_or_code(boss):
    by_id = boss.ok("GET", f"v1/events/{CHANGED.id}")
    assert by_id["code"] == CHANGED.code and set(by_id) == IEVENT | EXTRAS
    assert boss.ok("GET", f"v1/events/{CHANGED.code}") == by_id
    for unknown in ("USER.NOTHING.HAPPENED", "00000000-0000-5000-8000-000000000000"):
        resp = boss.get(f"v1/events/{unknown}")
        assert resp.status_code == 404 and resp.json_body["errors"][0]["code"] == \
            "EVENT_NOT_FOUND"


def test_events_that_mail_are_a_plain_array(boss):
    mailed = boss.ok("GET", "v1/events/email-templates")
    assert isinstance(mailed, list)
    assert [e["code"] for e in mailed] == [e["code"] for e in boss.ok("GET", "v1/events")[
        "items"] if events.sends_mail(catalog.EVENTS[e["code"]])]
    assert all(set(e) == IEVENT | EXTRAS for e in mailed)


def test_plain_users_can_not_read_or_change_events(api, boss):
    boss.ok("POST", "v1/wallet-earning-events", {
        "eventId": "USER.REGISTERED", "code": "WELCOME", "name": "Welcome", "amount": "2.00",
        "currencyCode": "USD"})
    alice = register_and_login(api, "alice")
    for method, path, body in (("GET", f"v1/events/{CHANGED.id}", None),
                               ("GET", "v1/events/email-templates", None),
                               ("PUT", f"v1/events/{CHANGED.id}", {"mailEnabled": False})):
        resp = alice.request(method, path, body)
        assert resp.status_code == 403, (method, path)
        assert resp.json_body["errors"][0]["code"] == "PERMISSION_DENIED"
    assert settings_rows() == []
    # The wallet earning events JFW's SDK reads at v1/events (getEventsEarningWallet, type
    # optional) stay open to users: with ?type=, and without it for whoever can't read events.
    earning = alice.ok("GET", "v1/wallet-earning-events")
    assert [e["code"] for e in earning["items"]] == ["WELCOME"]
    assert alice.ok("GET", "v1/events?type=Earning") == earning
    assert alice.ok("GET", "v1/events") == earning
    assert alice.ok("GET", "v1/events?type=Redeem")["items"] == []
    assert boss.ok("GET", "v1/events?type=Earning")["items"][0]["code"] == "WELCOME"
    assert boss.ok("GET", "v1/events")["totalItems"] == len(catalog.EVENTS)


# -- turning a mail off ------------------------------------------------------------------------

def test_turned_off_mail_is_not_sent_and_on_again_is(mail_api, boss, demo_brand, other_brand):
    bob = register_and_login(mail_api, "bob", OLD)
    drain()
    off = boss.ok("PUT", f"v1/events/{CHANGED.id}", {"mailEnabled": False})
    assert off["code"] == CHANGED.code and off["mailEnabled"] is False
    assert off["status"] == "Inactive" and set(off) == IEVENT | EXTRAS
    assert boss.ok("GET", f"v1/events/{CHANGED.code}")["mailEnabled"] is False
    assert [e["code"] for e in boss.ok("GET", "v1/events?status=Inactive")["items"]] == [
        CHANGED.code]
    # Another brand's admin still sees (and gets) the mail.
    make_user(other_brand, "otherboss", "Admin")
    other = login(mail_api.as_(brand_url="other.test"), "otherboss")
    assert other.ok("GET", f"v1/events/{CHANGED.id}")["mailEnabled"] is True

    change_password(bob)
    drain()
    assert mails_to("bob@example.com") == []
    assert mail_api.ok("GET", "v1/dev/mails?to=bob@example.com") == []
    [row] = [r for r in OutboxItem.scan() if r.kind == "mail"]
    assert row.status == "Sent" and row.result == {"skipped": "mail turned off"}

    on = boss.ok("PUT", f"v1/events/{CHANGED.id}", {"mailEnabled": True})
    assert on["mailEnabled"] is True and on["status"] == "Active"
    bob = login(mail_api, "bob", NEW)
    bob.ok("PUT", "v1/users/change-password", {"oldPassword": NEW, "newPassword": OLD,
                                               "confirmPassword": OLD})
    drain()
    [mail] = mails_to("bob@example.com")
    assert mail.subject == "Your Demo password was changed"
    [listed] = mail_api.ok("GET", "v1/dev/mails?to=bob@example.com")
    assert listed["eventCode"] == CHANGED.code


def test_a_row_written_before_the_change_is_stopped_too(mail_api, boss, demo_brand):
    from chalicelib.notify import outbox, templates
    from chalicelib.store.tx import transaction

    row = outbox.mail(demo_brand["id"], CHANGED.code, "carol@example.com",
                      {"user": templates.user_vars(username="carol"),
                       "change": {"date": "today", "method": "change"}})
    with transaction() as tx:
        outbox.add(tx, [row])
    boss.ok("PUT", f"v1/events/{CHANGED.code}", {"mailEnabled": False})
    outbox.publish([row])
    drain()
    assert mails_to("carol@example.com") == []


def test_the_password_reset_mail_can_not_be_turned_off(boss):
    resp = boss.put(f"v1/events/{RESET.id}", {"mailEnabled": False})
    assert resp.status_code == 400
    err = resp.json_body["errors"][0]
    assert err["code"] == "EVENT_MAIL_REQUIRED" and err["field"] == "mailEnabled"
    assert settings_rows() == []
    assert boss.ok("GET", f"v1/events/{RESET.id}")["mailEnabled"] is True
    assert boss.ok("PUT", f"v1/events/{RESET.id}", {"mailEnabled": True})["mailEnabled"] is True


@pytest.mark.parametrize("body, field", [
    ({}, "mailEnabled"), ({"mailEnabled": "no"}, "mailEnabled"),
    ({"mailEnabled": None, "smsEnabled": None}, "mailEnabled"),
    ({"smsEnabled": 1}, "smsEnabled"),
])
def test_bad_updates_are_400_and_write_nothing(boss, body, field):
    resp = boss.put(f"v1/events/{CHANGED.id}", body)
    assert resp.status_code == 400 and resp.json_body["errors"][0]["field"] == field
    assert settings_rows() == []


def test_texting_an_event_without_a_text_is_400(boss):
    no_text = next(e for e in catalog.EVENTS.values() if not e.sms)
    resp = boss.put(f"v1/events/{no_text.id}", {"smsEnabled": True})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["field"] == "smsEnabled"
    assert settings_rows() == []
    assert boss.put("v1/events/NO.SUCH.EVENT", {"mailEnabled": True}).status_code == 404


def test_two_admins_changing_different_channels_keep_both(atomic_moto, demo_brand):
    brand_id, code = demo_brand["id"], CHANGED.code
    for _ in range(5):
        run_together(2, lambda i: eventsettings.save(brand_id, code, mail=False) if i == 0
                     else eventsettings.save(brand_id, code, sms=True))
        assert eventsettings.channels(brand_id, code) == eventsettings.Channels(mail=False,
                                                                                sms=True)
        eventsettings.save(brand_id, code, mail=True, sms=False)


def test_a_skipped_mail_keeps_no_secret(mail_api, boss, demo_brand):
    from chalicelib.notify import outbox
    from chalicelib.notify.models import outbox_pk
    from chalicelib.store.tx import transaction

    invoice = "PAYMENT.INVOICE-EXPORTED.SUCCESS"
    boss.ok("PUT", f"v1/events/{invoice}", {"mailEnabled": False})
    link = "https://demo.test/i/secret-token"
    row = outbox.mail(demo_brand["id"], invoice, "dave@example.com",
                      {"invoice": {"code": "INV-1", "link": link}}, secrets=[link])
    with transaction() as tx:
        outbox.add(tx, [row])
    outbox.publish([row])
    drain()
    assert mails_to("dave@example.com") == []
    done = OutboxItem.get(outbox_pk(row.brand_id, row.id), "OUTBOX", consistent_read=True)
    assert done.status == "Sent" and done.result == {"skipped": "mail turned off"}
    assert "context" not in done.payload and "secrets" not in done.payload
    assert link not in str(done.payload) and done.payload["eventCode"] == invoice
