"""Create every table, queue and bucket from store/schema.py (local stack and tests; infra/
does AWS)."""

from __future__ import annotations

import json

from chalicelib import settings
from chalicelib.store import aws, schema


def create_tables() -> None:
    ddb = aws.client("dynamodb")
    s = settings.get()
    existing = set(ddb.list_tables()["TableNames"])
    for t in schema.TABLES:
        name = s.table_name(t.name)
        if name in existing:
            continue
        kwargs = {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [
                {"AttributeName": t.hash_key, "KeyType": "HASH"},
                {"AttributeName": t.range_key, "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": "S"} for a in t.key_attributes()
            ],
        }
        if t.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": i.name,
                    "KeySchema": [
                        {"AttributeName": i.hash_key, "KeyType": "HASH"},
                        {"AttributeName": i.range_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for i in t.indexes
            ]
        ddb.create_table(**kwargs)
        if t.ttl_attribute:
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": t.ttl_attribute},
            )


def create_queues() -> None:
    sqs = aws.client("sqs")
    s = settings.get()
    for q in schema.QUEUES:
        dlq_url = sqs.create_queue(QueueName=s.queue_name(q.dlq_name))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sqs.create_queue(
            QueueName=s.queue_name(q.name),
            Attributes={
                "VisibilityTimeout": str(s.queue_visibility_seconds),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(q.max_receives)}
                ),
            },
        )


def create_buckets() -> None:
    s3 = aws.client("s3")
    s = settings.get()
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for logical in schema.BUCKETS:
        name = s.bucket_name(logical)
        if name in existing:
            continue
        kwargs: dict = {"Bucket": name}
        if s.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": s.region}
        s3.create_bucket(**kwargs)


def create_all() -> None:
    create_tables()
    create_queues()
    create_buckets()
