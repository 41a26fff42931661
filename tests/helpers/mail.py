"""The mail outbox as tests see it: what moto's SES sent, the outbox queue, and draining it
through the consumer as Lambda would."""

from __future__ import annotations

from chalicelib import settings
from chalicelib.notify import jobs
from chalicelib.store import aws

ACCOUNT = "123456789012"


REGION = "us-east-1"


def ses_sent() -> list:
    from moto.ses.models import ses_backends

    return ses_backends[ACCOUNT][REGION].sent_messages


def queue_url(name: str = "outbox") -> str:
    return aws.client("sqs").get_queue_url(QueueName=settings.get().queue_name(name))["QueueUrl"]


def receive(name: str = "outbox", n: int = 10) -> list[dict]:
    resp = aws.client("sqs").receive_message(QueueUrl=queue_url(name), MaxNumberOfMessages=n,
                                             AttributeNames=["All"])
    return resp.get("Messages", [])


def as_event(messages: list[dict]) -> dict:
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                         "body": m["Body"], "eventSource": "aws:sqs"} for m in messages]}


def drain(max_rounds: int = 20, retry_now: bool = True) -> list[dict]:
    """Feed the outbox queue to the consumer as Lambda would, until it is empty.

    Messages the consumer did not report failed are deleted (Lambda does that); failed ones are
    made visible again at once when ``retry_now`` (instead of waiting the visibility timeout).
    Returns every batch's answer.
    """
    sqs = aws.client("sqs")
    url = queue_url()
    answers = []
    for _ in range(max_rounds):
        messages = receive()
        if not messages:
            break
        answer = jobs.consume_outbox_batch(as_event(messages))
        answers.append(answer)
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            elif retry_now:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                              VisibilityTimeout=0)
    return answers


def mails_to(address: str) -> list:
    return [m for m in ses_sent() if address in m.destinations["ToAddresses"]]
