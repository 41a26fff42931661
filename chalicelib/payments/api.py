"""Handlers of payment records and the notification log: parse, authorise, call the service."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext


def _only_user(ctx: RequestContext) -> str | None:
    """None when the caller may read the brand's payments; else their own user id."""
    from chalicelib.identity import service as identity

    if identity.has_permission(ctx, "PAYMENT.READ"):
        return None
    assert ctx.caller is not None
    return ctx.caller.user_id


def list_payments(ctx: RequestContext) -> dict[str, Any]:
    from chalicelib.payments import records

    return records.list_payments(ctx.brand_id, ctx.query, only_user=_only_user(ctx))


def get_payment(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    from chalicelib.payments import records

    return records.get_payment(ctx.brand_id, id, only_user=_only_user(ctx))


def dashboard(ctx: RequestContext) -> dict[str, Any]:
    from chalicelib.payments import records

    assert ctx.brand is not None
    return records.dashboard(ctx.brand, ctx.query.get("testMode"))


def payment_statuses(ctx: RequestContext) -> list[str]:
    from chalicelib.payments import records

    return records.payment_statuses()


def transaction_statuses(ctx: RequestContext) -> list[str]:
    from chalicelib.payments import records

    return records.transaction_statuses()


def transaction_types(ctx: RequestContext) -> list[str]:
    from chalicelib.payments import records

    return records.transaction_types()


def list_notifications(ctx: RequestContext) -> dict[str, Any]:
    from chalicelib.payments import notifications

    return notifications.list_notifications(ctx.brand_id, ctx.query)


def get_notification(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    from chalicelib.payments import notifications

    return notifications.get(ctx.brand_id, id)


def replay_notification(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    from chalicelib.payments import notifications

    return notifications.replay(ctx.brand_id, id)
