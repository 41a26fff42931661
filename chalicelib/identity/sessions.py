"""Auth-Keys: ``<brandId>.<userId>.<secret>``; only the secret's SHA-256 is stored.

Checking a key is one BatchGetItem (the session and its user). A key stops working when it
expires, when the user's ``sessionEpoch`` moves (password change, lock, suspend, delete), or
when the user is not Active.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http.context import Caller
from chalicelib.identity.models import SessionItem, UserItem, user_pk
from chalicelib.store import ids
from chalicelib.store.base import connection


def issue(user: UserItem) -> dict:
    s = settings.get()
    secret = ids.new_secret()
    now = settings.now()
    expires = now + timedelta(hours=s.auth_key_ttl_hours)
    SessionItem(
        user_pk(user.brand_id, user.id), f"SESSION#{ids.digest(secret)}",
        user_id=user.id, epoch=user.session_epoch, expires_at=expires, created_date=now,
        ttl=int(expires.timestamp()) + 86400,
    ).save()
    return {"authKey": f"{user.brand_id}.{user.id}.{secret}", "expiresIn": expires}


def parse_auth_key(key: str) -> tuple[str, str, str] | None:
    parts = key.strip().split(".")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def caller_for_key(key: str) -> Caller | None:
    parsed = parse_auth_key(key)
    if parsed is None:
        return None
    brand_id, user_id, secret = parsed
    pk = user_pk(brand_id, user_id)
    found = {type(i): i for i in _batch_get(pk, f"SESSION#{ids.digest(secret)}")}
    session, user = found.get(SessionItem), found.get(UserItem)
    if session is None or user is None:
        return None
    if session.expires_at <= settings.now() or session.epoch != user.session_epoch:
        return None
    if user.status != "Active":
        return None
    return Caller(user_id=user.id, brand_id=user.brand_id, user_type=user.type,
                  username=user.username, session_id=session.sk,
                  is_platform_admin=user.type == "SuperAdmin" and user.brand_is_system,
                  role_ids=list(user.role_ids or []))


def _batch_get(pk: str, session_sk: str) -> list:
    """The user and the session in one BatchGetItem (pynamodb batches one model class only)."""
    table = UserItem.Meta.table_name
    keys = [{"pk": {"S": pk}, "sk": {"S": "USER"}}, {"pk": {"S": pk}, "sk": {"S": session_sk}}]
    resp = connection().client.batch_get_item(
        RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    return [(UserItem if raw["sk"]["S"] == "USER" else SessionItem).from_raw_data(raw)
            for raw in resp["Responses"].get(table, [])]


def revoke(brand_id: str, user_id: str, secret_key: str) -> None:
    """Log one Auth-Key out."""
    try:
        SessionItem.get(user_pk(brand_id, user_id), secret_key).delete()
    except DoesNotExist:
        pass
