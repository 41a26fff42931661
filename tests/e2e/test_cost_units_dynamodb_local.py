"""bench/cost.py's item sizes and units against DynamoDB Local's own ConsumedCapacity (Amazon's
emulator, started here in memory on a free 127.0.0.1 port): each kind of attribute value is put
in an item padded to 1,024 bytes by our count, then to 1,025; DynamoDB Local must bill one write
unit, then two. The same at 4 KB for a strongly consistent read, for a transaction (2x) and for
the write units of an ALL and an INCLUDE index."""

from __future__ import annotations

import subprocess
import time

import boto3
import pytest

from tests.helpers.bench import load
from tests.localstripe import free_port

cost = load("cost")

pytestmark = pytest.mark.e2e

VALUES = {
    "string": {"S": "héllo wörld"},
    "number": {"N": "12345"},
    "odd decimal": {"N": "1.5"},
    "negative": {"N": "-1.50"},
    "big number": {"N": "123456789012345678901234567890123456"},
    "small number": {"N": "0.0015"},
    "zero": {"N": "0"},
    "binary": {"B": b"\x00\x01\x02\x03"},
    "bool": {"BOOL": True},
    "null": {"NULL": True},
    "empty list": {"L": []},
    "list": {"L": [{"S": "ab"}, {"N": "-7"}, {"BOOL": False}]},
    "nested map": {"M": {"b": {"M": {"c": {"S": "ab"}, "d": {"L": [{"NULL": True}]}}}}},
    "string set": {"SS": ["q", "rr"]},
    "number set": {"NS": ["1", "22", "-333.5"]},
    "binary set": {"BS": [b"\x01", b"\x02\x03"]},
}


@pytest.fixture(scope="module")
def ddb():
    from chalicelib.devstack import dynamodb_local

    tools = dynamodb_local.ensure(may_install_java=False)
    port = free_port()
    proc = subprocess.Popen(dynamodb_local.command(tools, "127.0.0.1", port, None),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                          region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.list_tables()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                assert proc.poll() is None and time.monotonic() < deadline, "no DynamoDB Local"
                time.sleep(0.2)
        client.create_table(
            TableName="cost-units", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                  for a in ("pk", "sk", "g1", "g2")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {"IndexName": "every", "KeySchema": [{"AttributeName": "g1", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "some", "KeySchema": [{"AttributeName": "g2", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["kind"]}}])
        yield client
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def padded(sk: str, value: dict, size: int, **extra: dict) -> dict:
    """An item holding ``value`` whose size by our count is exactly ``size``."""
    item = {"pk": {"S": "p"}, "sk": {"S": sk}, "v": value, **extra}
    item["pad"] = {"S": "z" * (size - cost.item_size(item) - len("pad"))}
    assert cost.item_size(item) == size
    return item


def put_units(ddb, item: dict, **kw) -> dict:
    return ddb.put_item(TableName="cost-units", Item=item, ReturnConsumedCapacity="INDEXES",
                        **kw)["ConsumedCapacity"]


@pytest.mark.parametrize("name", VALUES)
def test_our_item_size_is_dynamodb_locals_at_the_1_kb_boundary(ddb, name):
    for size, units in ((1024, 1.0), (1025, 2.0)):
        item = padded(f"{name}-{size}", VALUES[name], size)
        assert cost.write_units(cost.item_size(item)) == units
        assert put_units(ddb, item)["Table"]["CapacityUnits"] == units, (name, size)


def test_reads_at_the_4_kb_boundary_and_eventually_consistent_halves(ddb):
    for size, units in ((4096, 1.0), (4097, 2.0)):
        item = padded(f"read-{size}", VALUES["nested map"], size)
        put_units(ddb, item)
        key = {"pk": item["pk"], "sk": item["sk"]}
        strong = ddb.get_item(TableName="cost-units", Key=key, ConsistentRead=True,
                              ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
        eventual = ddb.get_item(TableName="cost-units", Key=key,
                                ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
        assert strong["CapacityUnits"] == cost.read_units(size, True) == units
        assert eventual["CapacityUnits"] == cost.read_units(size, False) == units / 2


def test_a_query_rounds_its_whole_read_once_and_a_batch_rounds_each_item(ddb):
    items = [padded(f"q{i}", VALUES["number"], 1500) for i in range(5)]
    for item in items:
        put_units(ddb, item)
    query = {"TableName": "cost-units", "KeyConditionExpression": "pk = :p AND begins_with(sk, :q)",
             "ExpressionAttributeValues": {":p": {"S": "p"}, ":q": {"S": "q"}},
             "ReturnConsumedCapacity": "TOTAL"}
    strong = ddb.query(**query, ConsistentRead=True)["ConsumedCapacity"]["CapacityUnits"]
    eventual = ddb.query(**query)["ConsumedCapacity"]["CapacityUnits"]
    assert strong == cost.read_units(5 * 1500, True) == 2.0  # 7.5 KB, not 5 items x 4 KB
    assert eventual == cost.read_units(5 * 1500, False) == 1.0
    # what a filter drops was read all the same
    filtered = ddb.query(**{**query, "FilterExpression": "attribute_not_exists(v)"})
    assert filtered["Count"] == 0 and filtered["ConsumedCapacity"]["CapacityUnits"] == 1.0

    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items[:2]] + [
        {"pk": {"S": "p"}, "sk": {"S": "missing"}}]
    batch = ddb.batch_get_item(RequestItems={"cost-units": {"Keys": keys}},
                               ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert batch[0]["CapacityUnits"] == cost.batch_read_units([1500, 1500, 0], False) == 1.0


def test_a_transaction_costs_twice_and_an_update_the_larger_image(ddb):
    item = padded("tx", VALUES["list"], 1500)
    used = ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "cost-units",
                                                            "Item": item}}],
                                    ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert used[0]["CapacityUnits"] == cost.write_units(1500, transactional=True) == 4
    # shrinking it to 100 bytes is billed at the 1,500 it was
    used = ddb.update_item(TableName="cost-units", Key={"pk": item["pk"], "sk": item["sk"]},
                           UpdateExpression="SET #p = :s", ReturnConsumedCapacity="TOTAL",
                           ExpressionAttributeNames={"#p": "pad"},
                           ExpressionAttributeValues={":s": {"S": "z"}})["ConsumedCapacity"]
    assert used["CapacityUnits"] == cost.write_units(1500) == 2


def test_index_writes_by_projection(ddb):
    extra = {"g1": {"S": "a"}, "g2": {"S": "b"}, "kind": {"S": "x"}}
    item = padded("gsi", VALUES["string"], 2100, **extra)
    used = put_units(ddb, item)
    ours = {name: cost.index_writes(None, item, ["pk", "sk"], keys, projected)[1]
            for name, keys, projected in (("every", ["g1"], None), ("some", ["g2"], ["kind"]))}
    assert ours == {"every": 3, "some": 1}
    assert {k: v["CapacityUnits"] for k, v in used["GlobalSecondaryIndexes"].items()} == ours
