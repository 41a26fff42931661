"""Move messages from a queue's dead-letter queue back to the queue, so they are tried again.

    python -m chalicelib.notify.redrive                 # the outbox queue
    python -m chalicelib.notify.redrive --queue outbox --max 100 [--dry-run]

A message lands in ``<queue>-dlq`` after the queue's ``max_receives`` failed tries (mail that SES
refused, a payment-event subscriber that raised, ...). Fix the cause, then redrive: each message
is sent to the source queue first and deleted from the DLQ only after SQS accepted it, so a crash
halfway duplicates at worst (consumers are idempotent by the outbox id; an outbox row already
Sent is acknowledged without acting). Works against AWS and the local stack alike: it talks to
the SQS of the usual AWS settings (credentials, ``AWS_REGION``, ``JFW_STAGE`` for the queue
names), or to the endpoint in ``JFW_AWS_ENDPOINT_URL`` (the local stack's moto server); the
queues are the logical names of store/schema.py. It first prints where it connects.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chalicelib import settings
from chalicelib.store import aws, schema


def redrive(queue: str = "outbox", limit: int | None = None, dry_run: bool = False) -> int:
    """Move up to ``limit`` messages (all when None) from ``queue``'s DLQ back; how many."""
    q = schema.queue(queue)
    sqs: Any = aws.client("sqs")
    source, dlq = aws.queue_url(q.name), aws.queue_url(q.dlq_name)
    moved = 0
    while limit is None or moved < limit:
        want = 10 if limit is None else min(10, limit - moved)
        msgs = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=want,
                                   VisibilityTimeout=60, WaitTimeSeconds=0,
                                   MessageAttributeNames=["All"]).get("Messages", [])
        if not msgs:
            break
        if dry_run:
            for m in msgs:
                print(m["Body"])
            sqs.change_message_visibility_batch(QueueUrl=dlq, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(msgs)])
            return len(msgs)
        entries = [{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(msgs)]
        sent = sqs.send_message_batch(QueueUrl=source, Entries=entries)
        ok = {e["Id"] for e in sent.get("Successful", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(msgs) if str(i) in ok]
        if done:
            sqs.delete_message_batch(QueueUrl=dlq, Entries=done)
        moved += len(done)
        if len(done) < len(msgs):
            print(f"{len(msgs) - len(done)} message(s) could not be sent back; they stay in "
                  f"the DLQ: {sent.get('Failed')}", file=sys.stderr)
            break
    return moved


def where(queue: str) -> str:
    """The SQS endpoint, region and queues a redrive of ``queue`` talks to."""
    s = settings.get()
    endpoint = aws.client("sqs").meta.endpoint_url
    source = "JFW_AWS_ENDPOINT_URL" if s.aws_endpoint_url else "AWS"
    q = schema.queue(queue)
    return (f"SQS endpoint {endpoint} ({source}), region {s.region}, stage {s.stage}: "
            f"{s.queue_name(q.dlq_name)} -> {s.queue_name(q.name)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.notify.redrive",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue", default="outbox", choices=[q.name for q in schema.QUEUES])
    parser.add_argument("--max", type=int, default=None, help="move at most this many")
    parser.add_argument("--dry-run", action="store_true",
                        help="print up to 10 message bodies, move nothing")
    args = parser.parse_args(argv)
    print(where(args.queue))
    moved = redrive(args.queue, args.max, args.dry_run)
    verb = "would move (shown above)" if args.dry_run else "moved"
    print(f"{args.queue}: {verb} {moved} message(s) from {args.queue}-dlq")
    return 0


if __name__ == "__main__":
    sys.exit(main())
