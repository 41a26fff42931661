"""Quotes (JFW's calculate-total-price-checkout): what a buyer would pay for a price now.

A quote reads and never writes: asking twice gives the same answer, and a coupon is only counted
when a payment redeems it (coupons.redeem). The rules and their rounding are in pricing.py:
half-up to the minor unit, on integer minor units, in the order discount -> proration -> tax.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib import settings
from chalicelib.catalog import coupons, packages, prices, pricing, subscription_types
from chalicelib.catalog.catalogue import Catalogue, load
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.identity import service as identity


def calculate(brand: dict, package_id: str, *, price_id: str | None,
              body_package_id: str | None = None, coupon_code: str | None = None,
              user_id: str | None = None) -> dict[str, Any]:
    """The quote for ``price_id`` of ``package_id``; ``user_id`` is the logged-in buyer (for
    the per-user coupon limit and the upgrade credit), None for an anonymous quote.
    A wallet (JFW's ``walletId``) is applied by the wallet context on top of this quote
    (``walletUsed``, and ``total`` less it): catalog knows no wallets."""
    brand_id = brand["id"]
    if body_package_id and body_package_id != package_id:
        raise BadRequest(f"packageId '{body_package_id}' in the body differs from the package "
                         f"'{package_id}' in the path.", field="packageId")
    if not price_id:
        raise BadRequest("priceId is required.", field="priceId")
    cat = load(brand_id)  # one read for the package and the price
    packages.package_of(cat, package_id, public=True)  # buyers see active packages
    price = _price(cat, price_id)
    if price["packageId"] != package_id:
        raise BadRequest(f"The price '{price_id}' is not a price of the package '{package_id}'.",
                         code="PRICE_NOT_OF_PACKAGE", field="priceId")
    now = settings.now()
    currency = price["currency"]
    subtotal = int(price["amountMinor"])
    if coupon_code:
        coupon = coupons.applicable(brand_id, coupon_code, package_id=package_id,
                                    currency=currency, user_id=user_id, now=now)
    else:
        coupon = coupons.best_auto_apply(brand_id, package_id=package_id, currency=currency,
                                         subtotal=subtotal, user_id=user_id, now=now)
    credit = upgrade_credit(brand_id, user_id, package_id, price, now) if user_id else {}
    q = pricing.quote(subtotal, **coupons.discount_terms(coupon), **credit,
                      tax_rate=tax_rate(brand))
    return {**pricing.to_wire(q, currency), "couponCode": coupon.code if coupon else None}


def _price(cat: Catalogue, price_id: str) -> dict:
    try:
        return prices.price_of(cat, price_id, public=True)
    except NotFound:
        raise BadRequest(f"The price '{price_id}' does not exist.", code="PRICE_NOT_FOUND",
                         field="priceId") from None


def tax_rate(brand: dict) -> Decimal:
    """The brand's ``taxRate`` setting, a percent (default 0)."""
    raw = (brand.get("setting") or {}).get("taxRate")
    if raw in (None, ""):
        return pricing.ZERO
    try:
        rate = Decimal(str(raw))
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or not pricing.ZERO <= rate <= pricing.HUNDRED:
        raise Conflict(f"The brand's taxRate setting '{raw}' is not a percent between 0 and 100; "
                       "an administrator must correct it.", code="TAX_RATE_INVALID")
    return rate


def upgrade_credit(brand_id: str, user_id: str, package_id: str, price: dict,
                   now: datetime) -> dict[str, int]:
    """``pricing.quote`` arguments crediting the unused part of the buyer's current package.

    Only when the buyer holds another package that ends in the future and that package has a
    subscription price in the quote's currency. The buyer's purchase is not recorded yet
    (licences come with payments), so the price credited is the one with the same
    subscription type as the new price, else the one giving the smallest credit.
    """
    try:
        user = identity.get_user_item(brand_id, user_id)
    except NotFound:
        return {}
    expiry = user.expiry_date
    if not user.package_id or user.package_id == package_id or expiry is None or expiry <= now:
        return {}
    try:
        packages.get_package(brand_id, user.package_id)
    except NotFound:
        return {}
    remaining = int((expiry - now).total_seconds())
    best: tuple[bool, int, str, int, int] | None = None  # other type?, credit, id, amount, secs
    for p in prices.prices_for_package(brand_id, user.package_id):
        if (p["currency"] != price["currency"] or not p.get("subscriptionTypeId")
                or p.get("pricingModel") == "OneTime"):
            continue
        duration = _duration_seconds(brand_id, p["subscriptionTypeId"], now)
        if not duration:
            continue
        amount = int(p["amountMinor"])
        uncapped = pricing.prorate_credit(amount, remaining, duration, cap=1 << 62)
        option = (p["subscriptionTypeId"] != price.get("subscriptionTypeId"), uncapped, p["id"],
                  amount, duration)
        if best is None or option[:3] < best[:3]:
            best = option
    if best is None:
        return {}
    return {"current_price": best[3], "remaining_seconds": remaining, "duration_seconds": best[4]}


def _duration_seconds(brand_id: str, subtype_id: str, now: datetime) -> int | None:
    try:
        subtype = subscription_types.get_subscription_type(brand_id, subtype_id)
    except NotFound:
        return None
    end = subscription_types.subscription_end(now, subtype)
    if end is None:
        return None
    return int((end - now).total_seconds())
