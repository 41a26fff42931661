"""bench/cost.py's arithmetic: DynamoDB item sizes ("Item sizes and formats": attribute names +
values), request units and their rounding, GSI writes, SQS chunks, Lambda GB-seconds, and its
meter counting real requests against moto's tables."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.helpers.bench import load

cost = load("cost")


@pytest.mark.parametrize(("text", "size"), [
    ("7", 2), ("42", 2), ("123", 3), ("1999", 3), ("12345", 4), ("1000", 2), ("1E5", 2),
    ("0.0015", 2), ("1700000000", 2), ("0", 1), ("0.00", 1), ("-0", 1),
    ("1.5", 3),  # digits pair from the decimal point: 01.50
    ("-1", 3), ("-12", 3), ("-123", 4), ("-1.50", 4), ("-12.5E3", 4),  # a negative: one more
    ("123456789012345678901234567890123456", 19),  # 38 digits fit; no rounding to 28
])
def test_a_number_is_one_byte_per_base_100_digit_plus_one(text, size):
    """The sizes DynamoDB Local bills (tests/e2e/test_cost_units_dynamodb_local.py)."""
    assert cost.number_size(text) == size


@pytest.mark.parametrize(("value", "size"), [
    ({"S": "héllo"}, 6),  # UTF-8 bytes, not characters
    ({"S": ""}, 0),
    ({"B": b"\x00\x01\x02"}, 3),  # raw bytes as botocore sends them
    ({"B": "AAEC"}, 3),  # the same bytes base64-encoded, as moto keeps them
    ({"BOOL": False}, 1),
    ({"NULL": True}, 1),
    ({"L": []}, 3),
    ({"M": {}}, 3),
    ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (1 + 2) + (1 + 2)),
    ({"M": {"a": {"S": "xy"}}}, 3 + 1 + len("a") + 2),
    ({"M": {"inner": {"L": [{"BOOL": True}]}}}, 3 + 1 + 5 + (3 + 1 + 1)),
    ({"SS": ["a", "bc"]}, 3),
    ({"NS": ["10", "1.5"]}, 2 + 3),
])
def test_value_sizes(value, size):
    assert cost.value_size(value) == size


def test_an_item_is_its_attribute_names_plus_values():
    item = {"pk": {"S": "B#1"}, "amount": {"N": "1999"}, "paid": {"BOOL": True}}
    assert cost.item_size(item) == (2 + 3) + (6 + 3) + (4 + 1)
    assert cost.item_size(None) == 0


def test_unknown_types_are_refused():
    with pytest.raises(ValueError, match="unknown DynamoDB type"):
        cost.value_size({"X": "?"})


def test_write_units_round_up_per_kilobyte_and_double_in_a_transaction():
    assert [cost.write_units(n) for n in (0, 1, 1024, 1025, 2048, 2049)] == [1, 1, 1, 2, 2, 3]
    assert cost.write_units(1025, transactional=True) == 4
    assert cost.write_units(0, transactional=True) == 2


def test_read_units_round_up_per_4_kb_half_when_eventually_consistent():
    assert cost.read_units(0, consistent=True) == 1.0
    assert cost.read_units(4096, consistent=True) == 1.0
    assert cost.read_units(4097, consistent=True) == 2.0
    assert cost.read_units(4097, consistent=False) == 1.0
    assert cost.read_units(100, consistent=False) == 0.5
    assert cost.read_units(4097, consistent=False, transactional=True) == 4.0


def test_a_batch_read_rounds_each_item_then_adds_them_up():
    assert cost.batch_read_units([1500, 6500], consistent=True) == 3.0  # 4 KB + 8 KB
    assert cost.batch_read_units([1500, 1500, 0], consistent=False) == 1.0  # missing: nothing
    assert cost.batch_read_units([0], consistent=False) == 0.5  # the minimum


def test_sqs_bills_each_64_kb_chunk_begun():
    assert [cost.sqs_requests(n) for n in (0, 65536, 65537, 3 * 65536)] == [1, 1, 2, 3]


def test_lambda_bills_each_invocation_rounded_up_to_a_millisecond():
    assert cost.lambda_gb_seconds(0.0101, 512) == pytest.approx(0.011 * 0.5)
    assert cost.lambda_gb_seconds(1.0, 1024) == pytest.approx(1.0)


KEYS = ["pk", "sk"]
GSI = ["gsi1pk", "gsi1sk"]


def _item(**attrs: str) -> dict:
    return {"pk": {"S": "B#1#P#1"}, "sk": {"S": "PAYMENT"},
            **{k: {"S": v} for k, v in attrs.items()}}


def test_gsi_writes_follow_the_item_in_and_out_of_a_sparse_index():
    outside = _item(status="Created")
    inside = _item(status="Created", gsi1pk="B#1", gsi1sk="2030")
    assert cost.index_writes(None, outside, KEYS, GSI, None) == (0, 0)
    assert cost.index_writes(None, inside, KEYS, GSI, None) == (1, 1)
    assert cost.index_writes(inside, None, KEYS, GSI, None) == (1, 1)
    assert cost.index_writes(inside, inside, KEYS, GSI, None) == (0, 0)
    changed = _item(status="Completed", gsi1pk="B#1", gsi1sk="2030")
    assert cost.index_writes(inside, changed, KEYS, GSI, None) == (1, 1)
    moved = _item(status="Created", gsi1pk="B#1", gsi1sk="2031")
    assert cost.index_writes(inside, moved, KEYS, GSI, None) == (2, 2)  # delete + put
    # An INCLUDE index is written only when what it projects changes, at its projected size.
    assert cost.index_writes(inside, changed, KEYS, GSI, ["kind"]) == (0, 0)
    big = _item(status="x" * 2000, gsi1pk="B#1", gsi1sk="2030")
    assert cost.index_writes(None, big, KEYS, GSI, None) == (1, 2)
    assert cost.index_writes(None, big, KEYS, GSI, ["kind"]) == (1, 1)


def test_dollars_use_the_written_prices():
    tally = cost.Tally(wru=10**6, rru=10**6, sqs_requests=10**6, api_requests=10**6,
                       invocations=10**6, ses_mails=1000)
    dollars = tally.dollars()
    assert dollars["dynamodb"] == Decimal("0.750")
    assert dollars["sqs"] == Decimal("0.40")
    assert dollars["apigw"] == Decimal("3.50")
    assert dollars["lambda"] == Decimal("0.20")
    assert dollars["ses"] == Decimal("0.10")
    assert tally.per_1000() == Decimal("4950.000")


def test_the_meter_counts_real_requests_against_moto(aws_env):
    from chalicelib import settings
    from chalicelib.store import aws

    ddb = aws.client("dynamodb")
    name = settings.get().table_name("payments")  # indexes gsi1, due (ALL) and buyer (INCLUDE)
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="cost-units")["QueueUrl"]
    meter = cost.Meter()
    meter.install()
    try:
        tally = meter.phase("test")
        item = {"pk": {"S": "B#1"}, "sk": {"S": "P#1"}, "gsi1pk": {"S": "B#1"},
                "gsi1sk": {"S": "a"}}
        # pad to 1,025 bytes: two write units in the table and two in gsi1, none elsewhere
        item["body"] = {"S": "x" * (1025 - cost.item_size(item) - len("body"))}
        assert cost.item_size(item) == 1025
        ddb.put_item(TableName=name, Item=item)
        assert (tally.wru, tally.items_written, tally.gsi_writes, tally.gsi_wru) == (2, 1, 1, 2)

        # the index key moves: a delete and a put in gsi1
        ddb.update_item(TableName=name, Key={"pk": {"S": "B#1"}, "sk": {"S": "P#1"}},
                        UpdateExpression="SET gsi1sk = :b",
                        ExpressionAttributeValues={":b": {"S": "b"}})
        assert (tally.wru, tally.gsi_writes, tally.gsi_wru) == (4, 3, 6)

        ddb.get_item(TableName=name, Key={"pk": {"S": "B#1"}, "sk": {"S": "P#1"}},
                     ConsistentRead=True)
        ddb.get_item(TableName=name, Key={"pk": {"S": "B#1"}, "sk": {"S": "P#1"}},
                     ProjectionExpression="pk")  # billed on the whole item all the same
        ddb.get_item(TableName=name, Key={"pk": {"S": "B#1"}, "sk": {"S": "none"}})
        assert tally.rru == 1 + 0.5 + 0.5
        ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "B#1"}})
        assert tally.rru == 2.5

        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "B#1"}, "sk": {"S": f"T#{i}"}}}}
            for i in range(2)])
        assert (tally.wru, tally.items_written, tally.gsi_writes) == (4 + 2 * 2, 4, 3)

        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": "y" * 40_000} for i in range(2)])  # 80 KB: 2 chunks
        assert tally.sqs_requests == 2
        assert tally.calls["dynamodb.GetItem"] == 3 and tally.calls["sqs.SendMessageBatch"] == 1
    finally:
        meter.uninstall()
