"""Handlers of checkout links and of the black list (the hosted checkout page is page.py).
The checkout POSTs are idempotent routes: the dispatcher runs them under the request's
Idempotency-Key (store/idempotency.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from chalice import Response

from chalicelib import money
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import NotFound
from chalicelib.payments.checkout import blacklist, requote, start
from chalicelib.payments.checkout import page as checkout_page
from chalicelib.payments.constants import BLACK_LIST_TYPES
from chalicelib.wallet import service as wallet


def _start(ctx: RequestContext, **kw: Any) -> dict:
    assert ctx.brand is not None
    return start.start(ctx.brand, ctx.caller, headers=ctx.headers, source_ip=ctx.source_ip, **kw)


def price_checkout_link(ctx: RequestContext, priceId: str) -> str:  # noqa: N803 - JFW's name
    q = ctx.query
    return _start(ctx, price_id=priceId, coupon_code=q.get("couponCode"),
                  app_integration_id=q.get("appIntegrationId"),
                  save_card=ctx.body.saveCardForRenewals)["checkoutLink"]


def upgrade_checkout(ctx: RequestContext, packageId: str) -> dict:  # noqa: N803
    """JFW's reply: what the wallet pays (``walletWithdrawalAmount``) and the link for the rest
    (null when the wallet pays everything: the payment is complete, the license on its way).
    ``refundWalletId`` is accepted and not used: an upgrade credit larger than the price is
    not paid out (``walletRefundAmount`` 0)."""
    b = ctx.body
    funds = wallet.Funds(ctx.brand_id, b.walletId) if b.walletId else None
    started = _start(ctx, price_id=b.priceId, package_id=packageId, coupon_code=b.couponCode,
                     app_integration_id=b.appIntegrationId, price_in_path=False, funds=funds,
                     save_card=b.saveCardForRenewals)
    payment = started["payment"]
    currency = payment.currency
    return {"walletWithdrawalAmount": money.to_decimal(int(payment.wallet_minor or 0), currency),
            "walletRefundAmount": money.to_decimal(0, currency),
            "walletRefundCurrency": currency, "checkoutLink": started["checkoutLink"],
            "paymentId": payment.id, "status": payment.status}


def payment_checkout_link(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    assert ctx.brand is not None
    link = start.relink(ctx.brand, ctx.caller, id, ctx.query.get("appIntegrationId"),
                        headers=ctx.headers, source_ip=ctx.source_ip)
    return {"checkoutLink": link}


# -- black list ----------------------------------------------------------------------------------

def list_black_list(ctx: RequestContext) -> dict:
    return blacklist.list_entries(ctx.brand_id, ctx.query)


def get_black_list_entry(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    return blacklist.get(ctx.brand_id, id)


def create_black_list_entry(ctx: RequestContext) -> dict:
    return blacklist.create(ctx.brand_id, ctx.body.model_dump())


def update_black_list_entry(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    return blacklist.update(ctx.brand_id, id, ctx.body.model_dump(exclude_unset=True))


def delete_black_list_entry(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return blacklist.delete(ctx.brand_id, id)


def black_list_types(ctx: RequestContext) -> list[str]:
    return list(BLACK_LIST_TYPES)


def page(ctx: RequestContext, paymentCode: str) -> Any:  # noqa: N803 - path parameter
    """The hosted checkout page (HTML, no envelope): checkout/page.py."""
    return checkout_page.page(ctx, paymentCode)


STRIPE_LOCAL_JS = Path(__file__).resolve().parents[2] / "static" / "stripe-local.js"


def stripe_local_js(ctx: RequestContext) -> Response:
    """The Stripe.js stand-in the hosted page loads against localstripe (start.stripe_js_url);
    a stage on Stripe itself loads js.stripe.com and has no use for it."""
    if not start.uses_localstripe():
        raise NotFound("This stage uses Stripe's own Stripe.js.", code="ASSET_NOT_FOUND")
    return Response(body=_stripe_local_js(), status_code=200, headers={
        "Content-Type": "text/javascript; charset=utf-8", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache"})


@cache
def _stripe_local_js() -> str:
    return STRIPE_LOCAL_JS.read_text(encoding="utf-8")


def page_coupon(ctx: RequestContext, paymentCode: str) -> dict:  # noqa: N803 - path parameter
    return requote.apply_coupon(ctx.query.get("brandId") or "", paymentCode,
                                ctx.body.couponCode, source_ip=ctx.source_ip)
