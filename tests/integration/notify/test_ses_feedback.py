"""SES feedback through SNS: POST v1/ses/notifications verifies the SNS signature (its own test
CA and certificate, served from a loopback server), then marks the mail's log row and
suppresses the address; forged, stale, foreign or replayed messages change nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import settings
from chalicelib.notify import tracking
from chalicelib.notify.models import SnsMessageItem, SuppressionItem
from tests.helpers.mail import mails_to
from tests.helpers.sns import TOPIC, bounce, complaint, delivery, keys
from tests.helpers.tracking import log_row, post_sns, send_mail

BOB = "bob@example.com"


def _other_brand() -> dict:
    from chalicelib.identity import brands

    return brands.create(name="Other", abbr="OTH", domain="other.test")


def _suppressions() -> list[SuppressionItem]:
    return list(SuppressionItem.scan(SuppressionItem.pk.startswith("SUPPRESS#")
                                     & (SuppressionItem.sk != "SOFT")))


def _seen() -> int:
    return len(list(SnsMessageItem.scan(SnsMessageItem.pk.startswith("SNSMSG#"))))


def _feedback(api, sns, event: dict, **kw) -> dict:
    resp = post_sns(api, sns.notification(event, **kw))
    assert resp.status_code == 200, resp.body
    return resp.json_body["data"]


# -- effects ------------------------------------------------------------------------------------

def test_hard_bounce_marks_the_row_and_stops_mail_for_every_brand(api, sns, demo_brand):
    row = send_mail(demo_brand["id"], BOB)
    assert row.status == tracking.SENT and row.message_id
    assert len(mails_to(BOB)) == 1

    answer = _feedback(api, sns, bounce(row.message_id, BOB))
    assert answer["handled"] == "bounce"
    bounced = log_row(demo_brand["id"], row.outbox_id)
    assert bounced.status == tracking.BOUNCED
    assert bounced.status_reason.startswith("Permanent/General: smtp; 550 5.1.1")
    [suppression] = _suppressions()
    assert (suppression.address, suppression.scope, suppression.reason) == (
        BOB, "AllBrands", "Bounce")

    # Neither this brand nor another mails the address again: no SES call, a Skipped row.
    other = _other_brand()
    for brand_id in (demo_brand["id"], other["id"]):
        skipped = send_mail(brand_id, "Bob@Example.com")
        assert skipped.status == tracking.SKIPPED and skipped.message_id is None
        assert "suppressed for every brand" in skipped.status_reason
    assert len(mails_to(BOB)) == 1
    assert len(mails_to("Bob@Example.com")) == 0


def test_complaint_stops_mail_from_that_brand_only(api, sns, demo_brand):
    row = send_mail(demo_brand["id"], BOB)
    answer = _feedback(api, sns, complaint(row.message_id, BOB), version="2")
    assert answer["handled"] == "complaint"
    marked = log_row(demo_brand["id"], row.outbox_id)
    assert (marked.status, marked.status_reason) == (tracking.COMPLAINED, "Complaint: abuse")

    assert send_mail(demo_brand["id"], BOB).status == tracking.SKIPPED
    other = _other_brand()
    assert send_mail(other["id"], BOB).status == tracking.SENT
    assert len(mails_to(BOB)) == 2


def test_delivery_then_bounce_then_late_delivery(api, sns, demo_brand):
    row = send_mail(demo_brand["id"], BOB)
    assert _feedback(api, sns, delivery(row.message_id, BOB))["handled"] == "delivery"
    assert log_row(demo_brand["id"], row.outbox_id).status == tracking.DELIVERED
    _feedback(api, sns, bounce(row.message_id, BOB, "Transient"))
    assert log_row(demo_brand["id"], row.outbox_id).status == tracking.BOUNCED
    # A Delivery arriving late never hides the bounce.
    _feedback(api, sns, delivery(row.message_id, BOB))
    assert log_row(demo_brand["id"], row.outbox_id).status == tracking.BOUNCED


def test_three_transient_bounces_in_a_week_suppress_for_a_week(api, sns, demo_brand):
    row = send_mail(demo_brand["id"], BOB)
    _feedback(api, sns, bounce(row.message_id, BOB, "Transient", feedback_id="f1"))
    # The same bounce published twice (another SNS message) counts once.
    _feedback(api, sns, bounce(row.message_id, BOB, "Transient", feedback_id="f1"))
    _feedback(api, sns, bounce(row.message_id, BOB, "Transient", feedback_id="f2"))
    assert _suppressions() == []
    assert send_mail(demo_brand["id"], BOB).status == tracking.SENT

    _feedback(api, sns, bounce(row.message_id, BOB, "Transient", feedback_id="f3"))
    [suppression] = _suppressions()
    assert suppression.reason == "TransientBounces" and suppression.scope == "AllBrands"
    assert suppression.expires_date - settings.now() <= timedelta(days=7)
    assert send_mail(demo_brand["id"], BOB).status == tracking.SKIPPED

    # A week later the address gets mail again.
    later = settings.now() + timedelta(days=7, minutes=1)
    settings.set_clock(lambda: later)
    assert send_mail(demo_brand["id"], BOB).status == tracking.SENT


def test_transient_bounces_older_than_a_week_do_not_count(api, sns, demo_brand):
    row = send_mail(demo_brand["id"], BOB)
    start = settings.now()
    for day, feedback_id in ((0, "a"), (1, "b"), (8, "c")):
        moment = start + timedelta(days=day)
        settings.set_clock(lambda moment=moment: moment)
        _feedback(api, sns, bounce(row.message_id, BOB, "Transient", feedback_id=feedback_id))
    assert _suppressions() == []


def test_replayed_message_changes_nothing(api, sns, demo_brand):
    row = send_mail(demo_brand["id"], BOB)
    message = sns.notification(bounce(row.message_id, BOB, "Transient", feedback_id="x"))
    assert post_sns(api, message).json_body["data"]["handled"] == "bounce"
    again = post_sns(api, message)
    assert again.status_code == 200
    assert again.json_body["data"] == {"handled": "replay", "messageId": message["MessageId"]}
    assert _seen() == 1


def test_unknown_mail_is_acknowledged(api, sns, demo_brand):
    answer = _feedback(api, sns, bounce("not-our-message", BOB))
    assert answer["handled"] == "unknown mail"
    assert _suppressions() == []


def test_certificate_is_fetched_once(api, sns, demo_brand):
    row = send_mail(demo_brand["id"], BOB)
    _feedback(api, sns, delivery(row.message_id, BOB))
    _feedback(api, sns, delivery(row.message_id, BOB), version="2")
    assert sns.cert_requests() == 1


# -- subscription -------------------------------------------------------------------------------

def test_subscription_to_our_topic_is_confirmed(api, sns):
    resp = post_sns(api, sns.subscription())
    assert resp.status_code == 200
    assert resp.json_body["data"]["handled"] == "subscribed"
    assert "/confirm?Token=tok-123" in sns.requests


def test_subscription_to_another_topic_is_not_confirmed(api, sns):
    resp = post_sns(api, sns.subscription(topic=TOPIC.replace("feedback", "other")))
    assert resp.status_code == 403
    assert sns.requests == []


def test_subscribe_url_off_sns_is_not_called(api, sns):
    resp = post_sns(api, sns.subscription(subscribe_url="https://evil.example.com/confirm"))
    assert resp.status_code == 403
    assert "SubscribeURL" in resp.json_body["message"]
    assert not any("confirm" in p for p in sns.requests)


# -- refusals: 403 (400 for a body that isn't a message), nothing written ----------------------

def _tampered(sns, event):
    message = sns.notification(event)
    message["Message"] = message["Message"].replace("Permanent", "Transient")
    return message


REFUSALS = {
    "tampered message": (_tampered, 403),
    "another topic": (lambda sns, e: sns.notification(e, topic=TOPIC + "-x"), 403),
    "over an hour old": (lambda sns, e: sns.notification(
        e, timestamp=settings.now() - timedelta(hours=1, minutes=1)), 403),
    "from the future": (lambda sns, e: sns.notification(
        e, timestamp=settings.now() + timedelta(hours=1)), 403),
    "signature version 3": (lambda sns, e: sns.notification(e) | {"SignatureVersion": "3"},
                            403),
    "http certificate URL on an SNS host": (lambda sns, e: sns.notification(
        e, SigningCertURL="http://sns.us-east-1.amazonaws.com/cert.pem"), 403),
    "certificate off SNS": (lambda sns, e: sns.notification(
        e, SigningCertURL="https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"), 403),
    "certificate from another region's SNS": (lambda sns, e: sns.notification(
        e, SigningCertURL="https://sns.eu-west-1.amazonaws.com/cert.pem"), 403),
    "certificate with userinfo": (lambda sns, e: sns.notification(
        e, SigningCertURL="https://evil@sns.us-east-1.amazonaws.com/cert.pem"), 403),
    "certificate not from the CA": (lambda sns, e: sns.sign(
        {k: v for k, v in sns.notification(e).items() if k != "Signature"}
        | {"SigningCertURL": sns.origin + "/evil.pem"}, key=keys()["other_key"]), 403),
    "signed by another key": (lambda sns, e: sns.sign(
        {k: v for k, v in sns.notification(e).items() if k != "Signature"},
        key=keys()["other_key"]), 403),
    "signature not base64": (lambda sns, e: sns.notification(e) | {"Signature": "%%%"}, 403),
    "unknown type": (lambda sns, e: sns.notification(e) | {"Type": "Other"}, 403),
    "not JSON": (lambda sns, e: "Type=Notification", 400),
    "no MessageId": (lambda sns, e: {k: v for k, v in sns.notification(e).items()
                                     if k != "MessageId"}, 400),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_messages_change_nothing(api, sns, demo_brand, case):
    row = send_mail(demo_brand["id"], BOB)
    build, status = REFUSALS[case]
    resp = post_sns(api, build(sns, bounce(row.message_id, BOB)))
    assert resp.status_code == status, resp.body
    assert resp.json_body["success"] is False
    assert log_row(demo_brand["id"], row.outbox_id).status == tracking.SENT
    assert _suppressions() == [] and _seen() == 0


def test_without_a_configured_topic_every_message_is_refused(api, sns, demo_brand, monkeypatch):
    monkeypatch.setattr(settings, "_settings",
                        settings.get()._replace(ses_feedback_topic_arn=None))
    row = send_mail(demo_brand["id"], BOB)
    assert post_sns(api, sns.notification(bounce(row.message_id, BOB))).status_code == 403


def test_test_certificate_origin_is_ignored_outside_local_stages(api, sns, demo_brand,
                                                               monkeypatch):
    row = send_mail(demo_brand["id"], BOB)
    monkeypatch.setattr(settings, "_settings", settings.get()._replace(stage="prod"))
    resp = post_sns(api, sns.notification(bounce(row.message_id, BOB)))
    assert resp.status_code == 403
    assert sns.cert_requests() == 0


def test_a_verified_message_with_a_broken_ses_event_is_a_400(api, sns):
    message = sns.sign({"Type": "Notification", "MessageId": "m-1", "TopicArn": TOPIC,
                        "Message": json.dumps(["not", "an", "event"]),
                        "Timestamp": sns.notification({})["Timestamp"]})
    assert post_sns(api, message).status_code == 400
    assert _seen() == 0


def test_mail_is_sent_with_the_configuration_set(api, sns, demo_brand, monkeypatch):
    """SES publishes feedback only for mail sent with the configuration set (infra/feedback.py)."""
    from chalicelib.store import aws

    monkeypatch.setattr(settings, "_settings",
                        settings.get()._replace(ses_configuration_set="jfw-test-mail"))
    ses = aws.client("ses")
    real, calls = ses.send_email, []

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(ses, "send_email", spy)
    assert send_mail(demo_brand["id"], BOB).status == tracking.SENT
    assert [c.get("ConfigurationSetName") for c in calls] == ["jfw-test-mail"]


def test_unreachable_sns_is_a_503_so_sns_retries(api, sns, demo_brand):
    """A certificate or SubscribeURL SNS can't serve right now: 503 (SNS retries), nothing
    recorded, so the retry is acted on."""
    row = send_mail(demo_brand["id"], BOB)
    missing_cert = sns.notification(bounce(row.message_id, BOB),
                                    SigningCertURL=sns.origin + "/gone.pem")
    assert post_sns(api, missing_cert).status_code == 503
    assert post_sns(api, sns.subscription(subscribe_url=sns.origin + "/gone")).status_code == 503
    assert _seen() == 0 and _suppressions() == []
    assert log_row(demo_brand["id"], row.outbox_id).status == tracking.SENT
