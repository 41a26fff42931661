"""AWS clients, created once per process, lazily, and shared (ARCHITECTURE.md, "Cold start").

One botocore session makes them all, PynamoDB's DynamoDB client included (store/base.py): a
session reads the endpoint rules, retry and default-config files once and keeps the service
models it loaded, so a second session (boto3 made one per client, PynamoDB its own) paid all of
that again at cold start. Clients come from botocore itself: boto3 only wraps the same call and
adds S3 transfer and resource helpers we don't use, and importing it costs ~30 ms.

Once also under threads (the local stack's API and workers): ``functools.cache`` lets every
thread that misses at the same moment build its own client (~0.1 s of CPU each), which made
the first burst on a fresh API process wait seconds. ``lock`` is held while any client is made
from the session, here or in store/base.py: a botocore session is not thread-safe.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from chalicelib import settings
from chalicelib.lasting import lasting

_clients: dict[str, Any] = {}
_session: Any = None
lock = threading.RLock()


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        with lock:
            found = _clients.get(service)
            if found is None:
                found = _clients[service] = _create(service)
    return found


def session() -> Any:
    """The process's botocore session (create clients from it holding ``lock``)."""
    global _session
    with lock:
        if _session is None:
            import botocore.session  # deferred: ~100 ms, not every invocation needs AWS

            _session = botocore.session.get_session()
        return _session


def _create(service: str) -> Any:
    s = settings.get()
    endpoint = s.dynamodb_endpoint_url if service == "dynamodb" else s.aws_endpoint_url
    with lock, lasting():  # the client and its models last the process
        return session().create_client(service, region_name=s.region, endpoint_url=endpoint)


@cache
def queue_url(logical_name: str) -> str:
    """The queue's URL: the settings' ``queue_url_prefix`` + its name when set (deployed
    stages: no SQS call), else SQS's GetQueueUrl (the local stack, tests)."""
    s = settings.get()
    name = s.queue_name(logical_name)
    if s.queue_url_prefix:
        return s.queue_url_prefix + name
    return client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def reset() -> None:
    """Forget every cached client and the session (tests start a fresh moto per test)."""
    global _session
    with lock:
        _clients.clear()
        _session = None
    queue_url.cache_clear()
