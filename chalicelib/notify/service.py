"""Notify's public face: what other contexts use to cause a side effect (a mail, an outbox job).

The outbox (outbox.py): build rows, save them in your own transaction, publish after the commit::

    rows = [notify.mail(brand_id, "USER.PASSWORD.CHANGED", to, context)]
    with transaction() as tx:
        ...                         # the change itself
        notify.add(tx, rows)
    notify.publish(rows)

A context that owns an outbox kind registers its handler with ``register_kind`` (the consumer,
jobs.py, imports that context's service); a cold path that writes its rows without importing
the handler declares it (``declare_kind``). Mail contexts are built with ``user_vars`` and dates
shown with ``mail_date``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.notify import outbox
from chalicelib.notify.catalog import PASSWORD_CHANGED, PASSWORD_RESET_REQUESTED, Event
from chalicelib.notify.emailtemplates import save_template
from chalicelib.notify.events import event_dto
from chalicelib.notify.events import find as find_event
from chalicelib.notify.mailer import (
    MailError,
    all_sent_mails,
    ensure_sender_verified,
    is_local_host,
    sender_verified,
    sent_mails,
    set_brand_lookup,
)
from chalicelib.notify.mailer import deliver as deliver_mail
from chalicelib.notify.models import OutboxItem
from chalicelib.notify.outbox import (
    Delivery,
    Subscribers,
    declare_kind,
    register_kind,
    unregistered_kinds,
)
from chalicelib.notify.templates import brand_vars, mail_date, user_vars
from chalicelib.notify.texter import (
    all_sent_texts,
    is_e164,
    may_text,
    set_phone_lookup,
    text,
    texts_for,
)

__all__ = [
    "PASSWORD_CHANGED", "PASSWORD_RESET_REQUESTED", "Delivery", "Event", "MailError",
    "OutboxItem", "Subscribers", "add", "all_sent_mails", "brand_vars", "declare_kind",
    "deliver_mail", "ensure_sender_verified",
    "is_local_host", "mail", "mail_date", "publish", "register_kind", "row", "save_template",
    "sender_verified", "sent_mails", "set_brand_lookup", "user_vars",
    "event_dto", "find_event", "unregistered_kinds",
    "all_sent_texts", "is_e164", "may_text", "set_phone_lookup", "text", "texts_for",
]


# The outbox, as plain calls into outbox.py (looked up there at each call, so a test that
# replaces outbox.publish sees every caller use its replacement).

def row(brand_id: str, kind: str, payload: dict[str, Any]) -> OutboxItem:
    """A new Pending outbox row of a registered ``kind``; save it with ``add``."""
    return outbox.row(brand_id, kind, payload)


def mail(brand_id: str, event_code: str, to: str, context: dict[str, Any],
         language_code: str | None = None, secrets: list[str] | None = None,
         country_code: str | None = None) -> OutboxItem:
    """An outbox row that mails the event's template to ``to`` (outbox.mail)."""
    return outbox.mail(brand_id, event_code, to, context, language_code=language_code,
                       secrets=secrets, country_code=country_code)


def bundle(brand_id: str, rows: list[OutboxItem]) -> list[OutboxItem]:
    """One change's rows as one ``bundle`` row (outbox.bundle: one item in the transaction,
    each effect still run once by its own kind's handler)."""
    return outbox.bundle(brand_id, rows)


def effects(item: OutboxItem) -> list[OutboxItem]:
    """A row's effects as rows of their own kinds (a bundle's, or the row itself)."""
    return outbox.effects(item)


def add(tx: Any, rows: Iterable[OutboxItem]) -> None:
    """Save the rows inside the caller's transaction."""
    outbox.add(tx, rows)


def publish(rows: Iterable[OutboxItem]) -> int:
    """Send the rows to SQS after the commit (a failure is left to the sweeper)."""
    return outbox.publish(rows)
