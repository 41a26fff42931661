"""Running work at the same moment against moto, with each DynamoDB request atomic.

moto evaluates a condition and applies the write in separate Python steps without a lock, so
two threads can interleave *inside* one request (and a failed transaction restores a copy of
the whole table, undoing other threads' writes) - something DynamoDB never does.
``serialised_dynamodb`` (chalicelib/devstack/moto_server.py, also behind the stack's
``--dynamodb=moto``) makes each request atomic, as DynamoDB's are, and leaves the interleaving
between requests, which is what the concurrency tests are about, to the threads: a
read-then-write in our code still races (test_coupons_concurrency's
``test_the_harness_catches_a_check_then_write``).
chalice.test.Client keeps the current request on the app object, so threads call services
directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalicelib.devstack.moto_server import serialised_dynamodb  # noqa: F401 - one place


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start ``count`` threads that call ``work(i)`` at the same moment; outcomes in order
    (the result, or the exception raised)."""
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def go(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = work(i)
        except Exception as e:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = e

    threads = [threading.Thread(target=go, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def run_jobs(jobs: list[Callable[[], Any]]) -> list[Any]:
    """``run_together`` over a list of jobs; any exception other than an ApiError (a 4xx the
    caller would see) fails the test: it would be a 500."""
    from chalicelib.http.errors import ApiError

    results = run_together(len(jobs), lambda i: jobs[i]())
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ApiError)]
    assert unexpected == []
    return results
