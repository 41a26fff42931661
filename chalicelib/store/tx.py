"""One DynamoDB transaction, with its condition failures turned into readable errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.base import connection


class ConditionFailed(Exception):
    """A condition in the transaction failed; ``reasons`` has one code per operation, in order."""

    def __init__(self, reasons: list[str | None]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """Collect writes; commit them together on exit, all or nothing."""
    tw = TransactWrite(connection=connection())
    try:
        with tw:
            yield tw
    except TransactWriteError as e:
        reasons = [r.code if r else None for r in (e.cancellation_reasons or [])]
        if any(r == "ConditionalCheckFailed" for r in reasons):
            raise ConditionFailed(reasons) from e
        raise
