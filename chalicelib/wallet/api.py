"""Wallet handlers: parse, authorise, call the rules, shape the reply."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.identity import service as identity
from chalicelib.wallet import locking, wallets
from chalicelib.wallet.constants import CONSTANTS


def _whose(ctx: RequestContext) -> str:
    """The user the request is about: the caller, or ``userId`` for a WALLET.READ holder."""
    assert ctx.caller is not None
    user_id = ctx.query.get("userId") or ctx.caller.user_id
    identity.require_self_or(ctx, user_id, "WALLET.READ", what="another user's wallets",
                             must_exist=True)
    return user_id


def list_wallets(ctx: RequestContext) -> list[dict]:
    return [wallets.to_dto(w) for w in wallets.list_wallets(ctx.brand_id, _whose(ctx), ctx.query)]


def open_wallet(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the currency code
    assert ctx.caller is not None
    wallet = wallets.open_wallet(ctx.brand_id, ctx.caller.user_id, id,
                                 bool(ctx.query.get("testMode") or False))
    return wallets.to_dto(wallet)


def get_wallet(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    return wallets.to_dto(wallets.owned(ctx, id))


def close_wallet(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return wallets.close(ctx.brand_id, wallets.owned(ctx, id, "WALLET.UPDATE"))


def histories(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return wallets.histories(ctx.brand_id, wallets.owned(ctx, id), ctx.query)


def constant(ctx: RequestContext) -> list[str]:
    return list(CONSTANTS[ctx.path.removeprefix("/api/v1/constants/")])


def lock_wallet(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    assert ctx.caller is not None
    return wallets.to_dto(locking.lock(ctx.brand_id, id, ctx.caller.user_id,
                                       ctx.query.get("reason")))


def unlock_wallet(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    return wallets.to_dto(locking.unlock(ctx.brand_id, id))
