"""Create every table, queue and bucket from store/schema.py (local stack and tests; infra/
does AWS)."""

from __future__ import annotations

import json

from chalicelib import settings
from chalicelib.store import aws, schema


def _projection(index: schema.Index) -> dict:
    if index.include is None:
        return {"ProjectionType": "ALL"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.include)}


def _index_spec(index: schema.Index) -> dict:
    return {
        "IndexName": index.name,
        "KeySchema": [
            {"AttributeName": index.hash_key, "KeyType": "HASH"},
            {"AttributeName": index.range_key, "KeyType": "RANGE"},
        ],
        "Projection": _projection(index),
    }


def add_missing_indexes(ddb: object, name: str, table: schema.Table) -> list[str]:
    """An index added to schema.py after the table was made (a kept local database): created
    one at a time, as DynamoDB allows. Items written before it are in it only once rewritten."""
    described = ddb.describe_table(TableName=name)["Table"]  # type: ignore[attr-defined]
    have = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
    added = []
    for index in table.indexes:
        if index.name in have:
            continue
        ddb.update_table(  # type: ignore[attr-defined]
            TableName=name,
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                  for a in (index.hash_key, index.range_key)],
            GlobalSecondaryIndexUpdates=[{"Create": _index_spec(index)}])
        added.append(index.name)
    return added


def create_tables() -> None:
    ddb = aws.client("dynamodb")
    s = settings.get()
    existing = set(ddb.list_tables()["TableNames"])
    for t in schema.TABLES:
        name = s.table_name(t.name)
        if name in existing:
            add_missing_indexes(ddb, name, t)
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
            kwargs["GlobalSecondaryIndexes"] = [_index_spec(i) for i in t.indexes]
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
