"""Handlers of wallet top-ups."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.wallet.funds import topup


def add_money_checkout_link(ctx: RequestContext) -> str:
    assert ctx.brand is not None
    q = ctx.query
    return topup.checkout_link(
        ctx.brand, ctx.caller, currency=q["currencyCode"], amount=q["amount"],
        return_link=q["returnLink"], cancel_link=q["cancelLink"], test_mode=q.get("testMode"),
        app_integration_id=q.get("appIntegrationId"), headers=ctx.headers,
        source_ip=ctx.source_ip)
