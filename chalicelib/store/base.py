"""PynamoDB base model: one shared connection for every model class, and quicker (de)serialising.

PynamoDB builds a botocore client per model class (about 40 ms each at cold start); every model
here reuses one ``Connection`` instead, and with it one client, made from the process's one
botocore session (store/aws.py), which the other AWS clients share.

PynamoDB turns a stored item into a model by building an empty instance (every default set
through the attribute descriptors), then setting the defaults again and every stored value, one
descriptor call each; writing walks the descriptors the same way. For a catalogue of a few dozen
items that was most of a request's own time (bench/owntime.py). ``BaseModel`` does the same
work from a per-class plan, straight into ``attribute_values``; the result is the same
instance, attribute for attribute (tests/unit/test_model_codec.py compares both ways on every
model of the project). Map and list attributes still go through PynamoDB's own code.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    Attribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.connection.base import BOTOCORE_EXCEPTIONS
from pynamodb.connection.table import TableConnection
from pynamodb.constants import (
    CREATE_TABLE,
    DELETE_TABLE,
    DESCRIBE_TABLE,
    LIST_TABLES,
    NULL,
    RETURN_CONSUMED_CAPACITY,
    TOTAL,
    UPDATE_TABLE,
    UPDATE_TIME_TO_LIVE,
)
from pynamodb.exceptions import AttributeDeserializationError, AttributeNullError, GetError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib import settings
from chalicelib.lasting import lasting
from chalicelib.store import aws, ids, schema

_shared: Connection | None = None
_lock = threading.Lock()


class _SharedSessionConnection(Connection):
    """PynamoDB's connection on store/aws.py's session, not a session of its own per thread."""

    @property
    def session(self) -> Any:
        return aws.session()

    def dispatch(self, operation_name: str, operation_kwargs: dict) -> dict:
        """PynamoDB's dispatch (every data operation asks for its consumed capacity) without
        the uuid4 and the two signals it makes per request for listeners this project has
        none of: the uuid's system call cost more than the rest of dispatching."""
        if operation_name not in _TABLE_OPERATIONS and \
                RETURN_CONSUMED_CAPACITY not in operation_kwargs:
            operation_kwargs[RETURN_CONSUMED_CAPACITY] = TOTAL
        return self._make_api_call(operation_name, operation_kwargs)


_TABLE_OPERATIONS = frozenset((DESCRIBE_TABLE, LIST_TABLES, UPDATE_TABLE, UPDATE_TIME_TO_LIVE,
                               DELETE_TABLE, CREATE_TABLE))


def connection() -> Connection:
    """The one connection, its botocore client made once even when threads ask together."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                s = settings.get()
                shared = _SharedSessionConnection(region=s.region, host=s.dynamodb_endpoint_url,
                                                  max_retry_attempts=3)
                # PynamoDB builds the client lazily, unguarded; it lasts the process
                with aws.lock, lasting():
                    _skip_table_arn_lists(shared.client)
                _shared = shared
    return _shared


def _skip_table_arn_lists(client: Any) -> None:
    """botocore works out DynamoDB's endpoint parameter ``ResourceArnList`` for every
    TransactWriteItems and BatchGetItem by running a JMESPath expression over the whole request
    (about 0.1 ms for eight items, once per call). The endpoint rules use it only to take an
    account id from table *ARNs*; our table names are plain names (settings.table_name), so it
    never changes the endpoint (tests/unit/test_model_codec.py checks the endpoint is the same
    with and without it). ``ResourceArn`` (GetItem, Query...) is a plain lookup and stays."""
    resolver = getattr(client, "_ruleset_resolver", None)
    if resolver is None:
        return
    resolve = resolver._resolve_param_as_operation_context_param

    def without_arn_lists(param_name: str, operation_model: Any, call_args: Any) -> Any:
        if param_name == "ResourceArnList":
            return None
        return resolve(param_name, operation_model, call_args)

    resolver._resolve_param_as_operation_context_param = without_arn_lists


def connect_all() -> None:
    """Bind every model to the shared connection now: for a server about to take concurrent
    requests (the local stack), so no two threads build the same table connection."""
    for cls in _all_models(BaseModel):
        if "Meta" in vars(cls):  # abstract bases (no table of their own) have none
            cls._get_connection()


def reset() -> None:
    """Drop the shared connection and every model's cached table connection."""
    global _shared
    _shared = None
    for cls in _all_models(BaseModel):
        cls._connection = None


def _all_models(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_models(sub))
    return out


def table_meta(logical: str) -> type:
    s = settings.get()

    class Meta:
        table_name = s.table_name(logical)
        region = s.region
        host = s.dynamodb_endpoint_url

    return Meta


class BaseModel(Model):
    """Every item: ``pk``/``sk`` with typed prefixes; ``ttl`` (epoch seconds) where it expires."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ttl = NumberAttribute(null=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        tc = super()._get_connection()
        shared = connection()
        if tc.connection is not shared:
            name = cls.Meta.table_name
            own = tc.connection.get_meta_table(name)
            if name not in shared._tables:
                shared.add_meta_table(own)
            else:  # models sharing a table may declare different indexes: know them all
                _merge_meta(shared._tables[name].data, own.data)
            tc.connection = shared
        return tc

    def __init__(self, hash_key: Any = None, range_key: Any = None,
                 _user_instantiated: bool = True, **attributes: Any) -> None:
        cls = type(self)
        plan = _plan(cls)
        if hash_key is not None:
            attributes[cls._hash_keyname] = hash_key
        if range_key is not None:
            attributes[cls._range_keyname] = range_key
        values, through = plan.start(cls, plan.new_defaults if _user_instantiated
                                     else plan.defaults)
        for name, value in attributes.items():
            if name in plan.plain:
                values[name] = value
            elif name in plan.names:
                through.append((name, value))
            else:
                raise ValueError(f"Attribute {name} specified does not exist")
        self.attribute_values = values
        for name, value in through:
            setattr(self, name, value)

    @classmethod
    def get(cls, hash_key: Any, range_key: Any = None, consistent_read: bool = False,
            attributes_to_get: Any = None) -> Any:
        """PynamoDB's get, its request built here: PynamoDB looks each key's type up in the
        table's description on every call."""
        if attributes_to_get is not None:
            return super().get(hash_key, range_key, consistent_read, attributes_to_get)
        if range_key is not None and cls._range_keyname is not None:
            range_key = cls._range_key_attribute().serialize(range_key)
        else:
            range_key = None
        key = cls.item_key(cls._hash_key_attribute().serialize(hash_key), range_key)
        table = cls._get_connection()
        request = {"TableName": table.table_name, "Key": key, "ConsistentRead": consistent_read}
        try:
            data = table.connection.dispatch("GetItem", request)
        except BOTOCORE_EXCEPTIONS as e:
            raise GetError(f"Failed to get item: {e}", e) from e
        item = data.get("Item") if data else None
        if item:
            return cls.from_raw_data(item)
        raise cls.DoesNotExist()

    @classmethod
    def item_key(cls, hash_key: str, range_key: str | None = None) -> dict[str, Any]:
        """An item's key as DynamoDB takes it, from its serialised key values."""
        hash_attr = cls._hash_key_attribute()
        key = {hash_attr.attr_name: {hash_attr.attr_type: hash_key}}
        if range_key is not None:
            range_attr = cls._range_key_attribute()
            key[range_attr.attr_name] = {range_attr.attr_type: range_key}
        return key

    def copy(self) -> Any:
        """Another unsaved instance with the same values, without a serialising round trip; a
        map or list value is shared, not copied."""
        twin = type(self).__new__(type(self))
        twin.attribute_values = dict(self.attribute_values)
        return twin

    @classmethod
    def _instantiate(cls, attribute_values: dict[str, dict[str, Any]]) -> Any:
        stored = cls._get_discriminator_class(attribute_values)
        if stored and not issubclass(stored, cls):
            raise ValueError(f"Cannot instantiate a {cls.__name__} from the returned class: "
                             f"{stored.__name__}")
        target = stored or cls
        instance = target.__new__(target)
        instance._container_deserialize(attribute_values)
        return instance

    def _container_deserialize(self, attribute_values: dict[str, dict[str, Any]]) -> None:
        cls = type(self)
        plan = _plan(cls)
        values, through = plan.start(cls, plan.defaults)
        for name, _attr, stored_name, attr_type, _out, read in plan.fields:
            raw = attribute_values.get(stored_name)
            if raw and NULL not in raw:
                if attr_type not in raw:
                    raise AttributeDeserializationError(stored_name, attr_type)
                value = read(raw[attr_type])
                if name == plan.discriminator:
                    if value is not cls:
                        raise ValueError("The discriminator attribute must be set to the "
                                         f"instance type: {cls}")
                elif name in plan.plain:
                    values[name] = value
                else:
                    through.append((name, value))
        self.attribute_values = values
        for name, value in through:
            setattr(self, name, value)

    def _container_serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        values = self.attribute_values
        for name, attr, stored_name, attr_type, write, _in in _plan(type(self)).fields:
            value = values.get(name)
            if value is None:
                serialized = None
            elif isinstance(attr, (ListAttribute, MapAttribute)):
                try:
                    if isinstance(value, MapAttribute) and not value.validate(
                            null_check=null_check):
                        raise ValueError(f"Attribute '{name}' is not correctly typed")
                    serialized = attr.serialize(value, null_check=null_check)
                except AttributeNullError as e:
                    e.prepend_path(name)
                    raise
            else:
                serialized = write(value)
            if serialized is None:
                if null_check and not attr.null:
                    raise AttributeNullError(name)
                continue
            out[stored_name] = {attr_type: serialized}
        return out


class _Plan:
    """A model class's attributes as (python name, attribute, stored name, type), its read
    defaults and its discriminator attribute's name, worked out once per class."""

    __slots__ = ("fields", "defaults", "new_defaults", "discriminator", "plain", "names",
                 "writers")

    def __init__(self, cls: type) -> None:
        attrs = cls.get_attributes()
        self.fields = [(name, a, a.attr_name, a.attr_type, *_codec(a)) for name, a in attrs.items()]
        self.writers = {name: (a, write) for name, a, _n, _t, write, _r in self.fields}
        # Stored as given by the descriptor (maps, for one, wrap a dict in a MapAttribute).
        self.plain = {name for name, a in attrs.items() if type(a).__set__ is Attribute.__set__}
        self.names = set(attrs)
        self.defaults = [(name, a.default) for name, a in attrs.items() if a.default is not None]
        self.new_defaults = [
            (name, a.default_for_new if a.default_for_new is not None else a.default)
            for name, a in attrs.items()
            if a.default_for_new is not None or a.default is not None]
        disc = cls._get_discriminator_attribute()
        self.discriminator = (cls._discriminator if disc is not None
                              and disc.get_discriminator(cls) is not None else None)

    def start(self, cls: type, defaults: list[tuple[str, Any]]
              ) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """A new instance's values (its defaults and discriminator), and the (name, value) pairs
        to set through their descriptor (a map wraps a dict) once ``attribute_values`` is set."""
        values: dict[str, Any] = {}
        through: list[tuple[str, Any]] = []
        for name, default in defaults:
            value = default() if callable(default) else default
            if value is not None:
                if name in self.plain:
                    values[name] = value
                else:
                    through.append((name, value))
        if self.discriminator is not None:
            values[self.discriminator] = cls
        return values, through


def _codec(attr: Any) -> tuple[Any, Any]:
    """How a value is written and read: the attribute's own methods, except for plain numbers,
    which PynamoDB writes and reads with json (an integer, most of ours, is its ``str``), and
    UTC times, which it writes with ``strftime``."""
    if type(attr) is NumberAttribute:
        return _number_out, _number_in
    if type(attr) is UTCDateTimeAttribute:
        return utc_out, attr.deserialize
    return attr.serialize, attr.deserialize


def writer(cls: type, name: str) -> tuple[Any, Any]:
    """The attribute ``name`` of model ``cls`` and the function that writes its values."""
    return _plan(cls).writers[name]


def utc_out(value: datetime) -> str:
    """PynamoDB's UTCDateTimeAttribute text (``2026-12-05T01:02:03.000456+0000``; a naive time
    is taken as UTC), without strftime."""
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return ids.utc_digits(value) + "+0000"


def _number_out(value: Any) -> str:
    return str(value) if type(value) is int else json.dumps(value)


def _number_in(text: str) -> Any:
    digits = text[1:] if text[:1] == "-" else text
    return int(text) if digits.isdigit() and digits.isascii() else json.loads(text)


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _Plan(cls)
    return plan


def _merge_meta(shared: dict, own: dict) -> None:
    for key, name in (("AttributeDefinitions", "AttributeName"),
                      ("GlobalSecondaryIndexes", "IndexName"),
                      ("LocalSecondaryIndexes", "IndexName")):
        known = {d[name] for d in shared.get(key) or []}
        extra = [d for d in own.get(key) or [] if d[name] not in known]
        if extra:
            shared[key] = [*(shared.get(key) or []), *extra]


def plain(value: object) -> dict:
    """A raw ``MapAttribute`` value as a plain dict."""
    if value is None:
        return {}
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if as_dict else dict(value)  # type: ignore[call-overload]


# The two indexes every table may have (store/schema.py GSI1 and DUE). One class each: PynamoDB
# binds an index to its model on the instance, so every model makes its own ``Gsi1()``.
class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = schema.GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name=schema.GSI1.hash_key)
    gsi1sk = UnicodeAttribute(range_key=True, attr_name=schema.GSI1.range_key)


class DueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = schema.DUE.name
        projection = AllProjection()

    due_pk = UnicodeAttribute(hash_key=True, attr_name=schema.DUE.hash_key)
    due_sk = UnicodeAttribute(range_key=True, attr_name=schema.DUE.range_key)
