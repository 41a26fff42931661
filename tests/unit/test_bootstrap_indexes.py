"""An index added to store/schema.py after a table was made (a kept local database) is created
on the next start, and the tables made now carry every index with its projection."""

from __future__ import annotations

from chalicelib import settings
from chalicelib.store import aws, bootstrap, schema


def indexes(table: str) -> dict[str, dict]:
    described = aws.client("dynamodb").describe_table(
        TableName=settings.get().table_name(table))["Table"]
    return {i["IndexName"]: i["Projection"] for i in described.get("GlobalSecondaryIndexes", [])}


def test_a_missing_index_is_added_to_an_existing_table(aws_env):
    payments = schema.table("payments")
    ddb = aws.client("dynamodb")
    ddb.delete_table(TableName=settings.get().table_name("payments"))
    ddb.create_table(
        TableName=settings.get().table_name("payments"), BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                              for a in ("pk", "sk", "gsi1pk", "gsi1sk")],
        GlobalSecondaryIndexes=[bootstrap._index_spec(schema.GSI1)])
    assert set(indexes("payments")) == {"gsi1"}
    bootstrap.create_tables()
    assert set(indexes("payments")) == {i.name for i in payments.indexes}
    assert indexes("payments")["buyer"] == {"ProjectionType": "INCLUDE",
                                            "NonKeyAttributes": ["kind", "status", "createdDate"]}
    bootstrap.create_tables()  # and again: nothing left to add
    assert set(indexes("payments")) == {i.name for i in payments.indexes}
