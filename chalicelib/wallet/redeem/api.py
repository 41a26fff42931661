"""Redeem code and earning event handlers: parse, authorise, call the rules, shape the reply."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.http.context import RequestContext
from chalicelib.identity import service as identity
from chalicelib.wallet.redeem import codes, earning, redeeming


def apply_redeem(ctx: RequestContext, id: str, redeemCode: str) -> bool:  # noqa: A002, N803
    assert ctx.caller is not None
    return redeeming.apply(ctx.brand_id, ctx.caller.user_id, id, redeemCode, ctx.source_ip)


def create_batch(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.caller is not None
    return codes.create_batch(ctx.brand_id, ctx.body, ctx.caller.user_id)


def list_batches(ctx: RequestContext) -> dict[str, Any]:
    return codes.list_batches(ctx.brand_id, ctx.query)


def get_batch(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return codes.batch_dto(codes.get_batch(ctx.brand_id, id))


def list_codes(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return codes.list_codes(ctx.brand_id, codes.get_batch(ctx.brand_id, id), ctx.query)


def export_batch(ctx: RequestContext, id: str) -> Response:  # noqa: A002
    batch = codes.get_batch(ctx.brand_id, id)
    return Response(body=codes.export_csv(ctx.brand_id, batch), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="redeem-codes-{batch.id}.csv"'})


def deactivate_batch(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return codes.deactivate_batch(ctx.brand_id, codes.get_batch(ctx.brand_id, id))


def deactivate_code(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return codes.deactivate_code(ctx.brand_id, codes.code_by_id(ctx.brand_id, id))


def list_earning(ctx: RequestContext) -> dict[str, Any]:
    return earning.list_events(ctx.brand_id, ctx.query,
                               identity.has_permission(ctx, "EARNING-EVENT.READ"))


def get_earning(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return earning.get_event(ctx.brand_id, id)


def create_earning(ctx: RequestContext) -> dict[str, Any]:
    return earning.create_event(ctx.brand_id, ctx.body)


def update_earning(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return earning.update_event(ctx.brand_id, id, ctx.body)


def delete_earning(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return earning.delete_event(ctx.brand_id, id)
