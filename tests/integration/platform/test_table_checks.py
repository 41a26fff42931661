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
