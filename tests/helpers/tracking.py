"""Mails really sent through the outbox (each with its SES message id and delivery-log row),
and SNS's POST to the feedback route, for the delivery-tracking tests."""

from __future__ import annotations

import json

from chalicelib.notify import outbox, templates
from chalicelib.notify.models import SentMailItem, sent_mail_pk
from chalicelib.store.tx import transaction
from tests.helpers.api import Api
from tests.helpers.mail import drain


def send_mail(brand_id: str, to: str, event: str = "USER.PASSWORD.CHANGED") -> SentMailItem:
    """One mail through the outbox and the consumer; its delivery-log row."""
    item = outbox.mail(brand_id, event, to,
                       {"user": templates.user_vars(username="bob", first_name="Bob"),
                        "change": {"date": "today", "method": "change"}})
    with transaction() as tx:
        outbox.add(tx, [item])
    outbox.publish([item])
    drain()
    return log_row(brand_id, item.id)


def log_row(brand_id: str, outbox_id: str) -> SentMailItem:
    """The newest delivery-log row of an outbox row (read again: its current status)."""
    rows = [r for r in SentMailItem.query(sent_mail_pk(brand_id), scan_index_forward=False,
                                          consistent_read=True)
            if r.outbox_id == outbox_id]
    assert rows, f"no delivery-log row for outbox {outbox_id}"
    return rows[0]


def post_sns(api: Api, message: dict | str):
    """POST a message as SNS does: text/plain with JSON inside, no Auth-Key."""
    raw = message if isinstance(message, str) else json.dumps(message)
    headers = {"Content-Type": "text/plain; charset=UTF-8",
               "x-amz-sns-message-type": "Notification"}
    return api.as_(None).request("POST", "v1/ses/notifications", raw=raw, headers=headers)
