"""Handlers of a user's saved cards (cards/saved.py holds the rules)."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.payments.cards import saved


def list_saved_cards(ctx: RequestContext) -> list[dict]:
    assert ctx.caller is not None
    return [saved.to_dto(c) for c in saved.list_cards(ctx.brand_id, ctx.caller.user_id)]


def delete_saved_card(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    assert ctx.caller is not None
    return saved.delete(ctx.brand_id, ctx.caller.user_id, id)
