"""One definition, no drift: the local stack (store/bootstrap.py, run in moto by the ``aws_env``
fixture) and the synthesised template declare the same tables, key schemas, indexes, TTL,
queues with their dead-letter queues, and buckets."""

from __future__ import annotations

import json

from chalicelib import settings
from tests.infra import checks


def _index_shape(gsi: dict) -> tuple:
    return (gsi["IndexName"], tuple((k["AttributeName"], k["KeyType"]) for k in gsi["KeySchema"]),
            gsi["Projection"]["ProjectionType"],
            tuple(sorted(gsi["Projection"].get("NonKeyAttributes", []))))


def _table_shape(key_schema, attributes, gsis, ttl) -> dict:
    return {
        "keys": tuple((k["AttributeName"], k["KeyType"]) for k in key_schema),
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in attributes),
        "indexes": sorted(_index_shape(g) for g in gsis or []),
        "ttl": ttl,
    }


def local_tables() -> dict[str, dict]:
    from chalicelib.store import aws

    ddb, prefix = aws.client("dynamodb"), settings.get().table_prefix
    out = {}
    for name in ddb.list_tables()["TableNames"]:
        d = ddb.describe_table(TableName=name)["Table"]
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        on = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        out[name.removeprefix(prefix)] = _table_shape(
            d["KeySchema"], d["AttributeDefinitions"], d.get("GlobalSecondaryIndexes"),
            ttl.get("AttributeName") if on else None)
    return out


def deployed_tables(template: dict, stage: str) -> dict[str, dict]:
    out = {}
    for r in checks.resources(template, "AWS::DynamoDB::Table").values():
        p = r["Properties"]
        ttl = p.get("TimeToLiveSpecification") or {}
        out[p["TableName"].removeprefix(checks.prefix(stage))] = _table_shape(
            p["KeySchema"], p["AttributeDefinitions"], p.get("GlobalSecondaryIndexes"),
            ttl.get("AttributeName") if ttl.get("Enabled") else None)
    return out


def local_queues() -> dict[str, dict]:
    from chalicelib.store import aws

    sqs, prefix = aws.client("sqs"), settings.get().queue_prefix
    out = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attrs.get("RedrivePolicy", "null"))
        out[url.rsplit("/", 1)[1].removeprefix(prefix)] = None if redrive is None else {
            "dlq": redrive["deadLetterTargetArn"].rsplit(":", 1)[1].removeprefix(prefix),
            "maxReceiveCount": int(redrive["maxReceiveCount"])}
    return out


def deployed_queues(template: dict, stage: str) -> dict[str, dict]:
    queues = checks.resources(template, "AWS::SQS::Queue")
    out = {}
    for r in queues.values():
        p = r["Properties"]
        redrive = p.get("RedrivePolicy")
        out[p["QueueName"].removeprefix(checks.prefix(stage))] = None if redrive is None else {
            "dlq": queues[checks.target(redrive["deadLetterTargetArn"])]["Properties"][
                "QueueName"].removeprefix(checks.prefix(stage)),
            "maxReceiveCount": int(redrive["maxReceiveCount"])}
    return out


def local_buckets() -> list[str]:
    from chalicelib.store import aws, schema

    s = settings.get()
    names = {b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]}
    return sorted(logical for logical in schema.BUCKETS if s.bucket_name(logical) in names)


def deployed_buckets(template: dict, stage: str) -> list[str]:
    out = []
    for r in checks.resources(template, "AWS::S3::Bucket").values():
        head = checks._literal_head(r["Properties"]["BucketName"])
        out.append(head.removeprefix(checks.prefix(stage)).rstrip("-"))
    return sorted(out)


def test_local_stack_and_template_declare_the_same_tables(aws_env, templates):
    local = local_tables()
    assert local, "bootstrap created no table"
    for stage, template in templates.items():
        assert deployed_tables(template, stage) == local, stage


def test_local_stack_and_template_declare_the_same_queues_and_dlqs(aws_env, templates):
    local = local_queues()
    assert any(v for v in local.values()), "bootstrap created no queue with a DLQ"
    for stage, template in templates.items():
        assert deployed_queues(template, stage) == local, stage


def test_local_stack_and_template_declare_the_same_buckets(aws_env, templates):
    local = local_buckets()
    assert local
    for stage, template in templates.items():
        assert deployed_buckets(template, stage) == local, stage
