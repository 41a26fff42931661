"""A queue's URL: from the stage's URL prefix when the stack sets one (no SQS call on a cold
start), else from SQS's GetQueueUrl (the local stack, tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import settings
from chalicelib.store import aws


@pytest.fixture
def fresh() -> Iterator[None]:
    aws.queue_url.cache_clear()
    yield
    settings.reload()
    aws.queue_url.cache_clear()


def test_the_prefix_names_the_queue_without_asking_sqs(fresh, monkeypatch):
    monkeypatch.setenv("JFW_STAGE", "prod")
    monkeypatch.delenv("JFW_QUEUE_PREFIX", raising=False)
    monkeypatch.setenv("JFW_QUEUE_URL_PREFIX", "https://sqs.eu-west-1.amazonaws.com/123456789012/")
    settings.reload()
    asked = []
    monkeypatch.setattr(aws, "client", lambda service: asked.append(service))
    assert aws.queue_url("outbox") == \
        "https://sqs.eu-west-1.amazonaws.com/123456789012/jfw-prod-outbox"
    assert asked == []


def test_without_a_prefix_sqs_is_asked(fresh, monkeypatch):
    monkeypatch.delenv("JFW_QUEUE_URL_PREFIX", raising=False)
    settings.reload()

    class Sqs:
        def get_queue_url(self, QueueName: str) -> dict:  # noqa: N803 - botocore's name
            return {"QueueUrl": f"http://sqs.local/000000000000/{QueueName}"}

    monkeypatch.setattr(aws, "client", lambda service: Sqs())
    assert aws.queue_url("outbox") == \
        f"http://sqs.local/000000000000/{settings.get().queue_name('outbox')}"
