"""Saved cards, in the ``payments`` table (payments/models.py's neighbours).

Access patterns (pk / sk):
- saved card ............ ``B#<brand>#CARDS#<userId>`` / ``CARD#<gatewayId>``: the card a buyer
                          let us keep for renewals at one Stripe gateway (its Stripe Customer and
                          PaymentMethod, the card's brand, last 4 digits and expiry; never the
                          number). One per brand x user x gateway: a newer consented card
                          replaces it. A user's cards are ONE Query of their partition (a handful
                          of items: one per Stripe gateway of the brand).

The public ``id`` is a digest of the gateway and the PaymentMethod: stable for one card, new
when the card is replaced, and saying nothing Stripe ids would.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.store.base import BaseModel, table_meta

CARD_PREFIX = "CARD#"


def cards_pk(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#CARDS#{user_id}"


def card_sk(gateway_id: str) -> str:
    return f"{CARD_PREFIX}{gateway_id}"


class SavedCardItem(BaseModel):
    """A card saved with the buyer's consent (``saveCardForRenewals``) once its payment
    completed. ``saved_date`` is the completion that saved it: a save only replaces an older
    one, so saves applied out of order keep the newest card."""

    Meta = table_meta("payments")
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    user_id = UnicodeAttribute(attr_name="userId")
    gateway_id = UnicodeAttribute(attr_name="gatewayId")
    gateway_type = UnicodeAttribute(attr_name="gatewayType", default="stripe")
    customer_id = UnicodeAttribute(attr_name="customerId")
    payment_method_id = UnicodeAttribute(attr_name="paymentMethodId")
    card_brand = UnicodeAttribute(attr_name="cardBrand", null=True)
    last4 = UnicodeAttribute(null=True)
    exp_month = NumberAttribute(attr_name="expMonth", null=True)
    exp_year = NumberAttribute(attr_name="expYear", null=True)
    payment_id = UnicodeAttribute(attr_name="paymentId")  # the payment whose completion saved it
    saved_date = UTCDateTimeAttribute(attr_name="savedDate")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
