"""Handlers of checkout links, the admin's review of held payments, and the black list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.http.context import RequestContext

IDEMPOTENCY_TABLE = "payments"


def _idempotent(ctx: RequestContext, action: Callable[[], Any], **path: str) -> Any:
    """Run ``action`` under the request's Idempotency-Key (store/idempotency.py): a repeat with
    the same request answers the first answer again, with ``Idempotent-Replayed: true``."""
    from chalice import Response

    from chalicelib.http import envelope
    from chalicelib.store import idempotency

    assert ctx.caller is not None
    key = idempotency.key_of(ctx.headers)
    body = ctx.body.model_dump(mode="json") if ctx.body is not None else None
    print_ = idempotency.fingerprint(ctx.method, ctx.path, path, ctx.query, body)
    answer, replayed = idempotency.run(IDEMPOTENCY_TABLE, ctx.brand_id, ctx.caller.user_id, key,
                                       print_, action)
    if not replayed:
        return answer
    return Response(body=envelope.dumps(envelope.ok(answer)), status_code=200,
                    headers={"Content-Type": "application/json",
                             "Idempotent-Replayed": "true"})


def _start(ctx: RequestContext, **kw: Any) -> dict:
    from chalicelib.payments import checkout

    assert ctx.brand is not None
    return checkout.start(ctx.brand, ctx.caller, headers=ctx.headers, source_ip=ctx.source_ip,
                          **kw)


def price_checkout_link(ctx: RequestContext, priceId: str) -> Any:  # noqa: N803 - JFW's name
    q = ctx.query

    def action() -> str:
        return _start(ctx, price_id=priceId, coupon_code=q.get("couponCode"),
                      app_integration_id=q.get("appIntegrationId"))["checkoutLink"]

    return _idempotent(ctx, action, priceId=priceId)


def upgrade_checkout(ctx: RequestContext, packageId: str) -> Any:  # noqa: N803
    from chalicelib import money

    b = ctx.body

    def action() -> dict:
        started = _start(ctx, price_id=b.priceId, package_id=packageId,
                         coupon_code=b.couponCode, app_integration_id=b.appIntegrationId,
                         price_in_path=False)
        currency = started["payment"].currency
        zero = money.to_decimal(0, currency)
        return {"walletWithdrawalAmount": zero, "walletRefundAmount": zero,
                "walletRefundCurrency": currency, "checkoutLink": started["checkoutLink"],
                "paymentId": started["payment"].id}

    return _idempotent(ctx, action, packageId=packageId)


def payment_checkout_link(ctx: RequestContext, id: str) -> Any:  # noqa: A002
    from chalicelib.payments import checkout

    def action() -> dict:
        assert ctx.brand is not None
        link = checkout.relink(ctx.brand, ctx.caller, id, ctx.query.get("appIntegrationId"),
                               headers=ctx.headers, source_ip=ctx.source_ip)
        return {"checkoutLink": link}

    return _idempotent(ctx, action, id=id)


def approve_payment(ctx: RequestContext, id: str) -> Any:  # noqa: A002
    from chalicelib.payments import review

    assert ctx.caller is not None
    return _idempotent(ctx, lambda: review.approve(ctx.brand_id, id, ctx.caller.user_id), id=id)


def refund_payment(ctx: RequestContext, id: str) -> Any:  # noqa: A002
    from chalicelib.payments import review

    assert ctx.caller is not None
    return _idempotent(ctx, lambda: review.refund(ctx.brand_id, id, ctx.caller.user_id), id=id)


# -- black list ----------------------------------------------------------------------------------

def list_black_list(ctx: RequestContext) -> dict:
    from chalicelib.payments import blacklist

    return blacklist.list_entries(ctx.brand_id, ctx.query)


def get_black_list_entry(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    from chalicelib.payments import blacklist

    return blacklist.get(ctx.brand_id, id)


def create_black_list_entry(ctx: RequestContext) -> dict:
    from chalicelib.payments import blacklist

    return blacklist.create(ctx.brand_id, ctx.body.model_dump())


def update_black_list_entry(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    from chalicelib.payments import blacklist

    return blacklist.update(ctx.brand_id, id, ctx.body.model_dump(exclude_unset=True))


def delete_black_list_entry(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    from chalicelib.payments import blacklist

    return blacklist.delete(ctx.brand_id, id)


def black_list_types(ctx: RequestContext) -> list[str]:
    from chalicelib.payments.checkout_routes import BLACK_LIST_TYPES

    return list(BLACK_LIST_TYPES)


def risk_levels(ctx: RequestContext) -> list[str]:
    from chalicelib.payments.checkout_routes import RISK_LEVELS

    return list(RISK_LEVELS)
