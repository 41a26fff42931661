"""moto's server with each DynamoDB request atomic, as DynamoDB's are: the local stack's
DynamoDB before DynamoDB Local, kept for ``python -m chalicelib.devstack --dynamodb=moto``
(bench/stack.py measures both in one run) and for the in-process tests (tests/concurrency.py).
`make run` itself runs plain ``python -m moto.server`` for SQS, SES, SNS and S3.

moto's server handles requests on threads, but its DynamoDB backend is not thread-safe: under
concurrent requests a transaction's whole-table copy can meet another thread's write
("dictionary changed size during iteration", a 500) and a condition can be checked and applied
in separate steps. bench/ipn.py measured 106 of 160 concurrent webhooks failing that way.
Serialising each DynamoDB request (not our read-then-write sequences, which still race as they
would on AWS) makes moto behave like DynamoDB under load. Other services are left alone: SQS
long polls would hold a lock for seconds.

    python -m chalicelib.devstack.moto_server -H 127.0.0.1 -p 5055   # moto.server's arguments
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serialised_dynamodb() -> Iterator[None]:
    """Within this block, one moto DynamoDB request at a time (also used by the tests)."""
    from moto.dynamodb.responses import DynamoHandler

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


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main

    with serialised_dynamodb():
        moto_main(argv)


if __name__ == "__main__":
    main()
