"""Currency, exchange-rate and conversion handlers: parse, authorise, call the rules, shape the
reply."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest
from chalicelib.wallet.rates import convert, currencies, fees, rates


def _caller_id(ctx: RequestContext) -> str:
    assert ctx.caller is not None
    return ctx.caller.user_id


def _number(ctx: RequestContext, name: str) -> Decimal:
    value = ctx.query.get(name)
    if value is None:
        raise BadRequest(f"{name} is required.", field=name)
    return value


def list_currencies(ctx: RequestContext) -> dict[str, Any]:
    return currencies.list_currencies(ctx.brand, ctx.query)


def list_rates(ctx: RequestContext) -> list[dict[str, Any]]:
    return rates.list_rates(ctx.brand_id, ctx.query)


def convert_currency(ctx: RequestContext) -> Decimal:
    return convert.convert_amount(
        ctx.brand_id, rates.currency(ctx.query.get("fromCurrency"), "fromCurrency"),
        rates.currency(ctx.query.get("toCurrency"), "toCurrency"), _number(ctx, "amount"))


def set_rate(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.body
    return rates.set_rate(ctx.brand_id, rates.currency(body.fromCurrencyCode, "fromCurrencyCode"),
                          rates.currency(body.toCurrencyCode, "toCurrencyCode"), body.rate,
                          _caller_id(ctx))


def delete_rate(ctx: RequestContext, id: str) -> bool:  # noqa: A002 - FROM-TO, e.g. USD-JPY
    from_code, to_code = rates.parse_pair_id(id)
    return rates.delete_rate(ctx.brand_id, from_code, to_code, _caller_id(ctx))


def rate_histories(ctx: RequestContext) -> dict[str, Any]:
    return rates.histories(ctx.brand_id, ctx.query)


def get_fee(ctx: RequestContext) -> dict[str, Any]:
    return fees.to_dto(fees.current_percent(ctx.brand_id))


def set_fee(ctx: RequestContext) -> dict[str, Any]:
    return fees.set_percent(ctx.brand_id, ctx.body.walletConvertFeePercent)


def quote_conversion(ctx: RequestContext) -> dict[str, Any]:
    for name in ("originalWalletId", "targetWalletId"):
        if not ctx.query.get(name):
            raise BadRequest(f"{name} is required.", field=name)
    return convert.quote_wallets(ctx.brand_id, _caller_id(ctx), ctx.query["originalWalletId"],
                                 ctx.query["targetWalletId"],
                                 _number(ctx, "totalAmount")).dto()


def convert_wallets(ctx: RequestContext) -> bool:
    body = ctx.body
    convert.convert(ctx.brand_id, _caller_id(ctx), body.originalWalletId, body.targetWalletId,
                    body.totalAmount, body.fee)
    return True
