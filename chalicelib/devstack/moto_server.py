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

moto's own costs that grow with its tables (a transaction's whole-table copies, the reply
serializer's name lookups) are taken out by ``moto_speed.install`` (moto_speed.py), as in the
tests' in-process moto: the same replies, the same stored items.

    python -m chalicelib.devstack.moto_server [--serialise-dynamodb] -H 127.0.0.1 -p 5055
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main  # after the stack's environment

    from chalicelib.devstack import moto_speed  # imports moto: after the stack's environment

    args = list(sys.argv[1:] if argv is None else argv)
    serialise = "--serialise-dynamodb" in args
    args = [a for a in args if a != "--serialise-dynamodb"]
    fast_sqs_clock()
    moto_speed.install()
    if not serialise:
        moto_main(args)
        return
    with serialised_dynamodb():
        moto_main(args)


if __name__ == "__main__":
    main()
