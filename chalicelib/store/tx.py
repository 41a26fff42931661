"""One DynamoDB transaction, with its condition failures turned into readable errors.

Each transaction is one logical write with its own ``ClientRequestToken`` (``tx.token``). When
a reply is lost (a read timeout) botocore sends the same request again with the same token, and
DynamoDB answers a retry of a transaction it already committed (within 10 minutes) with success
instead of running it again. Emulators may not (moto doesn't): then the retry fails on the
first try's own writes, so a writer whose answer depends on a "must not exist" row stores the
token on that row and, on a condition failure, reads it back: its own token means "my earlier
try committed" (``is_own``), anything else a real duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store import ids
from chalicelib.store.base import connection

# PynamoDB sends a transaction's operations grouped by kind, in this order, whatever order they
# were added in; DynamoDB's cancellation reasons follow the order sent.
_SENT_ORDER = ("condition_check", "delete", "save", "update")


class ConditionFailed(Exception):
    """A condition in the transaction failed; ``reasons`` has one code per operation, in the
    order the caller added them."""

    def __init__(self, reasons: list[str | None]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


class _Recorded(TransactWrite):
    """Remembers the order operations were added in, to map DynamoDB's reasons back to it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.added: list[str] = []

    @property
    def token(self) -> str:
        return self._client_request_token or ""

    def condition_check(self, *args: Any, **kwargs: Any) -> None:
        super().condition_check(*args, **kwargs)
        self.added.append("condition_check")

    def delete(self, *args: Any, **kwargs: Any) -> None:
        super().delete(*args, **kwargs)
        self.added.append("delete")

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self.added.append("save")

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.added.append("update")

    def in_added_order(self, sent: list[str | None]) -> list[str | None]:
        sent_positions = [i for kind in _SENT_ORDER
                          for i, k in enumerate(self.added) if k == kind]
        out: list[str | None] = [None] * len(self.added)
        for sent_index, added_index in enumerate(sent_positions):
            if sent_index < len(sent):
                out[added_index] = sent[sent_index]
        return out


def new_token() -> str:
    """A ClientRequestToken (1-36 printable characters) for one logical write."""
    return ids.new_id(32)


def is_own(item: Any, token: str) -> bool:
    """Whether ``item`` (read back after a condition failure) was written by the transaction
    with ``token``: an earlier try of this very write, whose reply was lost."""
    return item is not None and bool(token) and getattr(item, "write_id", None) == token


@contextmanager
def transaction(token: str | None = None) -> Iterator[_Recorded]:
    """Collect writes; commit them together on exit, all or nothing. ``token``: the write's
    ClientRequestToken (a new one when None); pass one only to store it on a written row."""
    tw = _Recorded(connection=connection(), client_request_token=token or new_token())
    try:
        with tw:
            yield tw
    except TransactWriteError as e:
        sent = [r.code if r else None for r in (e.cancellation_reasons or [])]
        if any(r == "ConditionalCheckFailed" for r in sent):
            raise ConditionFailed(tw.in_added_order(sent)) from e
        raise
