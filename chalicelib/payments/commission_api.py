"""Handlers of commission rates (JFW v6.9.3 §20)."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.http.context import RequestContext
from chalicelib.payments import commission


def list_rates(ctx: RequestContext) -> list[dict]:
    return commission.list_rates(ctx.brand_id, ctx.query)


def get_rate(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the path parameter
    return commission.get(ctx.brand_id, id)


def create_rate(ctx: RequestContext) -> dict:
    return commission.create(ctx.brand_id, ctx.body.model_dump())


def update_rate(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return commission.update(ctx.brand_id, id, ctx.body.model_dump())


def delete_rate(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return commission.delete(ctx.brand_id, id)


def get_discount(ctx: RequestContext) -> Decimal:
    return commission.get_discount(ctx.brand_id, ctx.query["quantity"])


def rate_types(ctx: RequestContext) -> list[str]:
    return list(commission.TYPES)
