"""Handlers of payment records, the admin's review of held payments, commission rates and the
payment constants: parse, authorise, call the rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import Forbidden
from chalicelib.identity import service as identity
from chalicelib.payments import commission, records, review
from chalicelib.payments.constants import COMMISSION_TYPES, RISK_LEVELS
from chalicelib.reports import service as reports


def _only_user(ctx: RequestContext) -> str | None:
    """None when the caller may read the brand's payments; else their own user id."""
    if identity.has_permission(ctx, "PAYMENT.READ"):
        return None
    assert ctx.caller is not None
    return ctx.caller.user_id


def list_payments(ctx: RequestContext) -> dict[str, Any]:
    """JFW's SDK: ``getPayments({userId})``. Without PAYMENT.READ the caller sees their own: a
    ``userId`` naming someone else is a 403 (not an empty page, which would read as "that user
    has paid nothing")."""
    only_user = _only_user(ctx)
    wanted = ctx.query.get("userId")
    if only_user is not None and wanted is not None and wanted != only_user:
        raise Forbidden("You may list only your own payments: leave userId out or pass your own "
                        "user id (PAYMENT.READ lists anyone's).", code="FORBIDDEN",
                        field="userId")
    return records.list_payments(ctx.brand_id, ctx.query, only_user=only_user)


def get_payment(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return records.get_payment(ctx.brand_id, id, only_user=_only_user(ctx))


def dashboard(ctx: RequestContext) -> dict[str, Any]:
    """The sales figures of the reports context's counters: the same as
    v1/analytics/payments/summary, so the two always agree."""
    assert ctx.brand is not None
    return reports.sales_summary(ctx.brand, ctx.query.get("testMode"))


# -- review of held payments (idempotent routes: the dispatcher runs them under the key) --------

def approve_payment(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    assert ctx.caller is not None
    return review.approve(ctx.brand_id, id, ctx.caller.user_id)


def refund_payment(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    assert ctx.caller is not None
    return review.refund(ctx.brand_id, id, ctx.caller.user_id)


# -- commission rates ----------------------------------------------------------------------------

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


# -- constants -----------------------------------------------------------------------------------

def payment_statuses(ctx: RequestContext) -> list[str]:
    return records.payment_statuses()


def transaction_statuses(ctx: RequestContext) -> list[str]:
    return records.transaction_statuses()


def transaction_types(ctx: RequestContext) -> list[str]:
    return records.transaction_types()


def risk_levels(ctx: RequestContext) -> list[str]:
    return list(RISK_LEVELS)


def rate_types(ctx: RequestContext) -> list[str]:
    return list(COMMISSION_TYPES)
