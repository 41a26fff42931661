"""The helpers the "writes nothing" checks stand on (tests/helpers/tables.py): they must see
what they claim to see, or the checks built on them would pass on nothing."""

from __future__ import annotations

import json

import pytest

from tests.helpers.tables import dump_tables, no_dynamodb_writes


def test_the_no_write_check_sees_a_write_on_either_client(aws_env):
    """no_dynamodb_writes (above) must fail on a write through PynamoDB's client or
    store/aws.py's, and let reads pass."""
    from chalicelib import settings
    from chalicelib.store import aws
    from chalicelib.store.base import connection

    table = settings.get().table_name("payments")
    item = {"pk": {"S": "B#x#CHECK"}, "sk": {"S": "CHECK"}}
    for client in (connection().client, aws.client("dynamodb")):
        with pytest.raises(AssertionError, match="PutItem"):
            with no_dynamodb_writes("the check's own write"):
                client.put_item(TableName=table, Item=item)
    with no_dynamodb_writes("a read"):
        aws.client("dynamodb").get_item(TableName=table, Key=item)


def test_a_brands_table_dump_holds_exactly_its_items(demo_brand, other_brand):
    """dump_tables(brand) (tests/helpers/tables.py) filters in the Scan: it must return every item
    of that brand and no other's, or the checks built on it would pass on nothing."""
    everything = dump_tables()
    mine = dump_tables(demo_brand["id"])
    expected = {t: [i for i in items
                    if json.loads(i)["pk"]["S"] == f"B#{demo_brand['id']}"
                    or json.loads(i)["pk"]["S"].startswith(f"B#{demo_brand['id']}#")]
                for t, items in everything.items()}
    assert mine == expected
    assert sum(map(len, mine.values())) > 0
    assert all(other_brand["id"] not in i for items in mine.values() for i in items)


def test_the_dump_read_from_moto_is_the_scans_and_sees_a_changed_item(demo_brand, monkeypatch):
    """In-process moto, dump_tables reads moto's tables, not a Scan: the same items, binaries
    and numbers too, and a changed attribute of one item is a change to assert_unchanged."""
    from chalicelib import settings
    from chalicelib.store import aws
    from tests.helpers import tables

    aws.client("dynamodb").put_item(TableName=settings.get().table_name("payments"), Item={
        "pk": {"S": f"B#{demo_brand['id']}#PROBE"}, "sk": {"S": "PROBE"}, "b": {"B": b"\0\1"},
        "bs": {"BS": [b"\2"]}, "m": {"M": {"b": {"B": b"\3"}}}, "n": {"N": "1.50"}})
    direct = tables.dump_tables()
    with monkeypatch.context() as m:
        m.setattr(tables, "_moto_items", lambda table_name: None)
        assert tables.dump_tables() == direct
    assert sum(map(len, direct.values())) > 0

    brand_row = next(json.loads(i) for i in direct["identity"]
                     if i.startswith('{"') and demo_brand["id"] in i)
    aws.client("dynamodb").update_item(
        TableName=settings.get().table_name("identity"),
        Key={"pk": brand_row["pk"], "sk": brand_row["sk"]},
        UpdateExpression="SET probe = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    with pytest.raises(AssertionError, match="wrote to the identity table"):
        tables.assert_unchanged(direct, "the probe")
