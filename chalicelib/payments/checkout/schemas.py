"""Request bodies of checkout and the black list (JFW v6.9.3 names where JFW has them). Unknown
fields are ignored."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.http.schemas import Body, Text

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
CouponCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


SAVE_CARD = ("Ours: the buyer consents to keep the card (Stripe) for renewals, charged "
             "off-session when a subscription renews; saved once the payment completed.")


class CouponBody(Body):
    """``POST /api/checkout/{paymentCode}/coupon``: a coupon typed on the hosted page."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"couponCode": "WELCOME10"}]})

    couponCode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=64)]


class CheckoutLinkBody(Body):
    """``POST v1/prices/{priceId}/generate-checkout-link``: JFW sends no body; ours is optional."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"saveCardForRenewals": True}]})

    saveCardForRenewals: bool = Field(False, description=SAVE_CARD)


class UpgradeCheckoutBody(Body):
    """``POST v1/packages/{packageId}/upgrade/checkout``. ``walletId``: a wallet of the buyer's
    pays what it can; ``refundWalletId`` is accepted and not used."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"priceId": "Kd12AnplKdMd5s"},
        {"priceId": "Kd12AnplKdMd5s", "couponCode": "SPRING25", "appIntegrationId": "stripe"},
    ]})

    priceId: Id
    walletId: Id | None = None
    refundWalletId: Id | None = None
    couponCode: CouponCode | None = None
    appIntegrationId: Id | None = None
    saveCardForRenewals: bool = Field(False, description=SAVE_CARD)


class BlackListBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "Email", "value": "fraud@example.com", "description": "chargebacks"},
        {"type": "IP", "value": "203.0.113.0/24", "status": "Active"},
        {"type": "Country", "value": "KP"},
    ]})

    type: Literal["Email", "IP", "Country"]
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=254)]
    description: Text | None = None
    notes: Text | None = None
    status: Literal["Active", "Inactive"] | None = None
