"""boto3 clients, created once per process, lazily, and shared (design.md, "Cold start")."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib import settings


@cache
def client(service: str) -> Any:
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
    client.cache_clear()
    queue_url.cache_clear()
