"""Handlers of payment gateways and app integrations (JFW v6.9.3 §13)."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.payments.gateways import config


def list_integrations(ctx: RequestContext) -> list[dict]:
    return config.list_integrations(ctx.query)


def list_gateways(ctx: RequestContext) -> list[dict]:
    return config.list_gateways(ctx.brand_id)


def get_gateway(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the path parameter
    return config.get(ctx.brand_id, id)


def create_gateway(ctx: RequestContext) -> dict:
    return config.create(ctx.brand_id, ctx.body.model_dump())


def update_gateway(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    return config.update(ctx.brand_id, id, ctx.body.model_dump())


def delete_gateway(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return config.delete(ctx.brand_id, id)
