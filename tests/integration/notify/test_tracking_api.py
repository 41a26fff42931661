"""GET v1/tracking-emails(/{id}): the brand's delivery log as its admins see it (JFW's
ITrackingEmail shape plus deliveryStatus), with filters and paging; Failed rows when the outbox
gives up on a mail."""

from __future__ import annotations

from datetime import timedelta

from chalicelib import settings
from chalicelib.notify import trackingemails
from tests.helpers.api import login, make_user
from tests.helpers.mail import drain
from tests.helpers.sns import bounce
from tests.helpers.tracking import log_row, post_sns, send_mail

SDK_FIELDS = {"id", "createdDate", "countryCode", "languageCode", "notificationType",
              "notificationChannelType", "emailFrom", "emailTo", "emailCc", "emailBcc",
              "emailSubject", "emailBody", "sentTime", "testMode", "tags", "status"}


def test_list_shows_sent_mails_newest_first_in_the_sdk_shape(admin, mail_env, demo_brand):
    first = send_mail(demo_brand["id"], "ann@example.com")
    second = send_mail(demo_brand["id"], "bob@example.com", event="USER.PASSWORD.CHANGED")
    page = admin.ok("GET", "v1/tracking-emails")
    assert page["totalItems"] == 2 and page["pageNumber"] == 0
    newest, oldest = page["items"]
    assert SDK_FIELDS <= set(newest)
    assert newest["emailTo"] == "bob@example.com" and oldest["emailTo"] == "ann@example.com"
    assert newest["emailSubject"] == "Your Demo password was changed"
    assert "Hello Bob," in newest["emailBody"]
    assert newest["emailFrom"] == settings.get().mail_sender
    assert newest["notificationChannelType"] == "Email"
    assert newest["deliveryStatus"] == "Sent" and newest["deliveryStatusReason"] is None
    assert newest["eventCode"] == "USER.PASSWORD.CHANGED" and newest["eventId"]
    assert newest["messageId"] == second.message_id
    assert newest["id"] == trackingemails.row_id(second.sk)
    assert oldest["id"] == trackingemails.row_id(first.sk)


def test_get_one_row_by_id(admin, mail_env, demo_brand):
    row = send_mail(demo_brand["id"], "ann@example.com")
    listed = admin.ok("GET", "v1/tracking-emails")["items"][0]
    got = admin.ok("GET", f"v1/tracking-emails/{listed['id']}")
    assert got == listed
    assert got["outboxId"] == row.outbox_id


def test_unknown_or_malformed_id_is_404(admin, mail_env, demo_brand):
    send_mail(demo_brand["id"], "ann@example.com")
    for bad in ("20261204111111000000-nothere", "nope", "2026-12-04T11:11:11.000000Z%23x"):
        resp = admin.get(f"v1/tracking-emails/{bad}")
        assert resp.status_code == 404, bad


def test_filters(admin, sns, demo_brand, api):
    ann = send_mail(demo_brand["id"], "ann@example.com")
    send_mail(demo_brand["id"], "bob@example.com")
    assert post_sns(api, sns.notification(bounce(ann.message_id, "ann@example.com"))
                    ).status_code == 200

    def emails(**query) -> list[str]:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        return [r["emailTo"] for r in admin.ok("GET", f"v1/tracking-emails?{qs}")["items"]]

    assert emails(to="ANN@") == ["ann@example.com"]
    assert emails(emailTo="bob") == ["bob@example.com"]
    assert emails(deliveryStatus="Bounced") == ["ann@example.com"]
    assert emails(deliveryStatus="Sent") == ["bob@example.com"]
    assert emails(eventCode="USER.PASSWORD.CHANGED") == ["bob@example.com", "ann@example.com"]
    assert emails(eventCode="USER.PASSWORD.RESET-REQUESTED") == []
    assert emails(eventId="no-such-event") == []
    assert emails(channel="Sms") == []
    assert emails(keywords="bob") == ["bob@example.com"]
    tomorrow = (settings.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    yesterday = (settings.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert emails(fromDate=tomorrow) == []
    assert len(emails(fromDate=yesterday, toDate=tomorrow)) == 2
    assert emails(pageSize=1, pageNumber=1) == ["ann@example.com"]
    bounced = admin.ok("GET", "v1/tracking-emails?deliveryStatus=Bounced")["items"][0]
    assert bounced["deliveryStatusReason"].startswith("Permanent/General")


def test_bad_filters_are_400(admin, mail_env):
    assert admin.get("v1/tracking-emails?deliveryStatus=Lost").status_code == 400
    assert admin.get("v1/tracking-emails?fromDate=yesterday").status_code == 400
    assert admin.get("v1/tracking-emails?pageSize=5000").status_code == 400
    assert admin.get("v1/tracking-emails?fromDate=2026-02-01T00:00:00Z"
                     "&toDate=2026-01-01T00:00:00Z").status_code == 400


def test_a_plain_user_may_not_read_the_log(api, mail_env, demo_brand):
    make_user(demo_brand, "carol")
    carol = login(api, "carol")
    assert carol.get("v1/tracking-emails").status_code == 403
    assert carol.get("v1/tracking-emails/20261204111111000000-x").status_code == 403
    assert api.get("v1/tracking-emails").status_code == 401


def test_mail_the_outbox_gives_up_on_is_logged_failed(admin, mail_env):
    from chalicelib.identity import brands
    from chalicelib.notify import outbox, templates
    from chalicelib.store.tx import transaction

    # The brand's own sender is not verified in SES: every attempt fails, the row is given up.
    brand = brands.create(name="Loud", abbr="LOUD", domain="loud.test",
                          setting={"systemEmail": "billing@unverified.test"})
    item = outbox.mail(brand["id"], "USER.PASSWORD.CHANGED", "dan@example.com",
                       {"user": templates.user_vars(username="dan"),
                        "change": {"date": "today", "method": "change"}})
    with transaction() as tx:
        outbox.add(tx, [item])
    outbox.publish([item])
    drain(max_rounds=10)
    row = log_row(brand["id"], item.id)
    assert row.status == "Failed" and row.message_id is None
    assert "not verified" in row.status_reason

    loud_admin = admin.as_(None, "loud.test")
    make_user(brand, "loudboss", "Admin")
    loud_admin = login(loud_admin, "loudboss")
    [shown] = loud_admin.ok("GET", "v1/tracking-emails?deliveryStatus=Failed")["items"]
    assert shown["emailTo"] == "dan@example.com" and shown["emailBody"] is None
    assert "not verified" in shown["deliveryStatusReason"]
    # The dev mail list shows only mails that left.
    assert admin.ok("GET", "/api/v1/dev/mails?to=dan@example.com") == []
