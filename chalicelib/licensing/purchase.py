"""``POST v1/licenses/purchase/checkout-link``: buy licenses to hand out.

The payment is made as payments/checkout.py makes a price's checkout (the same black list, gateway
choice, risk assessment, gateway link and ``service.create_payment``), for the price of the
package and subscription type, times ``quantity``. Its quote carries ``purpose``
"license-purchase", the quantity and the window (startDate..endDate) in which the codes can be
applied; fulfilment.py then issues that many Prepaid licenses owned by the buyer, not applied,
and mails their codes. No upgrade credit and no coupon: the licenses are for others.
"""

from __future__ import annotations

from typing import Any

from chalicelib import money
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.licensing import licenses
from chalicelib.licensing.constants import MAX_PURCHASE_QUANTITY
from chalicelib.licensing.fulfilment import PURCHASE


def _price(brand_id: str, package_id: str, subtype_id: str) -> dict:
    from chalicelib.catalog import service as catalog

    try:
        prices = catalog.prices_for_package(brand_id, package_id, public=True)
    except NotFound:
        raise BadRequest(f"The package '{package_id}' is not for sale in this brand.",
                         code="PACKAGE_NOT_FOUND", field="packageId") from None
    for price in prices:
        if price.get("subscriptionTypeId") == subtype_id:
            return price
    raise BadRequest("This package has no price for this subscription type.",
                     code="PRICE_NOT_FOUND", field="subscriptionTypeId")


def checkout_link(brand: dict, caller: Any, data: dict[str, Any], *,
                  headers: dict[str, str] | None = None, source_ip: str | None = None) -> str:
    from chalicelib.catalog import quotes
    from chalicelib.payments import blacklist, checkout, gateway_config, risk

    brand_id = brand["id"]
    quantity = int(data.get("quantity") or 1)
    if not 1 <= quantity <= MAX_PURCHASE_QUANTITY:
        raise BadRequest(f"quantity must be between 1 and {MAX_PURCHASE_QUANTITY}.",
                         field="quantity")
    start = licenses.utc(data.get("startDate"))
    end = licenses.utc(data.get("endDate"))
    if start and end and end <= start:
        raise BadRequest("endDate must be after startDate.", code="DATE_RANGE_INVALID",
                         field="endDate")
    user = checkout.buyer_account(brand_id, caller)
    buyer = blacklist.buyer_of(user.email_address, headers or {}, source_ip)
    listed = blacklist.check(brand_id, buyer)
    gateway = gateway_config.for_checkout(brand_id, data.get("appIntegrationId"))
    gateway = {**gateway, "returnLink": data.get("returnURL") or gateway.get("returnLink"),
               "cancelLink": data.get("cancelURL") or gateway.get("cancelLink")}
    price = _price(brand_id, data["packageId"], data["subscriptionTypeId"])
    _, subtype = licenses.catalog_refs(brand_id, data["packageId"], data["subscriptionTypeId"])
    quote = quotes.calculate(brand, data["packageId"], price_id=price["id"])
    currency = quote["currency"]
    unit = money.to_minor(quote["total"], currency)
    amount = money.check_minor(unit * quantity, currency, field="quantity",
                               what="The total (quantity x price)")
    if amount <= 0:
        raise Conflict("Nothing to pay: this price costs 0.", code="NOTHING_TO_PAY")
    assessment = risk.assess_checkout(
        brand, user.id, amount_minor=amount, currency=currency,
        price={**price, "amountMinor": int(price["amountMinor"]) * quantity},
        tax_percent=quotes.tax_rate(brand), near_misses=blacklist.near_misses(listed, buyer))
    _, url = checkout.open_payment(
        brand, user, buyer, gateway, price, assessment, quote, amount=amount, currency=currency,
        name=f"{quantity} x {price.get('packageName') or 'Package'} - {price['name']} licenses",
        test_mode=bool(data.get("testMode") or gateway.get("testMode")),
        snapshot={"purpose": PURCHASE, "quantity": quantity, "unitMinor": unit,
                  "duration": licenses.duration_of(subtype),
                  "startDate": start.isoformat() if start else None,
                  "endDate": end.isoformat() if end else None})
    return url
