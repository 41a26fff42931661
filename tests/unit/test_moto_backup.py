"""The local stack's moto (chalicelib/devstack/moto_server.py) backs a transaction up once per
table, and still rolls a failed transaction back whole."""

from __future__ import annotations

import copy

import botocore.session
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from chalicelib.devstack.moto_server import one_backup_per_table


@pytest.fixture
def ddb(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws(), one_backup_per_table():
        client = botocore.session.get_session().create_client("dynamodb",
                                                              region_name="us-east-1")
        client.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        for i in range(20):
            client.put_item(TableName="t", Item={"pk": {"S": f"old{i}"}})
        yield client


def put(pk: str, must_be_new: bool = True) -> dict:
    op = {"TableName": "t", "Item": {"pk": {"S": pk}}}
    if must_be_new:
        op["ConditionExpression"] = "attribute_not_exists(pk)"
    return {"Put": op}


def keys(client) -> set[str]:
    return {i["pk"]["S"] for i in client.scan(TableName="t")["Items"]}


def test_a_transaction_copies_each_table_once(ddb, monkeypatch):
    copied = []
    real = copy.deepcopy

    def counting(obj, *args):
        if isinstance(obj, Table):
            copied.append(obj)
        return real(obj, *args)

    monkeypatch.setattr(copy, "deepcopy", counting)
    ddb.transact_write_items(TransactItems=[put("a"), put("b"), put("c")])
    assert len(copied) == 1
    assert {"a", "b", "c"} <= keys(ddb)


def test_a_failed_transaction_still_writes_nothing(ddb):
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(TransactItems=[put("x"), put("y"), put("old3")])
    assert keys(ddb) == {f"old{i}" for i in range(20)}
    ddb.transact_write_items(TransactItems=[put("x"), put("y")])
    assert {"x", "y"} <= keys(ddb)
