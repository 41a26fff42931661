"""``Idempotency-Key`` for POSTs that move money (ARCHITECTURE.md): the same key with the same
request replays the first answer; the same key with a different request is a 409.

A record lives in the table of the context that uses it (``table``, a logical name with a
``ttl`` attribute), keyed ``B#<brand>#IDEM#<scope>#<sha256(key)>`` / ``IDEM`` where ``scope`` is
the caller (a user id), so two callers never collide. It is kept at least ``KEEP_HOURS`` (the
DynamoDB TTL deletes it some time after; an expired record still present counts as absent).

Flow of ``run``:
1. claim the key: write ``state=pending`` with the request's fingerprint, on condition that no
   live record exists (or that a pending one's lease ran out: its first caller died);
2. if the claim fails, read the record: another fingerprint -> 409 ``IDEMPOTENCY_KEY_REUSED``;
   still pending -> 409 ``IDEMPOTENCY_IN_PROGRESS`` (retry later); done -> the stored answer;
3. run the action; store its JSON answer with ``state=done``.

An action that fails (a 4xx ``ApiError`` or a crash) releases the claim, so a corrected retry
with the same key runs again: only successful answers are replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict

HEADER = "Idempotency-Key"
# Where the dispatcher keeps the records of routes declared ``idempotent=True``: every such
# route moves money, so they live in the payments table.
ROUTE_TABLE = "payments"
KEEP_HOURS = 24
LEASE_SECONDS = 60
MAX_KEY_LENGTH = 255


@cache
def _model(table: str) -> Any:
    # cold start: loaded on first use, not by every invocation
    from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

    from chalicelib.store.base import BaseModel, table_meta  # cold start

    class IdempotencyItem(BaseModel):
        Meta = table_meta(table)
        state = UnicodeAttribute()  # pending | done
        fingerprint = UnicodeAttribute()
        response = UnicodeAttribute(null=True)  # the answer's data, as JSON
        status = NumberAttribute(null=True)
        lease_until = NumberAttribute(attr_name="leaseUntil")
        created_date = UTCDateTimeAttribute(attr_name="createdDate")

    return IdempotencyItem


def key_of(headers: dict[str, str]) -> str | None:
    """The request's Idempotency-Key (headers lower-cased), checked; None when not sent."""
    value = headers.get(HEADER.lower())
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if len(value) > MAX_KEY_LENGTH or not value.isprintable():
        raise BadRequest(f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable characters (a UUID "
                         "is a good choice).", code="IDEMPOTENCY_KEY_INVALID", field=HEADER)
    return value


def fingerprint(*parts: Any) -> str:
    """A digest of what makes two requests "the same" (method, path, query, body, caller)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run(table: str, brand_id: str, scope: str, key: str | None, request_fingerprint: str,
        action: Callable[[], Any]) -> tuple[Any, bool]:
    """``(answer, replayed)``: ``action()``'s answer, or the stored one for a repeated key.
    Without a key the action simply runs."""
    if key is None:
        return action(), False
    from pynamodb.exceptions import PutError  # cold start

    model = _model(table)
    now = settings.now()
    epoch = int(now.timestamp())
    pk = f"B#{brand_id}#IDEM#{scope}#{hashlib.sha256(key.encode('utf-8')).hexdigest()}"
    claim = model(pk, "IDEM", state="pending", fingerprint=request_fingerprint,
                  lease_until=epoch + LEASE_SECONDS, created_date=now,
                  ttl=int((now + timedelta(hours=KEEP_HOURS)).timestamp()))
    free = (model.pk.does_not_exist() | (model.ttl < epoch)
            | ((model.state == "pending") & (model.lease_until < epoch)
               & (model.fingerprint == request_fingerprint)))
    try:
        claim.save(condition=free)
    except PutError as e:
        if "ConditionalCheckFailed" not in str(e.cause_response_code or e):
            raise
        return _existing(model, pk, request_fingerprint), True
    try:
        answer = action()
    except BaseException:
        _release(model, claim, request_fingerprint)
        raise
    from pynamodb.exceptions import UpdateError  # cold start

    try:
        claim.update(actions=[model.state.set("done"),
                              model.response.set(json.dumps(answer, default=_json_default))],
                     condition=model.fingerprint == request_fingerprint)
    except UpdateError:  # the record vanished (TTL) meanwhile: the answer stands, unrecorded
        pass
    return answer, False


def _release(model: Any, claim: Any, request_fingerprint: str) -> None:
    from pynamodb.exceptions import DeleteError  # cold start

    try:
        claim.delete(condition=(model.state == "pending")
                     & (model.fingerprint == request_fingerprint))
    except DeleteError:  # the lease ran out and another request took over: leave it be
        pass


def _existing(model: Any, pk: str, request_fingerprint: str) -> Any:
    try:
        item = model.get(pk, "IDEM", consistent_read=True)
    except model.DoesNotExist:  # released between our claim and this read: ask for a retry
        item = None
    if item is None or item.state == "pending":
        if item is not None and item.fingerprint != request_fingerprint:
            raise _reused()
        raise Conflict(f"A request with this {HEADER} is still being processed; retry in a "
                       "few seconds.", code="IDEMPOTENCY_IN_PROGRESS",
                       headers={"Retry-After": "2"})
    if item.fingerprint != request_fingerprint:
        raise _reused()
    return json.loads(item.response) if item.response is not None else None


def _reused() -> Conflict:
    return Conflict(f"This {HEADER} was already used for a different request; send a new key "
                    "for a new request.", code="IDEMPOTENCY_KEY_REUSED", field=HEADER)


def _json_default(value: Any) -> Any:
    from chalicelib.http.envelope import _default  # cold start

    return _default(value)
