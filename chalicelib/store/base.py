"""PynamoDB base model: one shared connection for every model class.

PynamoDB builds a botocore client per model class (about 40 ms each at cold start); every model
here reuses one ``Connection`` instead, and with it one client, made from the process's one
botocore session (store/aws.py), which the other AWS clients share.
"""

from __future__ import annotations

import threading
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.connection.table import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib import settings
from chalicelib.store import aws, schema

_shared: Connection | None = None
_lock = threading.Lock()


class _SharedSessionConnection(Connection):
    """PynamoDB's connection on store/aws.py's session, not a session of its own per thread."""

    @property
    def session(self) -> Any:
        return aws.session()


def connection() -> Connection:
    """The one connection, its botocore client made once even when threads ask together."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                s = settings.get()
                shared = _SharedSessionConnection(region=s.region, host=s.dynamodb_endpoint_url,
                                                  max_retry_attempts=3)
                with aws.lock:
                    shared.client  # noqa: B018 - PynamoDB builds it lazily, unguarded
                _shared = shared
    return _shared


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
