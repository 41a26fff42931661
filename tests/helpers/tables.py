"""Every table item by item: a request that must write nothing leaves them unchanged; or, where
a request must not even try to write (it is refused before any handler runs), no write call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

WRITE_CALLS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def dump_tables(brand_id: str | None = None) -> dict[str, list[str]]:
    """Every item of every table (Scan is fine in tests, never on a request path); with
    ``brand_id``, only the items of that brand (their keys start with ``B#<brand_id>``)."""
    from chalicelib import settings
    from chalicelib.store import aws, schema

    ddb = aws.client("dynamodb")
    out = {}
    for t in schema.TABLES:
        items: list[str] = []
        scan = {"TableName": settings.get().table_name(t.name), "ConsistentRead": True}
        if brand_id is not None:  # only the brand's items come back (moto serialises less)
            scan.update(FilterExpression="begins_with(pk, :b)",
                        ExpressionAttributeValues={":b": {"S": f"B#{brand_id}"}})
        for page in ddb.get_paginator("scan").paginate(**scan):
            items += [json.dumps(i, sort_keys=True, default=_binary) for i in page["Items"]
                      if brand_id is None or i["pk"]["S"] == f"B#{brand_id}"
                      or i["pk"]["S"].startswith(f"B#{brand_id}#")]
        out[t.name] = sorted(items)
    return out


def _binary(value: object) -> str:
    """A binary attribute's bytes (a notification's compressed body), comparable as text."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    raise TypeError(f"{type(value).__name__} in a stored item")


def assert_unchanged(before: dict[str, list[str]], what: str,
                     brand_id: str | None = None) -> None:
    after = dump_tables(brand_id)
    for table, items in before.items():
        added = sorted(set(after[table]) - set(items))
        removed = sorted(set(items) - set(after[table]))
        assert not added and not removed, (
            f"{what} wrote to the {table} table: added {added[:3]}, removed {removed[:3]}")


@contextmanager
def no_dynamodb_writes(what: str) -> Iterator[None]:
    """Fails when any DynamoDB write is sent while the block runs, on every DynamoDB client of
    the process (PynamoDB's and store/aws.py's): stronger than comparing the tables before and
    after (a write that changed nothing fails it too), and it needs no Scan of every table."""
    from chalicelib.store import aws
    from chalicelib.store.base import connection

    sent: list[str] = []

    def record(event_name: str, **_: object) -> None:
        sent.append(event_name.rsplit(".", 1)[1])

    clients = list({id(c): c for c in (connection().client, aws.client("dynamodb"))}.values())
    for c in clients:
        for op in WRITE_CALLS:
            c.meta.events.register(f"before-call.dynamodb.{op}", record)
    try:
        yield
    finally:
        for c in clients:
            for op in WRITE_CALLS:
                c.meta.events.unregister(f"before-call.dynamodb.{op}", record)
    assert not sent, f"{what} wrote to DynamoDB: {sent}"
