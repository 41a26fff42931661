"""chalicelib/devstack/moto_speed.py changes no reply and no stored item: the same DynamoDB
requests go through moto as shipped and as patched, and every raw reply body and the tables after
must be the same (transactions applied, cancelled by a condition, refused as invalid, and
rolled back after their first items were written); and a transaction copies no table."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.devstack import moto_speed

TABLE = "speed"


def _client() -> Any:
    return botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _item(pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **extra}


EVERY_TYPE = {
    "s": {"S": "text"}, "n": {"N": "12.50"}, "b": {"B": b"\x00\x01zip"},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"x", b"y"]},
    "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "3"}, {"NULL": True}, {"BOOL": False}]}}},
    "gpk": {"S": "G#1"}, "gsk": {"S": "2026-12-04"},
}


def _put(key: dict, **extra: Any) -> dict:
    return {"Put": {"TableName": TABLE, "Item": {**key, **extra}}}


def _run_script() -> list[Any]:
    """Every reply body (raw JSON, or the error's code and reasons), then the table's items."""
    client = _client()
    bodies: list[Any] = []
    client.meta.events.register(
        "before-parse.dynamodb.*",
        lambda response_dict, **_: bodies.append(response_dict["body"]))

    def call(name: str, **kwargs: Any) -> None:
        try:
            getattr(client, name)(**kwargs)
        except ClientError as e:
            bodies.append((e.response["Error"]["Code"],
                           [r.get("Code") for r in e.response.get("CancellationReasons", [])]))

    call("create_table", TableName=TABLE, BillingMode="PAY_PER_REQUEST",
         AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                               for n in ("pk", "sk", "gpk", "gsk")],
         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"}],
         GlobalSecondaryIndexes=[{
             "IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"},
                           {"AttributeName": "gsk", "KeyType": "RANGE"}]}])
    a, b, c = _item("A", "1"), _item("B", "1"), _item("C", "1")
    call("put_item", TableName=TABLE, Item={**a, **EVERY_TYPE, "v": {"N": "1"}})
    # applied: a new item and an update
    call("transact_write_items", TransactItems=[
        _put(b, v={"N": "1"}, **EVERY_TYPE),
        {"Update": {"TableName": TABLE, "Key": a, "UpdateExpression": "SET v = v + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    # cancelled on its last item, after a new item and an update were written: both undone
    call("transact_write_items", TransactItems=[
        _put(c, v={"N": "9"}),
        {"Update": {"TableName": TABLE, "Key": a, "UpdateExpression": "SET v = :nine REMOVE ss",
                    "ExpressionAttributeValues": {":nine": {"N": "9"}}}},
        {"Delete": {"TableName": TABLE, "Key": b}},
        {"ConditionCheck": {"TableName": TABLE, "Key": _item("Z", "1"),
                            "ConditionExpression": "attribute_exists(pk)"}}])
    # invalid: the same item twice (moto rolls back and raises)
    call("transact_write_items", TransactItems=[
        _put(c, v={"N": "1"}), {"Delete": {"TableName": TABLE, "Key": c}}])
    # a Put without its range key among valid items
    call("transact_write_items", TransactItems=[
        _put(c, v={"N": "2"}), {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "D"}}}}])
    # a conditional Put that fails on an existing item, with the item returned
    call("transact_write_items", TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {**a, "v": {"N": "0"}},
                 "ConditionExpression": "attribute_not_exists(pk)",
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    call("get_item", TableName=TABLE, Key=a, ConsistentRead=True)
    call("query", TableName=TABLE, IndexName="gsi", KeyConditionExpression="gpk = :g",
         ExpressionAttributeValues={":g": {"S": "G#1"}})
    call("query", TableName=TABLE, KeyConditionExpression="pk = :p",
         ExpressionAttributeValues={":p": {"S": "A"}}, ProjectionExpression="m.inner, ns, b")
    call("get_item", TableName="missing", Key=a)
    call("update_item", TableName=TABLE, Key=b, UpdateExpression="SET v = :v",
         ExpressionAttributeValues={":v": {"N": "5"}}, ReturnValues="ALL_OLD")
    call("scan", TableName=TABLE)
    call("describe_table", TableName=TABLE)
    return bodies


def _without_dates(bodies: list[Any]) -> list[Any]:
    """DescribeTable's creation time is the clock's, not the serializer's."""
    out = []
    for body in bodies:
        if isinstance(body, bytes) and b"CreationDateTime" in body:
            table = json.loads(body)
            for t in (table.get("Table"), table.get("TableDescription")):
                if t:
                    t.pop("CreationDateTime", None)
                    for index in t.get("GlobalSecondaryIndexes", []):
                        index.pop("CreationDateTime", None)
            body = table
        out.append(body)
    return out


@pytest.fixture
def shipped_moto():
    moto_speed.uninstall()
    yield
    moto_speed.install()


def test_patched_moto_replies_and_stores_the_same_as_moto(shipped_moto):
    with mock_aws():
        shipped = _without_dates(_run_script())
    moto_speed.install()
    with mock_aws():
        patched = _without_dates(_run_script())
    with mock_aws():  # again, with the serializer's names all known
        patched_again = _without_dates(_run_script())
    assert patched == shipped
    assert patched_again == shipped
    # what the script exercised, in moto's own replies: every refusal, and the rollbacks
    codes = [b[0] for b in shipped if isinstance(b, tuple)]
    assert codes == ["TransactionCanceledException", "ValidationException",
                     "TransactionCanceledException", "TransactionCanceledException",
                     "ResourceNotFoundException"]
    scan = json.loads(patched[-2])["Items"]
    assert {(i["pk"]["S"], i["v"]["N"], "ss" in i) for i in scan} == {("A", "2", True),
                                                                      ("B", "5", True)}


def test_a_transaction_copies_no_table(monkeypatch):
    import copy

    from moto.dynamodb.models.table import Table

    copied = []
    real = copy.deepcopy

    def counting(obj, *args):
        if isinstance(obj, Table):
            copied.append(obj)
        return real(obj, *args)

    monkeypatch.setattr(copy, "deepcopy", counting)
    with mock_aws():
        _run_script()
    assert copied == []
