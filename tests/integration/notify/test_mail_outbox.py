"""The mail outbox end to end: row in a transaction -> SQS -> consumer -> SES, with duplicates,
failures, the dead-letter queue, the sweeper, brand templates and the dev mail list.

The helpers it shares with the password-recovery tests are in tests/helpers/mail.py (``drain``,
``ses_sent``) and tests/integration/conftest.py (``mail_env``).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import settings
from chalicelib.notify import emailtemplates, jobs, mailer, outbox, templates
from chalicelib.notify.models import FAILED, PENDING, SENT, OutboxItem, outbox_pk
from chalicelib.store import aws
from chalicelib.store.tx import transaction
from tests.helpers.api import Api, register_and_login
from tests.helpers.mail import as_event, drain, mails_to, queue_url, receive, ses_sent

# -- helpers -----------------------------------------------------------------------------------

def outbox_rows() -> list[OutboxItem]:
    """Every outbox row (a Scan: tests only)."""
    return [i for i in OutboxItem.scan(OutboxItem.sk == "OUTBOX")]


def queue_mail(brand_id: str, to: str = "bob@example.com", publish: bool = True,
               **context) -> OutboxItem:
    """A service's pattern: the row saved in a transaction, published after the commit."""
    item = outbox.mail(brand_id, "USER.PASSWORD.CHANGED", to,
                       {"user": templates.user_vars(username="bob", first_name="Bob"),
                        "change": {"date": "today", "method": "change"}, **context})
    with transaction() as tx:
        outbox.add(tx, [item])
    if publish:
        assert outbox.publish([item]) == 1
    return item


def reload_row(item: OutboxItem) -> OutboxItem:
    return OutboxItem.get(outbox_pk(item.brand_id, item.id), "OUTBOX", consistent_read=True)


# -- delivery and idempotency ------------------------------------------------------------------

def test_row_is_mailed_once_and_marked_sent(mail_api, demo_brand):
    item = queue_mail(demo_brand["id"])
    pending = reload_row(item)
    assert pending.status == PENDING and pending.due_pk.startswith("OUTBOX#")
    assert pending.due_sk.endswith("#" + item.id)

    answers = drain()
    assert answers == [{"batchItemFailures": []}]
    [sent] = mails_to("bob@example.com")
    assert sent.subject == "Your Demo password was changed"
    assert "Hello Bob," in sent.body and sent.source == settings.get().mail_sender

    row = reload_row(item)
    assert row.status == SENT and row.attempts == 1
    assert row.due_pk is None and row.due_sk is None  # out of the sweeper's index
    assert row.result == {"messageId": sent.id}
    assert row.ttl and row.sent_date is not None


def test_duplicate_delivery_sends_one_mail(mail_api, demo_brand):
    item = queue_mail(demo_brand["id"])
    outbox.publish([item])  # the same row published again: two SQS messages
    messages = receive()
    assert len(messages) == 2
    # Both copies in one batch, then a copy in a later batch: one mail, no failures.
    assert jobs.consume_outbox_batch(as_event(messages)) == {"batchItemFailures": []}
    assert jobs.consume_outbox_batch(as_event(messages[:1])) == {"batchItemFailures": []}
    assert len(mails_to("bob@example.com")) == 1
    assert reload_row(item).attempts == 1


def test_malformed_message_fails_alone(mail_api, demo_brand):
    item = queue_mail(demo_brand["id"])
    [good] = receive()
    event = as_event([good])
    event["Records"].append({"messageId": "junk-1", "body": "not json"})
    event["Records"].append({"messageId": "junk-2", "body": json.dumps({"outboxId": "x"})})
    answer = jobs.consume_outbox_batch(event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "junk-1"},
                                            {"itemIdentifier": "junk-2"}]}
    assert len(mails_to("bob@example.com")) == 1
    assert reload_row(item).status == SENT


def test_message_for_a_missing_row_is_acknowledged(mail_api, demo_brand):
    body = json.dumps({"outboxId": "nope", "brandId": demo_brand["id"]})
    answer = jobs.consume_outbox_batch({"Records": [{"messageId": "m1", "body": body}]})
    assert answer == {"batchItemFailures": []}
    assert ses_sent() == []


def test_row_held_by_another_consumer_is_retried_after_its_lease(mail_api, demo_brand):
    item = queue_mail(demo_brand["id"])
    now = settings.now()
    settings.set_clock(lambda: now)
    claimed = jobs._claim(item.brand_id, item.id)  # a consumer that then dies mid-send
    assert not isinstance(claimed, str)
    [message] = receive()
    answer = jobs.consume_outbox_batch(as_event([message]))
    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert ses_sent() == []
    # Once the lease (the queue's visibility timeout) is over, the next delivery sends it.
    later = now + timedelta(seconds=settings.get().queue_visibility_seconds + 1)
    settings.set_clock(lambda: later)
    assert jobs.consume_outbox_batch(as_event([message])) == {"batchItemFailures": []}
    assert len(mails_to("bob@example.com")) == 1
    assert reload_row(item).attempts == 2


# -- failures, retries, dead-letter queue -------------------------------------------------------

def test_ses_failure_is_retried_then_dead_lettered(mail_api, aws_env):
    from chalicelib.identity import brands

    # The brand's own sender is not verified in SES: SES refuses every send.
    brand = brands.create(name="Loud", abbr="LOUD", domain="loud.test",
                          setting={"systemEmail": "billing@unverified.test"})
    item = queue_mail(brand["id"])
    max_receives = 5
    answers = drain(max_rounds=max_receives + 2)
    assert len(answers) == max_receives
    for answer in answers:
        assert len(answer["batchItemFailures"]) == 1
    assert ses_sent() == []

    row = reload_row(item)
    assert row.status == FAILED and row.attempts == max_receives
    assert "not verified" in row.last_error and "billing@unverified.test" in row.last_error
    assert row.due_pk is None  # the sweeper won't republish a row SQS gave up on
    assert receive() == []
    dead = receive("outbox-dlq")
    assert [json.loads(m["Body"])["outboxId"] for m in dead] == [item.id]

    # Once the sender is verified, redriving the dead letter sends the mail, once.
    mailer.ensure_sender_verified("billing@unverified.test")
    assert jobs.consume_outbox_batch(as_event(dead)) == {"batchItemFailures": []}
    [mail] = mails_to("bob@example.com")
    assert mail.source == "billing@unverified.test"
    assert reload_row(item).status == SENT


def test_failed_attempt_keeps_row_pending_with_error(mail_api, demo_brand, monkeypatch):
    item = queue_mail(demo_brand["id"])
    ses = aws.client("ses")

    def refuse(**kwargs):
        raise RuntimeError("SES is down")

    monkeypatch.setattr(ses, "send_email", refuse)
    [message] = receive()
    answer = jobs.consume_outbox_batch(as_event([message]))
    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    row = reload_row(item)
    assert row.status == PENDING and row.attempts == 1
    assert row.last_error == "RuntimeError: SES is down"
    assert row.claim_id is None and row.due_pk is not None

    monkeypatch.undo()
    assert jobs.consume_outbox_batch(as_event([message])) == {"batchItemFailures": []}
    assert len(mails_to("bob@example.com")) == 1
    assert reload_row(item).attempts == 2


# -- sweeper -----------------------------------------------------------------------------------

def test_sweeper_delivers_a_row_whose_publish_was_lost(mail_api, demo_brand):
    item = queue_mail(demo_brand["id"], publish=False)  # crash after commit, before SQS
    assert receive() == []
    assert jobs.sweep_outbox() == {"late": 0, "published": 0}  # not late yet

    start = settings.now()
    delay = settings.get().outbox_sweep_after_seconds
    settings.set_clock(lambda: start + timedelta(seconds=delay + 1))
    assert jobs.sweep_outbox() == {"late": 1, "published": 1}
    assert jobs.sweep_outbox() == {"late": 0, "published": 0}  # its due time moved on
    drain()
    assert len(mails_to("bob@example.com")) == 1
    assert reload_row(item).status == SENT

    settings.set_clock(lambda: start + timedelta(seconds=3 * delay))
    assert jobs.sweep_outbox() == {"late": 0, "published": 0}
    drain()
    assert len(mails_to("bob@example.com")) == 1


def test_sweeper_and_publish_both_deliver_and_one_mail_goes(mail_api, demo_brand):
    start = settings.now()
    item = queue_mail(demo_brand["id"])  # published, but the consumer is slow
    settings.set_clock(lambda: start + timedelta(hours=1))
    assert jobs.sweep_outbox()["published"] == 1
    answers = drain()
    assert sum(len(a["batchItemFailures"]) for a in answers) == 0
    assert len(mails_to("bob@example.com")) == 1
    assert reload_row(item).status == SENT


def test_a_lagging_queue_gets_each_row_again_once_per_window_not_once_per_sweep(mail_api,
                                                                               demo_brand):
    """The consumers lag: every message is still queued. A row published once is published
    again only when its message could have been lost (the queue's visibility timeout x max
    receives), and each later window is twice the last, so a backlog isn't multiplied."""
    from chalicelib.store import schema

    items = [queue_mail(demo_brand["id"], to=f"u{i}@example.com") for i in range(6)]
    start = settings.now()
    first_look = settings.get().outbox_sweep_after_seconds
    window = settings.get().queue_visibility_seconds * schema.queue("outbox").max_receives

    def sweep_at(seconds: float) -> int:
        settings.set_clock(lambda: start + timedelta(seconds=seconds))
        return jobs.sweep_outbox()["published"]

    assert [sweep_at(t) for t in (60, 120, first_look - 1)] == [0, 0, 0]
    assert sweep_at(first_look + 1) == 6  # not Sent in time: its message may be lost
    then = first_look + 1
    # Within the next window nothing is published again, however often the sweeper runs.
    assert sum(sweep_at(then + t) for t in range(60, window, 60)) == 0
    assert sweep_at(then + window + 1) == 6  # once more after the window ...
    then += window + 1
    assert sum(sweep_at(then + t) for t in range(60, 2 * window, 60)) == 0  # ... then 2 x
    assert sweep_at(then + 2 * window + 1) == 6
    assert all(reload_row(i).publishes == 3 for i in items)

    count = int(aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(), AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"])
    assert count == 6 * 4  # the first publish and three sweeps, not one per sweep
    drain()
    assert len(ses_sent()) == 6  # the consumer is idempotent by the outbox id


def test_sweeper_reads_every_shard(mail_api, demo_brand):
    items = [queue_mail(demo_brand["id"], to=f"u{i}@example.com", publish=False)
             for i in range(24)]
    assert len({outbox.shard_of(i.id) for i in items}) > 1
    start = settings.now()
    settings.set_clock(lambda: start + timedelta(hours=1))
    assert jobs.sweep_outbox() == {"late": 24, "published": 24}
    drain()
    assert len(ses_sent()) == 24


# -- templates ---------------------------------------------------------------------------------

def test_brand_template_override_is_used(mail_api, demo_brand):
    emailtemplates.save_template(demo_brand["id"], "USER.PASSWORD.CHANGED",
                            subject="[{{ brand.code }}] {{ user.first_name }}, new password",
                            body="<p>Custom {{ brand.name }} body for {{ user.username }}</p>")
    queue_mail(demo_brand["id"])
    drain()
    [mail] = mails_to("bob@example.com")
    assert mail.subject == "[DEMO] Bob, new password"
    assert mail.body == "<p>Custom Demo body for bob</p>"
    [logged] = mailer.all_sent_mails()
    assert logged["subject"] == mail.subject


def test_override_of_another_brand_is_not_used(mail_api, demo_brand, other_brand):
    emailtemplates.save_template(other_brand["id"], "USER.PASSWORD.CHANGED",
                            subject="Other brand subject", body="<p>other</p>")
    queue_mail(demo_brand["id"])
    drain()
    [mail] = mails_to("bob@example.com")
    assert mail.subject == "Your Demo password was changed"


def test_broken_brand_template_falls_back_to_default(mail_api, demo_brand):
    with pytest.raises(templates.TemplateError) as refused:
        emailtemplates.save_template(demo_brand["id"], "USER.PASSWORD.CHANGED",
                                subject="ok", body="<p>{% if %}broken{% endif %}</p>")
    assert "body is not valid Liquid" in str(refused.value)
    emailtemplates.save_template(demo_brand["id"], "USER.PASSWORD.CHANGED", subject="ok",
                            body="<p>{% for i in (1..100000) %}x{% endfor %}</p>",
                            validate=False)  # parses, but breaks the loop limit
    item = queue_mail(demo_brand["id"])
    assert drain() == [{"batchItemFailures": []}]
    [mail] = mails_to("bob@example.com")
    assert mail.subject == "Your Demo password was changed"
    row = reload_row(item)
    assert row.status == SENT
    assert "brand template for USER.PASSWORD.CHANGED set aside" in row.last_error
    assert "LoopIterationLimitError" in row.last_error
    assert row.result["templateProblem"] == row.last_error


def test_values_are_html_escaped_in_body(mail_api, demo_brand):
    queue_mail(demo_brand["id"], user=templates.user_vars(
        username="bob", first_name='<script>alert("x")</script>'))
    drain()
    [mail] = mails_to("bob@example.com")
    assert "<script>" not in mail.body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in mail.body


def test_sender_is_the_brand_system_email_with_its_title(mail_api, aws_env):
    from chalicelib.identity import brands

    brand = brands.create(name="Acme", abbr="ACME", domain="acme.test",
                          setting={"systemEmail": "mail@acme.test",
                                   "systemEmailTitle": "Acme Billing"})
    mailer.ensure_sender_verified("mail@acme.test")
    queue_mail(brand["id"])
    drain()
    [mail] = mails_to("bob@example.com")
    assert mail.source == "Acme Billing <mail@acme.test>"


def test_secrets_are_redacted_from_the_log_outside_the_local_stack(mail_api, demo_brand,
                                                                   monkeypatch):

    monkeypatch.setattr(settings, "_settings", settings.get()._replace(stage="prod"))
    item = outbox.mail(demo_brand["id"], "USER.PASSWORD.RESET-REQUESTED", "bob@example.com",
                       {"user": templates.user_vars(username="bob"),
                        "reset_password": {"link": "https://demo.test/r?token=SECRET123",
                                           "expiry_minutes": 60}},
                       secrets=["SECRET123"])
    with transaction() as tx:
        outbox.add(tx, [item])
    assert jobs.process(item.brand_id, item.id) == "sent"
    [mail] = mails_to("bob@example.com")
    assert "token=SECRET123" in mail.body  # the user gets the link
    [logged] = mailer.sent_mails(demo_brand["id"])
    assert "SECRET123" not in logged["body"] and "token=[redacted]" in logged["body"]
    row = reload_row(item)
    assert "context" not in row.payload and "secrets" not in row.payload
    assert row.payload["eventCode"] == "USER.PASSWORD.RESET-REQUESTED"


# -- the dev mail list ---------------------------------------------------------------------------

def test_dev_mails_lists_sent_mails_newest_first(mail_api, demo_brand, other_brand):
    start = settings.now()
    settings.set_clock(lambda: start)
    queue_mail(demo_brand["id"], to="first@example.com")
    drain()
    settings.set_clock(lambda: start + timedelta(seconds=5))
    queue_mail(other_brand["id"], to="second@example.com")
    drain()

    anon = Api(mail_api.client)  # no Brand-URL, no Auth-Key
    mails = anon.ok("GET", "v1/dev/mails")
    assert [m["to"] for m in mails] == ["second@example.com", "first@example.com"]
    first = mails[1]
    assert set(first) >= {"to", "subject", "body", "time", "eventCode", "messageId"}
    assert first["eventCode"] == "USER.PASSWORD.CHANGED"
    assert first["subject"] == "Your Demo password was changed"
    assert first["messageId"] == mails_to("first@example.com")[0].id
    assert first["time"].startswith(start.strftime("%Y-%m-%dT%H:%M"))

    only = anon.ok("GET", "/api/v1/dev/mails?to=FIRST@example.com")
    assert [m["to"] for m in only] == ["first@example.com"]
    assert anon.ok("GET", "/api/v1/dev/mails?to=nobody@example.com") == []


def test_dev_mails_route_exists_only_in_local_stages():
    from chalicelib.routes import all_routes

    def paths(stage: str) -> set[str]:
        return {r.path for r in all_routes(stage)}

    assert "/api/v1/dev/mails" in paths("local") and "/api/v1/dev/mails" in paths("test")
    assert "/api/v1/dev/mails" not in paths("prod")


def test_user_registered_through_api_gets_escaped_name(mail_api):
    register_and_login(mail_api, "eve", firstName="<script>Eve</script>")
    assert mail_api.ok("POST", "v1/users/forgot-password",
                       {"emailAddress": "eve@example.com",
                        "resetPasswordLink": "https://demo.test/reset"}) is True
    drain()
    [mail] = mails_to("eve@example.com")
    assert "Hello &lt;script&gt;Eve&lt;/script&gt;," in mail.body
    assert "<script>" not in mail.body
