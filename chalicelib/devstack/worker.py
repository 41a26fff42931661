"""Drains an SQS queue into its consumer function, as Lambda's SQS event source does.

Lambda semantics kept: a batch of up to ``batch_size`` messages in one event; the consumer
answers ``{"batchItemFailures": [{"itemIdentifier": messageId}, ...]}``; the messages it did not
list are deleted, the others become visible again after the visibility timeout, and after the
queue's maxReceiveCount SQS moves them to the dead-letter queue. A consumer that raises fails
the whole batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from chalicelib import settings
from chalicelib.store import aws
from chalicelib.store.schema import Queue

log = logging.getLogger("jfw.devstack.worker")

Consumer = Callable[[dict], Any]


def lambda_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    """An SQS event as Lambda delivers it."""
    return {"Records": [{
        "messageId": m["MessageId"],
        "receiptHandle": m["ReceiptHandle"],
        "body": m.get("Body", ""),
        "attributes": dict(m.get("Attributes") or {}),
        "messageAttributes": {
            name: {
                "stringValue": v.get("StringValue"),
                "binaryValue": v.get("BinaryValue"),
                "dataType": v.get("DataType"),
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, v in (m.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": m.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    } for m in messages]}


def failed_ids(result: Any, message_ids: set[str]) -> set[str]:
    """The message ids the consumer reported as failed; all of them if the answer is malformed
    (Lambda treats an unreadable answer as a failed batch)."""
    if result is None:
        return set()
    if not isinstance(result, dict):
        log.error("consumer returned %r, not a dict; the whole batch is retried", result)
        return set(message_ids)
    failures = result.get("batchItemFailures") or []
    ids = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
    if len(ids) != len(failures) or not ids <= message_ids:
        log.error("consumer reported unknown batchItemFailures %r; the whole batch is retried",
                  failures)
        return set(message_ids)
    return ids  # type: ignore[return-value]


class QueueWorker(threading.Thread):
    def __init__(self, queue: Queue, consumer: Consumer, stop: threading.Event,
                 wait_seconds: int = 1, name: str | None = None) -> None:
        super().__init__(name=name or f"worker-{queue.name}", daemon=True)
        self.queue = queue
        self.consumer = consumer
        self.stop = stop
        self.wait_seconds = wait_seconds
        self.handled = 0

    def run(self) -> None:
        sqs = aws.client("sqs")
        url = aws.queue_url(self.queue.name)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        region = settings.get().region
        while not self.stop.is_set():
            try:
                self.poll_once(sqs, url, arn, region)
            except Exception:  # noqa: BLE001 - the worker must outlive a bad batch; it logs
                log.exception("queue %s: receive/delete failed; retrying in 1 s", self.queue.name)
                self.stop.wait(1.0)

    def poll_once(self, sqs: Any, url: str, arn: str, region: str) -> None:
        resp = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(self.queue.batch_size, 10),
            WaitTimeSeconds=self.wait_seconds, AttributeNames=["All"],
            MessageAttributeNames=["All"])
        messages = resp.get("Messages") or []
        if not messages:
            return
        ids = {m["MessageId"] for m in messages}
        try:
            result = self.consumer(lambda_event(messages, arn, region))
        except Exception:  # noqa: BLE001 - as Lambda: the batch fails and comes back later
            log.exception("queue %s: consumer %s raised; %d message(s) will be retried after "
                          "the visibility timeout", self.queue.name, self.queue.consumer,
                          len(messages))
            return
        failed = failed_ids(result, ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start:start + 10]
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)])
        self.handled += len(done)
        log.info("queue %s: %d handled, %d to retry", self.queue.name, len(done), len(failed))
