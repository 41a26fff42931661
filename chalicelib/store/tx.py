"""One DynamoDB transaction, with its condition failures turned into readable errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

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


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """Collect writes; commit them together on exit, all or nothing."""
    tw = _Recorded(connection=connection())
    try:
        with tw:
            yield tw
    except TransactWriteError as e:
        sent = [r.code if r else None for r in (e.cancellation_reasons or [])]
        if any(r == "ConditionalCheckFailed" for r in sent):
            raise ConditionFailed(tw.in_added_order(sent)) from e
        raise
