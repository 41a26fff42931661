"""Query-string and body parsing in the dispatcher (chalicelib/http/dispatch.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chalicelib.http.dispatch import parse_body, parse_query
from chalicelib.http.errors import BadRequest, UnsupportedMediaType
from chalicelib.http.routing import PAGING, Q


class MultiDict(dict):
    """What Chalice hands over: a dict with ``getlist`` for repeated keys."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self._pairs = pairs
        for k, v in pairs:
            self[k] = v

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]


SPEC = (*PAGING, Q("ids", "array"), Q("testMode", "boolean"), Q("from", "date-time"),
        Q("amount", "number"), Q("status", enum=("Active", "Inactive")))


def test_declared_parameters_are_converted_and_extras_ignored():
    got = parse_query(SPEC, MultiDict([
        ("pageNumber", "2"), ("pageSize", "50"), ("sortOrder", "asc"), ("testMode", "TRUE"),
        ("from", "2024-02-23 00:00:00"), ("amount", "9.5"), ("status", "inactive"),
        ("utm_source", "mail")]))
    assert got == {"pageNumber": 2, "pageSize": 50, "sortOrder": "asc", "testMode": True,
                   "from": datetime(2024, 2, 23, tzinfo=UTC), "amount": 9.5,
                   "status": "Inactive"}


@pytest.mark.parametrize("pairs", [
    [("ids[0]", "a"), ("ids[1]", "b")],  # axios indexes: true
    [("ids", "a"), ("ids", "b")],
    [("ids", "a,b")],
    [("ids[]", "a"), ("ids[]", "b")],
])
def test_arrays_arrive_in_every_shape_a_client_sends(pairs):
    assert parse_query(SPEC, MultiDict(pairs)) == {"ids": ["a", "b"]}


def test_empty_null_and_undefined_count_as_absent():
    got = parse_query(SPEC, MultiDict([("pageSize", ""), ("pageNumber", "null"),
                                       ("sortOrder", "undefined")]))
    assert got == {}


@pytest.mark.parametrize("pairs, field", [
    ([("pageSize", "ten")], "pageSize"),
    ([("pageNumber", "1.5")], "pageNumber"),
    ([("testMode", "maybe")], "testMode"),
    ([("from", "yesterday")], "from"),
    ([("amount", "lots")], "amount"),
    ([("sortOrder", "up")], "sortOrder"),
    ([("status", "Deleted")], "status"),
])
def test_bad_values_are_400_naming_the_parameter(pairs, field):
    with pytest.raises(BadRequest) as e:
        parse_query(SPEC, MultiDict(pairs))
    assert e.value.field == field and f"'{field}'" in e.value.message


def test_a_required_parameter_must_be_sent():
    with pytest.raises(BadRequest) as e:
        parse_query((Q("licenseCode", required=True),), MultiDict([("licenseCode", "")]))
    assert e.value.field == "licenseCode" and "required" in e.value.message


BODY = "chalicelib.identity.schemas:BrandUpdateBody"


def test_a_valid_body_becomes_the_model():
    body = parse_body(BODY, b'{"name": " Demo ", "abbr": "D", "extra": 1}', "application/json")
    assert (body.name, body.abbr, body.description) == ("Demo", "D", None)
    assert body.model_fields_set == {"name", "abbr"}


@pytest.mark.parametrize("raw, code, field", [
    (b"{nope", "MALFORMED_JSON", None),
    (b"\xff\xfe", "MALFORMED_JSON", None),
    (b"", "VALIDATION_ERROR", "name"),
    (b"[]", "VALIDATION_ERROR", "body"),
    (b'{"abbr": "D"}', "VALIDATION_ERROR", "name"),
    (b'{"name": ["x"], "abbr": "D"}', "VALIDATION_ERROR", "name"),
])
def test_bad_bodies_are_400(raw, code, field):
    with pytest.raises(BadRequest) as e:
        parse_body(BODY, raw, "application/json; charset=utf-8")
    assert e.value.code == code and e.value.field == field


def test_a_body_that_is_not_json_is_415():
    with pytest.raises(UnsupportedMediaType):
        parse_body(BODY, b"name=x", "application/x-www-form-urlencoded")


# -- numbers are exact decimals, never floats (issue 10) -------------------------------------

PRICE = "chalicelib.catalog.schemas:PriceBody"
COMMISSION = "chalicelib.payments.schemas:CommissionRateBody"


def price_raw(amount: str) -> bytes:
    return (b'{"packageId": "P", "code": "C", "name": "N", "currency": "USD", "amount": '
            + amount.encode() + b"}")


def test_a_json_number_is_an_exact_decimal():
    body = parse_body(PRICE, price_raw("9.990000000000000000001"), "application/json")
    assert body.amount == Decimal("9.990000000000000000001")
    body = parse_body(PRICE, price_raw("1" + "0" * 400), "application/json")
    assert body.amount == 10 ** 400  # an integer literal stays exact too
    got = parse_body(COMMISSION, b'{"unit": "License", "percentage": 12.5, "quantityFrom": 1.0}',
                     "application/json")
    assert (got.percentage, got.quantityFrom) == (Decimal("12.5"), 1)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_400_naming_the_field(literal):
    with pytest.raises(BadRequest) as e:
        parse_body(COMMISSION, b'{"unit": "License", "percentage": ' + literal.encode() + b"}",
                   "application/json")
    assert (e.value.code, e.value.field) == ("VALIDATION_ERROR", "percentage")


@pytest.mark.parametrize("literal", ["1e-999999999", "1e999999999", "1e99999999999999999999",
                                     "0." + "0" * 5000 + "1", "1" + "0" * 5000])
def test_numbers_too_long_to_write_out_are_malformed(literal):
    """pydantic's int check on 1e-999999999 would spin for minutes: refused while parsing."""
    for schema in (PRICE, COMMISSION):
        with pytest.raises(BadRequest) as e:
            parse_body(schema, b'{"quantityFrom": ' + literal.encode() + b"}",
                       "application/json")
        assert e.value.code == "MALFORMED_JSON"


def test_a_number_parameter_is_an_exact_decimal():
    got = parse_query(SPEC, MultiDict([("amount", "9.990000000000000000001")]))
    assert got == {"amount": Decimal("9.990000000000000000001")}
    for bad in ("NaN", "Infinity", "1e-999999999"):
        with pytest.raises(BadRequest) as e:
            parse_query(SPEC, MultiDict([("amount", bad)]))
        assert e.value.field == "amount"


@pytest.mark.parametrize("raw", [
    b"[" * 2000 + b"]" * 2000,
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    b'{"name": "x", "abbr": "D", "extra": ' + b"[" * 100 + b"]" * 100 + b"}",
])
def test_deeply_nested_json_is_400_before_it_is_parsed(raw):
    with pytest.raises(BadRequest) as e:
        parse_body(BODY, raw, "application/json")
    assert e.value.code == "JSON_TOO_DEEP" and "deep" in e.value.message


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '[{"\\"[' * 100  # quotes and backslashes inside, escaped by json.dumps
    raw = json.dumps({"name": "x", "abbr": "D", "description": text}).encode()
    assert parse_body(BODY, raw, "application/json").description == text


def test_json_nested_up_to_the_limit_is_parsed():
    from chalicelib.http.dispatch import MAX_JSON_DEPTH

    inner = b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1)
    with pytest.raises(BadRequest) as e:  # reaches the model, which wants a string
        parse_body(BODY, b'{"name": ' + inner + b', "abbr": "D"}', "application/json")
    assert e.value.code == "VALIDATION_ERROR" and e.value.field == "name"


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON",
    "application/merge-patch+json", "application/vnd.api+json;charset=UTF-8", None,
])
def test_json_media_types_are_accepted(content_type):
    assert parse_body(BODY, b'{"name": "Demo", "abbr": "D"}', content_type).name == "Demo"


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/jsonp", "text/json-ish", "application/x-json-stream",
    "application/json-seq", "multipart/form-data; boundary=json", "application/jsonx",
    "json", "application/+json",
])
def test_other_media_types_are_415_even_when_they_mention_json(content_type):
    with pytest.raises(UnsupportedMediaType):
        parse_body(BODY, b'{"name": "Demo", "abbr": "D"}', content_type)
