"""Two costs of moto's DynamoDB that grow with its tables, taken out without changing any reply or
stored item (tests/unit/test_moto_speed.py runs the same requests through moto as shipped and as
patched, and compares every reply and the tables after). Installed by the local stack's moto
server (moto_server.py: benches, ``--dynamodb=moto``) and by the tests' in-process moto
(tests/conftest.py).

1. ``TransactWriteItems`` backed up every table it touched with ``copy.deepcopy``, once per
   item, before applying any, so a transaction cost as much as its tables times its items (each
   item, each attribute) and grew slower as the tables filled: a quarter of the catalogue and
   fulfilment tests' time, and ~40 ms of a webhook's 4-item transaction in bench/coldwebhook.py
   against ~5 ms for the minimal handler's one item (DynamoDB's latency does not grow so).
   Here the backup is a journal of the items the transaction names (a copy of each, or
   "absent"), taken before it runs and put back when moto rolls it back (a cancelled or invalid
   transaction). moto's own rollback then puts back the same table object (the table's copy is
   the table), which changes nothing.
   Tables with a stream keep moto's copy: the journal does not hold stream records.
2. moto's response serializer asks, for every member of every shape of every reply (ten for
   each DynamoDB attribute value), six alias providers which names the member may have in the
   Python object, though for a plain ``dict`` the answer depends only on the member and its
   shape. The answer is kept per (member, shape, parent shape) for ``dict`` objects and the
   default providers; every other object goes through moto's code as before.

``install`` once per process; ``uninstall`` puts moto back as shipped (the equivalence test).
"""

from __future__ import annotations

import copy
import threading
from types import SimpleNamespace
from typing import Any

import moto.dynamodb.models as ddb_models
from moto.core import serialize
from moto.core.utils import get_value
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_ORIGINAL_TRANSACT = DynamoDBBackend.transact_write_items
_ORIGINAL_GET_VALUE = serialize.ResponseSerializer.get_value
_MISSING = serialize.MISSING
_installed = False
_journals = threading.local()


def _copy_unless_journalled(value: Any, memo: Any = None) -> Any:
    """moto's backup of a table inside a journalled transaction: the table itself."""
    if isinstance(value, Table) and getattr(_journals, "active", False):
        return value
    return copy.deepcopy(value, memo)


class _Journal:
    """Each item a transaction names, as it was before (a copy), to put back on a rollback."""

    def __init__(self, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        self.saved: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
        self.usable = True
        for entry in transact_items:
            if len(entry) != 1:
                continue  # moto refuses it before writing anything
            op = next(iter(entry.values()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            if table.stream_shard is not None:
                self.usable = False
                return
            attrs = op.get("Item") if "Item" in op else op.get("Key")
            if not isinstance(attrs, dict):
                continue
            key = self._key(table, attrs)
            if key is not None:
                item = table.get_item(*key)
                self.saved.append((table, *key, copy.deepcopy(item)))

    @staticmethod
    def _key(table: Table, attrs: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
        try:
            hash_value = DynamoType(attrs[table.hash_key_attr])
            range_value = (DynamoType(attrs[table.range_key_attr])
                           if table.range_key_attr is not None else None)
        except (KeyError, TypeError, AttributeError):
            return None  # moto refuses the item before writing it
        return hash_value, range_value

    def restore(self) -> None:
        for table, hash_value, range_value, item in reversed(self.saved):
            if item is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = item
            else:
                table.items[hash_value] = item


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    journal = _Journal(self, transact_items)
    if not journal.usable:
        return _ORIGINAL_TRANSACT(self, transact_items)
    _journals.active = True
    try:
        return _ORIGINAL_TRANSACT(self, transact_items)
    except Exception:
        journal.restore()
        raise
    finally:
        _journals.active = False


_KEYS: dict[tuple, tuple[tuple[str, ...], Any, Any]] = {}


def _get_value(self: serialize.ResponseSerializer, value: Any, key: str, shape: Any) -> Any:
    """A ``dict``'s member by the names the picker gives it, asked once per (member, shape,
    parent shape); anything else as moto does it."""
    picker = self._value_picker
    if (type(value) is not dict or not isinstance(picker, serialize.AttributePicker)
            or picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS
            or picker.response_transformers):
        return _ORIGINAL_GET_VALUE(self, value, key, shape)
    parent = getattr(shape, "parent", None)
    memo = (type(picker), key, id(shape), id(parent))
    found = _KEYS.get(memo)
    if found is None or found[1] is not shape or found[2] is not parent:
        # The shapes are kept with the answer, so an id is never another shape's.
        context = serialize.AttributePickerContext(
            obj=value, key=key, shape=shape, operation_model=self.operation_model,
            service_model=self.operation_model.service_model, key_path=".".join(self.path))
        found = _KEYS[memo] = (tuple(picker.get_possible_keys(context)), shape, parent)
    for possible_key in found[0]:
        member = get_value(value, possible_key, _MISSING)
        if member is not _MISSING:
            return member
    return None


def install() -> None:
    global _installed
    if _installed:
        return
    ddb_models.copy = SimpleNamespace(deepcopy=_copy_unless_journalled)
    DynamoDBBackend.transact_write_items = _transact_write_items
    serialize.ResponseSerializer.get_value = _get_value
    _installed = True


def uninstall() -> None:
    global _installed
    ddb_models.copy = copy
    DynamoDBBackend.transact_write_items = _ORIGINAL_TRANSACT
    serialize.ResponseSerializer.get_value = _ORIGINAL_GET_VALUE
    _KEYS.clear()
    _installed = False
