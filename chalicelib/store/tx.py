"""One DynamoDB transaction, with its condition failures turned into readable errors.

Each transaction is one logical write with its own ``ClientRequestToken`` (``tx.token``). When
a reply is lost (a read timeout) botocore sends the same request again with the same token, and
DynamoDB answers a retry of a transaction it already committed (within 10 minutes) with success
instead of running it again. Emulators may not (moto doesn't): then the retry fails on the
first try's own writes, so a writer whose answer depends on a "must not exist" row stores the
token on that row and, on a condition failure, reads it back: its own token means "my earlier
try committed" (``is_own``), anything else a real duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.store import ids
from chalicelib.store.base import connection, writer

# PynamoDB sends a transaction's operations grouped by kind, in this order, whatever order they
# were added in; DynamoDB's cancellation reasons follow the order sent.
_SENT_ORDER = ("condition_check", "delete", "save", "update")


class ConditionFailed(Exception):
    """A condition in the transaction failed; ``reasons`` has one code per operation, in the
    order the caller added them."""

    def __init__(self, reasons: list[str | None]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


class _Recorded(TransactWrite):
    """Remembers the order operations were added in, to map DynamoDB's reasons back to it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.added: list[str] = []

    @property
    def token(self) -> str:
        return self._client_request_token or ""

    def condition_check(self, *args: Any, **kwargs: Any) -> None:
        super().condition_check(*args, **kwargs)
        self.added.append("condition_check")

    def delete(self, *args: Any, **kwargs: Any) -> None:
        super().delete(*args, **kwargs)
        self.added.append("delete")

    def save(self, model: Any, condition: Any = None, return_values: str | None = None) -> None:
        """PynamoDB's put, built here from the item our model serialises (store/base.py) and
        the condition's own serialisation: the request PynamoDB builds, without its second pass
        over the item's attributes. A versioned model, or a put returning values, goes through
        PynamoDB."""
        if return_values is not None or model._version_attribute_name is not None:
            super().save(model, condition=condition, return_values=return_values)
        else:
            put = {"TableName": type(model)._get_connection().table_name,
                   "Item": model.serialize(null_check=True)}
            self._put_items.append(_with_condition(put, condition, {}, {}))
            self._models_for_version_attribute_update.append(model)
        self.added.append("save")

    def set_values(self, model: Any, changes: dict[str, Any], condition: Any = None) -> None:
        """Update ``model``'s item: each attribute ``changes`` names (by its Python name) SET to
        its value, or REMOVEd when the value is None. The request PynamoDB's ``update`` with
        ``set``/``remove`` actions sends, without an expression object per attribute."""
        cls = type(model)
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, removes = [], []
        for name, value in changes.items():
            attr, write = writer(cls, name)
            placeholder = names[attr.attr_name] = f"#{len(names)}"
            stored = None if value is None else write(value)
            if stored is None:  # an empty set, too, is no value to DynamoDB
                removes.append(placeholder)
            else:
                value_placeholder = f":{len(values)}"
                values[value_placeholder] = {attr.attr_type: stored}
                sets.append(f"{placeholder} = {value_placeholder}")
        expression = " ".join(f"{word} {', '.join(parts)}" for word, parts in
                              (("SET", sets), ("REMOVE", removes)) if parts)
        key = cls.item_key(*model._get_hash_range_key_serialized_values())
        update = {"TableName": cls._get_connection().table_name, "Key": key,
                  "UpdateExpression": expression}
        self._update_items.append(_with_condition(update, condition, names, values))
        self.added.append("update")

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.added.append("update")

    def in_added_order(self, sent: list[str | None]) -> list[str | None]:
        sent_positions = [i for kind in _SENT_ORDER
                          for i, k in enumerate(self.added) if k == kind]
        out: list[str | None] = [None] * len(self.added)
        for sent_index, added_index in enumerate(sent_positions):
            if sent_index < len(sent):
                out[added_index] = sent[sent_index]
        return out


def _with_condition(request: dict[str, Any], condition: Any, names: dict[str, str],
                    values: dict[str, Any]) -> dict[str, Any]:
    """``request`` with ``condition`` serialised into it (PynamoDB's placeholders continue the
    ``names`` and ``values`` already used), and the placeholders the request uses."""
    if condition is not None:
        if not isinstance(condition, Condition):
            raise ValueError("a transaction's condition must be a PynamoDB Condition")
        if names or values:
            request["ConditionExpression"] = condition.serialize(names, values)
        else:  # a put's condition, alone in its request: mostly the same few constants
            request["ConditionExpression"], names, values = _serialized_alone(condition)
    if names:
        request["ExpressionAttributeNames"] = {v: k for k, v in names.items()}
    if values:
        request["ExpressionAttributeValues"] = values
    return request


# Conditions serialised with no placeholder taken yet, by the condition's id; the entry holds
# the condition itself, so no other object can have that id while it is kept. A condition is not
# changed once made (``&``, ``|`` and ``~`` make new ones).
_ALONE: dict[int, tuple[Any, str, dict[str, str], dict[str, Any]]] = {}
_ALONE_MAX = 256


def _serialized_alone(condition: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    hit = _ALONE.get(id(condition))
    if hit is None or hit[0] is not condition:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        hit = (condition, condition.serialize(names, values), names, values)
        if len(_ALONE) >= _ALONE_MAX:
            _ALONE.clear()
        _ALONE[id(condition)] = hit
    return hit[1], dict(hit[2]), dict(hit[3])


def new_token() -> str:
    """A ClientRequestToken (1-36 printable characters) for one logical write."""
    return ids.new_id(32)


def is_own(item: Any, token: str) -> bool:
    """Whether ``item`` (read back after a condition failure) was written by the transaction
    with ``token``: an earlier try of this very write, whose reply was lost."""
    return item is not None and bool(token) and getattr(item, "write_id", None) == token


@contextmanager
def transaction(token: str | None = None) -> Iterator[_Recorded]:
    """Collect writes; commit them together on exit, all or nothing. ``token``: the write's
    ClientRequestToken (a new one when None); pass one only to store it on a written row."""
    tw = _Recorded(connection=connection(), client_request_token=token or new_token())
    try:
        with tw:
            yield tw
    except TransactWriteError as e:
        sent = [r.code if r else None for r in (e.cancellation_reasons or [])]
        if any(r == "ConditionalCheckFailed" for r in sent):
            raise ConditionFailed(tw.in_added_order(sent)) from e
        raise
