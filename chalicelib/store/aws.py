"""boto3 clients, created once per process, lazily, and shared (ARCHITECTURE.md, "Cold start").

Once also under threads (the local stack's API and workers): ``functools.cache`` lets every
thread that misses at the same moment build its own client (~0.1 s of CPU each), which made
the first burst on a fresh API process wait seconds.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from chalicelib import settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        with _lock:
            found = _clients.get(service)
            if found is None:
                found = _clients[service] = _create(service)
    return found


def _create(service: str) -> Any:
    import boto3  # deferred: ~150 ms, not every invocation needs it

    s = settings.get()
    endpoint = s.dynamodb_endpoint_url if service == "dynamodb" else s.aws_endpoint_url
    return boto3.session.Session().client(service, region_name=s.region, endpoint_url=endpoint)


@cache
def queue_url(logical_name: str) -> str:
    name = settings.get().queue_name(logical_name)
    return client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def reset() -> None:
    """Forget every cached client (tests start a fresh moto per test)."""
    _clients.clear()
    queue_url.cache_clear()
