"""moto's server as the local stack runs it: SQS, SES, SNS and S3 for `make run`, and with
``--serialise-dynamodb`` also DynamoDB with each request atomic, as DynamoDB's are (the local
stack's DynamoDB before DynamoDB Local, kept for ``python -m chalicelib.devstack --dynamodb=moto``:
bench/stack.py measures both in one run; the in-process tests use ``serialised_dynamodb`` too,
tests/concurrency.py).

SQS's clock: moto reads the time for every message on every send (each SendMessage computes all
queue attributes, approximate counts included, which test each message's visibility) through
``unix_time_millis``, which builds two datetimes per call. Under a backlog of a few hundred
messages that was 60 % of moto's CPU in bench/stack.py's burst. ``fast_sqs_clock`` gives moto's
SQS module the same milliseconds from ``time.time()`` (moto's server has no frozen time).

moto's server handles requests on threads, but its DynamoDB backend is not thread-safe: under
concurrent requests a transaction's whole-table copy can meet another thread's write
("dictionary changed size during iteration", a 500) and a condition can be checked and applied
in separate steps. bench/ipn.py measured 106 of 160 concurrent webhooks failing that way.
Serialising each DynamoDB request (not our read-then-write sequences, which still race as they
would on AWS) makes moto behave like DynamoDB under load. Other services are left alone: SQS
long polls would hold a lock for seconds.

A transaction's backup: moto deep-copies each table a transaction touches once PER ITEM (the
copies of one table are identical; the last is kept for the rollback), so its cost grew with the
table's size times the items on it: a webhook's 4 items on the payments table of a short bench
run took ~40 ms where a 1-item transaction on a small table took ~5 ms (bench/coldwebhook.py,
where it was a third of the app's distance to the minimal handler; DynamoDB's own latency does
not grow with the table). ``one_backup_per_table`` copies each table once per transaction: the
same backup, the same rollback.

    python -m chalicelib.devstack.moto_server [--serialise-dynamodb] -H 127.0.0.1 -p 5055
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serialised_dynamodb() -> Iterator[None]:
    """Within this block, one moto DynamoDB request at a time (also used by the tests)."""
    from moto.dynamodb.responses import DynamoHandler  # after the stack's environment

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.call_action = original  # type: ignore[method-assign]


def fast_sqs_clock() -> None:
    """moto's SQS visibility and delay checks on ``time.time()`` (same value, ~10x cheaper)."""
    import moto.sqs.models as sqs_models  # after the stack's environment

    original = sqs_models.unix_time_millis

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else original(dt)

    sqs_models.unix_time_millis = unix_time_millis  # type: ignore[assignment]


@contextmanager
def one_backup_per_table() -> Iterator[None]:
    """Within this block, moto's transaction backup is made once per table instead of once per
    item (module doc)."""
    import moto.dynamodb.models as ddb  # after the stack's environment
    from moto.dynamodb.models.table import Table  # after the stack's environment

    original = ddb.DynamoDBBackend.transact_write_items
    local = threading.local()  # the copies of the transaction running on this thread

    class _Copy:
        """moto's ``copy`` module as its DynamoDB backend sees it: a table copied again within
        one transaction is the first copy (nothing is written before the backup is complete)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(obj: Any, *args: Any) -> Any:
            copies = getattr(local, "copies", None)
            if copies is None or not isinstance(obj, Table):
                return copy.deepcopy(obj, *args)
            if id(obj) not in copies:
                copies[id(obj)] = (obj, copy.deepcopy(obj, *args))
            return copies[id(obj)][1]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        local.copies = {}
        try:
            return original(self, transact_items)
        finally:
            local.copies = None

    ddb.copy = _Copy()  # type: ignore[assignment]
    ddb.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        ddb.copy = copy  # type: ignore[assignment]
        ddb.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main  # after the stack's environment

    args = list(sys.argv[1:] if argv is None else argv)
    serialise = "--serialise-dynamodb" in args
    args = [a for a in args if a != "--serialise-dynamodb"]
    fast_sqs_clock()
    with one_backup_per_table():
        if not serialise:
            moto_main(args)
            return
        with serialised_dynamodb():
            moto_main(args)


if __name__ == "__main__":
    main()
