"""store/base.BaseModel reads and writes items its own quicker way (a plan per class): every model
of the project must come out exactly as PynamoDB's own code makes it, both ways."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pynamodb.attributes import AttributeContainer, MapAttribute
from pynamodb.exceptions import AttributeDeserializationError, AttributeNullError
from pynamodb.models import Model

import chalicelib
from chalicelib.store.base import BaseModel

CANDIDATES: dict[str, list[Any]] = {
    "S": [datetime(2026, 12, 4, 18, 30, 5, 123456, tzinfo=UTC), "some text"],
    "N": [7, Decimal("12.5"), datetime(2026, 12, 4, tzinfo=UTC)],
    "B": [b"\x00bytes"],
    "BOOL": [True],
    "SS": [{"a", "b"}],
    "NS": [{1, 2}],
    "BS": [{b"x"}],
    "L": [["a", "b"], [{"k": "v"}]],
    "M": [{"k": "v", "n": 1}],
}


def _models() -> list[type]:
    for mod in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        if mod.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(mod.name)
    out, todo = [], [BaseModel]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "Meta" in vars(cls) or cls is not BaseModel:
            out.append(cls)
    return sorted(set(out), key=lambda c: f"{c.__module__}.{c.__qualname__}")


MODELS = _models()


def _value(attr: Any) -> Any:
    if isinstance(attr, MapAttribute) and type(attr) is not MapAttribute:
        try:
            return type(attr)()
        except Exception:  # noqa: BLE001 - a map class that needs arguments: try the plain ones
            pass
    for candidate in CANDIDATES.get(attr.attr_type, []):
        try:
            if attr.serialize(candidate) is not None:
                return candidate
        except Exception:  # noqa: BLE001 - not this attribute's type: the next candidate
            continue
    return None


def _full(cls: type) -> Any:
    values = {}
    for name, attr in cls.get_attributes().items():
        if name == cls._discriminator:
            continue
        value = _value(attr)
        if value is not None:
            values[name] = value
    return cls(**values)


def _norm(values: dict) -> dict:
    """Attribute values comparable by value (a MapAttribute compares by identity)."""
    return {k: (type(v), _norm(v.attribute_values)) if isinstance(v, MapAttribute) else v
            for k, v in values.items()}


def _pynamodb_read(cls: type, raw: dict) -> Any:
    return AttributeContainer._instantiate.__func__(cls, raw)


def _pynamodb_new(cls: type, *args: Any, **values: Any) -> Any:
    item = cls.__new__(cls)
    Model.__init__(item, *args, **values)
    return item


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_a_new_item_is_built_as_pynamodb_builds_it(cls):
    values = {name: value for name, value in _full(cls).attribute_values.items()
              if name != cls._discriminator}
    assert _norm(cls(**values).attribute_values) == _norm(
        _pynamodb_new(cls, **values).attribute_values)
    keys = ("pk-x", "sk-x") if cls._range_keyname else ("pk-x",)
    assert _norm(cls(*keys).attribute_values) == _norm(_pynamodb_new(cls, *keys).attribute_values)
    assert _norm(cls(*keys, _user_instantiated=False).attribute_values) == _norm(
        _pynamodb_new(cls, *keys, _user_instantiated=False).attribute_values)
    with pytest.raises(ValueError, match="no_such_attribute"):
        cls(*keys, no_such_attribute=1)


@pytest.mark.parametrize("value", [0, 7, -12, 10**30, 2.5, -0.125, 1e21, True, 3.0])
def test_numbers_are_written_and_read_as_pynamodb_does(value):
    from pynamodb.attributes import NumberAttribute

    from chalicelib.store.base import _number_in, _number_out

    attr = NumberAttribute()
    assert _number_out(value) == attr.serialize(value)
    for text in (attr.serialize(value), "-0", "12", "1.5e3", "-7"):
        assert _number_in(text) == attr.deserialize(text)
        assert type(_number_in(text)) is type(attr.deserialize(text))


def test_every_model_is_found():
    names = {c.__name__ for c in MODELS}
    assert {"PaymentItem", "OutboxItem", "CatalogHead"} <= names
    assert len(MODELS) > 40


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_write_then_read_matches_pynamodb(cls):
    item = _full(cls)
    ours = item._container_serialize(null_check=False)
    theirs = AttributeContainer._container_serialize(item, null_check=False)
    assert ours == theirs
    assert len(ours) >= 3  # pk, sk and something of the item's own: the test fills them
    read_ours, read_theirs = cls.from_raw_data(ours), _pynamodb_read(cls, theirs)
    assert type(read_ours) is type(read_theirs)
    assert _norm(read_ours.attribute_values) == _norm(read_theirs.attribute_values)
    assert _norm(read_ours.attribute_values) == _norm(_pynamodb_read(cls, ours).attribute_values)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_missing_values_take_the_same_defaults(cls):
    item = cls("pk-x", "sk-x") if cls._range_keyname else cls("pk-x")
    raw = {"pk": {"S": "pk-x"}, "sk": {"S": "sk-x"}, "ttl": {"NULL": True}}
    ours, theirs = cls.from_raw_data(raw), _pynamodb_read(cls, raw)
    assert _norm(ours.attribute_values) == _norm(theirs.attribute_values)
    for null_check in (True, False):
        try:
            expected = AttributeContainer._container_serialize(item, null_check=null_check)
        except AttributeNullError as e:
            with pytest.raises(AttributeNullError) as ours_error:
                item._container_serialize(null_check=null_check)
            assert str(ours_error.value) == str(e)
        else:
            assert item._container_serialize(null_check=null_check) == expected


def test_a_stored_value_of_the_wrong_type_is_refused_alike():
    cls = next(c for c in MODELS if c.__name__ == "CatalogHead")
    raw = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    with pytest.raises(AttributeDeserializationError) as theirs:
        _pynamodb_read(cls, raw)
    with pytest.raises(AttributeDeserializationError) as ours:
        cls.from_raw_data(raw)
    assert str(ours.value) == str(theirs.value)


def test_a_subclass_row_read_through_its_base_comes_back_as_the_subclass():
    from chalicelib.payments.models import PaymentHistoryItem, PaymentItem, PaymentRecord

    for sub in (PaymentItem, PaymentHistoryItem):
        raw = _full(sub)._container_serialize(null_check=False)
        assert type(PaymentRecord.from_raw_data(raw)) is sub
        with pytest.raises(ValueError):
            (PaymentHistoryItem if sub is PaymentItem else PaymentItem).from_raw_data(raw)


def test_the_endpoint_is_the_same_without_the_table_arn_list(monkeypatch):
    """store/base._skip_table_arn_lists: botocore's ResourceArnList is left out; for plain table
    names the endpoint each operation resolves to must not change, whatever the account id
    endpoint mode."""
    import botocore.session

    from chalicelib.store.base import _skip_table_arn_lists

    put = {"Put": {"TableName": "jfw-test-payments", "Item": {"pk": {"S": "a"}}}}
    calls = {
        "TransactWriteItems": {"TransactItems": [put, put]},
        "BatchGetItem": {"RequestItems": {"jfw-test-identity": {"Keys": [{"pk": {"S": "a"}}]}}},
        "GetItem": {"TableName": "jfw-test-payments", "Key": {"pk": {"S": "a"}}},
    }
    for mode in ("preferred", "disabled", "required"):
        monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", mode)
        session = botocore.session.get_session()
        plain = session.create_client("dynamodb", region_name="eu-west-1",
                                      aws_access_key_id="a", aws_secret_access_key="b",
                                      aws_account_id="123456789012")
        skipping = session.create_client("dynamodb", region_name="eu-west-1",
                                         aws_access_key_id="a", aws_secret_access_key="b",
                                         aws_account_id="123456789012")
        _skip_table_arn_lists(skipping)
        for op, args in calls.items():
            model = plain.meta.service_model.operation_model(op)
            want = plain._ruleset_resolver.construct_endpoint(model, args, {})
            got = skipping._ruleset_resolver.construct_endpoint(model, args, {})
            assert (got.url, got.properties, got.headers) == (want.url, want.properties,
                                                              want.headers), (mode, op)
            assert ("123456789012" in got.url) == (mode != "disabled")  # the account's host


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_a_copy_writes_the_same_item_and_is_its_own(cls):
    item = _full(cls)
    twin = item.copy()
    assert type(twin) is cls
    assert twin._container_serialize(null_check=False) == item._container_serialize(
        null_check=False)
    twin.pk = "another"
    assert item.pk != "another"


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 5, 1, 2, 3, 456, tzinfo=UTC), datetime(2026, 1, 1),
    datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 3, 29, 0, 30, tzinfo=timezone(timedelta(hours=-7))), datetime(1999, 12, 31)])
def test_times_are_written_as_pynamodb_and_sort_keys_as_strftime_wrote_them(moment):
    from pynamodb.attributes import UTCDateTimeAttribute

    from chalicelib.store import ids
    from chalicelib.store.base import utc_out

    assert utc_out(moment) == UTCDateTimeAttribute().serialize(moment)
    assert ids.stamp(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
