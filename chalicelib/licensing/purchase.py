"""``POST v1/licenses/purchase/checkout-link``: buy licenses to hand out.

The payment is made by payments' one checkout (``payments.checkout``: the same black list,
gateway choice, risk assessment, gateway link and payment), for the price of the package and
subscription type, times ``quantity``. Its quote carries ``purpose``
"license-purchase", the quantity and the window (startDate..endDate) in which the codes can be
applied; fulfilment.py then issues that many Prepaid licenses owned by the buyer, not applied,
and mails their codes. No upgrade credit and no coupon: the licenses are for others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import money
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import BadRequest, NotFound
from chalicelib.licensing import licenses
from chalicelib.licensing.constants import MAX_PURCHASE_QUANTITY
from chalicelib.licensing.fulfilment import PURCHASE
from chalicelib.payments import service as payments
from chalicelib.wallet import service as wallet


def _price(brand_id: str, package_id: str, subtype_id: str) -> dict:
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
    _, url = payments.checkout(brand, caller, _order(brand, data),
                               app_integration_id=data.get("appIntegrationId"),
                               headers=headers, source_ip=source_ip,
                               return_link=data.get("returnURL"),
                               cancel_link=data.get("cancelURL"),
                               save_card=bool(data.get("saveCardForRenewals")))
    assert url is not None
    return url


def by_wallet(brand: dict, caller: Any, wallet_id: str, data: dict[str, Any], *,
              headers: dict[str, str] | None = None, source_ip: str | None = None) -> str:
    """``POST v1/licenses/purchase/wallet``: the same purchase, paid in full from one of the
    buyer's wallets (409 WALLET_INSUFFICIENT_FUNDS, naming what is missing, when it holds too
    little: nothing is charged elsewhere). The payment completes at once; the licenses are
    issued by the same fulfilment as a gateway's payment. Answers the payment's id."""
    payment, _ = payments.checkout(brand, caller, _order(brand, data), headers=headers,
                                   source_ip=source_ip,
                                   funds=wallet.Funds(brand["id"], wallet_id, whole=True))
    return payment.id


def _order(brand: dict, data: dict[str, Any]) -> Callable[[Any, dict], payments.Order]:
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

    def order(user: Any, gateway: dict) -> payments.Order:
        if data.get("userCode") and data["userCode"] != user.code:
            raise BadRequest("userCode must be your own: a wallet pays for its owner.",
                             code="USER_CODE_MISMATCH", field="userCode")
        price = _price(brand_id, data["packageId"], data["subscriptionTypeId"])
        _, subtype = licenses.catalog_refs(brand_id, data["packageId"],
                                           data["subscriptionTypeId"])
        quote = catalog.quote(brand, data["packageId"], price_id=price["id"])
        currency = quote["currency"]
        unit = money.to_minor(quote["total"], currency)
        amount = money.check_minor(unit * quantity, currency, field="quantity",
                                   what="The total (quantity x price)")
        return payments.Order(
            price=price, quote=quote, amount=amount, currency=currency,
            name=f"{quantity} x {price.get('packageName') or 'Package'} - {price['name']} "
                 "licenses",
            nothing_to_pay="Nothing to pay: this price costs 0.",
            risk_price={**price, "amountMinor": int(price["amountMinor"]) * quantity},
            test_mode=bool(data.get("testMode") or gateway.get("testMode")),
            snapshot={"purpose": PURCHASE, "quantity": quantity, "unitMinor": unit,
                      "duration": licenses.duration_of(subtype),
                      "startDate": start.isoformat() if start else None,
                      "endDate": end.isoformat() if end else None})

    return order
