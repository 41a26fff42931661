"""A bundle row (notify.outbox.bundle): the effects of one change in one outbox item, each run
once by its own kind's handler, whatever SQS delivers twice, fails or dead-letters."""

from __future__ import annotations

import json

import pytest

from chalicelib.notify import jobs, mailer, outbox, templates
from chalicelib.notify.models import FAILED, PENDING, SENT, OutboxItem, outbox_pk
from chalicelib.store.tx import transaction
from tests.helpers.mail import as_event, drain, mails_to, receive


class Effects:
    """Two test kinds: ``counted`` (records each effect id it ran) and ``flaky`` (fails while
    ``failing``), both with a give-up hook that records the effect id."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.gave_up: list[str] = []
        self.failing = 0  # how many more calls of ``flaky`` fail; -1: all

    def counted(self, item: OutboxItem) -> outbox.Delivery:
        self.ran.append(item.id)
        return outbox.Delivery(result={"n": item.payload["n"]})

    def flaky(self, item: OutboxItem) -> outbox.Delivery:
        if self.failing:
            self.failing -= 1 if self.failing > 0 else 0
            raise RuntimeError("downstream is down")
        self.ran.append(item.id)
        return outbox.Delivery(result={"ok": True})

    def give_up(self, item: OutboxItem, error: str) -> list:
        self.gave_up.append(item.id)
        return []


@pytest.fixture
def effects(monkeypatch) -> Effects:
    e = Effects()
    monkeypatch.setitem(outbox.KINDS, "test-counted", e.counted)
    monkeypatch.setitem(outbox.KINDS, "test-flaky", e.flaky)
    monkeypatch.setitem(outbox.GIVE_UP, "test-counted", e.give_up)
    monkeypatch.setitem(outbox.GIVE_UP, "test-flaky", e.give_up)
    return e


def mail(brand_id: str) -> OutboxItem:
    return outbox.mail(brand_id, "USER.PASSWORD.CHANGED", "bob@example.com",
                       {"user": templates.user_vars(username="bob", first_name="Bob"),
                        "change": {"date": "today", "method": "change"}})


def commit(brand_id: str, rows: list[OutboxItem]) -> OutboxItem:
    [row] = outbox.bundle(brand_id, rows)
    with transaction() as tx:
        outbox.add(tx, [row])
    assert outbox.publish([row]) == 1
    return row


def reload_row(item: OutboxItem) -> OutboxItem:
    return OutboxItem.get(outbox_pk(item.brand_id, item.id), "OUTBOX", consistent_read=True)


def test_fewer_than_two_rows_are_not_bundled(demo_brand):
    one = [mail(demo_brand["id"])]
    assert outbox.bundle(demo_brand["id"], one) == one
    assert outbox.bundle(demo_brand["id"], []) == []


def test_a_bundle_delivered_twice_acts_once_per_effect(mail_api, demo_brand, effects):
    b = demo_brand["id"]
    row = commit(b, [mail(b), outbox.row(b, "test-counted", {"n": 1}),
                     outbox.row(b, "test-counted", {"n": 2})])
    assert drain() == [{"batchItemFailures": []}]
    outbox.publish([row])  # SQS delivers it again (or the sweeper republished it)
    assert drain() == [{"batchItemFailures": []}]
    assert len(mails_to("bob@example.com")) == 1
    assert effects.ran == [f"{row.id}-1", f"{row.id}-2"]
    sent = reload_row(row)
    assert sent.status == SENT and sent.due_pk is None and sent.attempts == 1
    assert sent.result["effects"]["1"] == {"n": 1} and sent.result["effects"]["2"] == {"n": 2}
    assert [e.status for e in outbox.effects(sent)] == [SENT, SENT, SENT]


def test_a_failing_effect_is_retried_without_repeating_the_ones_that_succeeded(
        mail_api, demo_brand, effects):
    b = demo_brand["id"]
    effects.failing = 1
    row = commit(b, [mail(b), outbox.row(b, "test-flaky", {}),
                     outbox.row(b, "test-counted", {"n": 3})])
    [message] = receive()
    answer = jobs.consume_outbox_batch(as_event([message]))
    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    failed = reload_row(row)
    assert failed.status == PENDING and failed.claim_id is None
    assert "effect 1 (test-flaky) RuntimeError: downstream is down" in failed.last_error
    # The effects around it are done (the mail with its sent-mail log row), and recorded.
    assert sorted(failed.result["effects"]) == ["0", "2"]
    assert [e.status for e in outbox.effects(failed)] == [SENT, PENDING, SENT]
    assert len(mails_to("bob@example.com")) == 1 and effects.ran == [f"{row.id}-2"]
    assert [m["to"] for m in mailer.sent_mails(b)] == ["bob@example.com"]

    assert jobs.consume_outbox_batch(as_event([message])) == {"batchItemFailures": []}
    assert len(mails_to("bob@example.com")) == 1  # not sent again
    assert effects.ran == [f"{row.id}-2", f"{row.id}-1"]
    assert len(mailer.sent_mails(b)) == 1
    done = reload_row(row)
    assert done.status == SENT and done.attempts == 2
    assert sorted(done.result["effects"]) == ["0", "1", "2"]


def test_a_dead_lettered_bundle_gives_up_the_effects_not_done_then_redrives(
        mail_api, demo_brand, effects):
    b = demo_brand["id"]
    effects.failing = -1
    row = commit(b, [outbox.row(b, "test-counted", {"n": 1}), outbox.row(b, "test-flaky", {}),
                     outbox.row(b, "test-counted", {"n": 2})])
    answers = drain(max_rounds=7)
    assert len(answers) == 5 and all(a["batchItemFailures"] for a in answers)
    given_up = reload_row(row)
    assert given_up.status == FAILED and given_up.due_pk is None
    # The effect not done gets its own kind's give-up hook, once; those done don't.
    assert effects.gave_up == [f"{row.id}-1"]
    assert effects.ran == [f"{row.id}-0", f"{row.id}-2"]
    dead = receive("outbox-dlq")
    assert [json.loads(m["Body"])["outboxId"] for m in dead] == [row.id]

    effects.failing = 0  # the cause is fixed; the redriven message finishes the bundle
    assert jobs.consume_outbox_batch(as_event(dead)) == {"batchItemFailures": []}
    assert effects.ran == [f"{row.id}-0", f"{row.id}-2", f"{row.id}-1"]
    assert reload_row(row).status == SENT
