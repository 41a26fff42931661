"""Webhook endpoint handlers: parse, call the rules, shape the reply."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.webhooks import deliveries, endpoints


def list_endpoints(ctx: RequestContext) -> dict[str, Any]:
    return endpoints.list_endpoints(ctx.brand_id, ctx.query)


def create_endpoint(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.caller is not None
    return endpoints.create(ctx.brand_id, ctx.body, ctx.caller.user_id)


def get_endpoint(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return endpoints.dto(endpoints.get(ctx.brand_id, id))


def update_endpoint(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return endpoints.update(ctx.brand_id, id, ctx.body)


def delete_endpoint(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return endpoints.delete(ctx.brand_id, id)


def roll_secret(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return endpoints.roll_secret(ctx.brand_id, id)


def test_endpoint(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return deliveries.ping(ctx.brand_id, id)


def list_deliveries(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return deliveries.list_deliveries(ctx.brand_id, id, ctx.query)


def get_delivery(ctx: RequestContext, id: str, deliveryId: str) -> dict[str, Any]:  # noqa: A002, N803
    endpoints.get(ctx.brand_id, id)
    return deliveries.dto(deliveries.get(ctx.brand_id, id, deliveryId))


def resend_delivery(ctx: RequestContext, id: str, deliveryId: str) -> dict[str, Any]:  # noqa: A002, N803
    return deliveries.resend(ctx.brand_id, id, deliveryId)
