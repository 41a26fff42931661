"""Every table item by item: a request that must write nothing leaves them unchanged; or, where
a request must not even try to write (it is refused before any handler runs), no write call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

WRITE_CALLS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def dump_tables(brand_id: str | None = None) -> dict[str, list[str]]:
    """Every item of every table (moto's own, in-process; else a Scan, fine in tests, never on a
    request path); with ``brand_id``, only the items of that brand (their keys start with
    ``B#<brand_id>``)."""
    from chalicelib import settings
    from chalicelib.store import aws, schema

    ddb = aws.client("dynamodb")
    out = {}
    for t in schema.TABLES:
        in_moto = _moto_items(settings.get().table_name(t.name))
        if in_moto is not None:
            out[t.name] = sorted(json.dumps(i, sort_keys=True, default=_binary) for i in in_moto
                                 if brand_id is None or _brands(i["pk"]["S"], brand_id))
            continue
        items: list[str] = []
        scan = {"TableName": settings.get().table_name(t.name), "ConsistentRead": True}
        if brand_id is not None:  # only the brand's items come back (moto serialises less)
            scan.update(FilterExpression="begins_with(pk, :b)",
                        ExpressionAttributeValues={":b": {"S": f"B#{brand_id}"}})
        for page in ddb.get_paginator("scan").paginate(**scan):
            items += [json.dumps(i, sort_keys=True, default=_binary) for i in page["Items"]
                      if brand_id is None or _brands(i["pk"]["S"], brand_id)]
        out[t.name] = sorted(items)
    return out


def _brands(pk: str, brand_id: str) -> bool:
    return pk == f"B#{brand_id}" or pk.startswith(f"B#{brand_id}#")


def _moto_items(table_name: str) -> list[dict] | None:
    """The table's items as moto in this process holds them (each in DynamoDB's JSON), when the
    app's DynamoDB is that moto; else None (a Scan then). A Scan through boto3 costs moto's
    response serialiser ~10 ms per table, which made these dumps most of a test's time."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.models import MockAWS
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib import settings

    s = settings.get()
    if MockAWS._nested_count == 0 or s.dynamodb_endpoint_url:
        return None
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][s.region].tables.get(table_name)
    if table is None:
        return None
    return [item.to_json()["Attributes"] for item in table.all_items()]


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
