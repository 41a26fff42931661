"""Payment items, all in the ``payments`` table.

Access patterns (pk / sk):
- payment ................... ``B#<brand>#PAY#<paymentId>`` / ``PAYMENT``
                              a brand's payments: gsi1 ``B#<brand>#PAYMENTS`` / ``<created>#<id>``;
                              janitor: sparse ``due`` index, duePk ``PAYDUE#<shard 0..7>``, dueSk
                              ``<next check time>#<id>``, present only while Created/Pending
- payment history ........... ``B#<brand>#PAY#<paymentId>`` / ``HIST#<iso time>#<seq>``
- transaction record ........ carried by the history row of the event that reported it (its
                              ``txn`` map: one item fewer in intake's transaction); rows written
                              before that, ``B#<brand>#PAY#<paymentId>`` / ``TXN#<merchantRef>#
                              <kind>``, are still read. One record per (merchantRef, kind): the
                              newest wins, as the old row's overwrite did (records.py)
  ONE Query on the payment's partition returns the payment, its history and its transactions
  (items carry a ``kind`` discriminator, so a Query of ``PaymentRecord`` returns typed items).
- gateway reference ......... ``B#<brand>#MREF#<gateway>#<merchantRef>`` / ``MREF`` -> paymentId
                              (finds the payment of a refund or dispute that names only the
                              PaymentIntent / PayPal parent txn)
- inbound dedupe ............ ``B#<brand>#GWEVENT#<gateway>#<dedupeKey>`` / ``DEDUPE``
                              (never expires). The notification that applied the event IS this
                              row (a ``NotificationItem`` there, id ``ev_...`` naming the key:
                              notifications.event_id); a ``DedupeItem`` only when the event came
                              without a fresh notification (janitor, review, a replay) or before
                              the two were one row
- received notification ..... ``B#<brand>#NOTIF#<id>`` / ``NOTIF`` (those not applied: rejected,
                              duplicate, unknown payment...), or the dedupe row above;
                              a brand's notifications, both kinds: gsi1 ``B#<brand>#NOTIFS`` /
                              ``<received>#<id>``
- rejected-notification count ``B#<brand>#GWREJ#<gatewayId>`` / ``H#<YYYY-MM-DDTHH>`` (UTC
                              hour; expires with the rejected rows): bounds how many
                              unverifiable notifications a gateway stores per hour
- gateway .................. ``B#<brand>#GW#<id>`` / ``GATEWAY``; a brand's gateways: gsi1
                              ``B#<brand>#GATEWAYS``
- gateway routing row ....... ``GATEWAY#<id>`` / ``GATEWAY``: the webhook URL carries only the
                              gateway id; it holds what verification needs (brand, type, sealed
                              secrets, PayPal receiver), so a notification costs one GetItem
- gateway head .............. ``B#<brand>#GWHEAD`` / ``HEAD``: the brand's default gateway id
                              and a version every change of the default is conditioned on
- commission rate ........... ``B#<brand>#COMMRATE#<id>`` / ``COMMRATE`` (gsi1
                              ``B#<brand>#COMMRATES``); ``B#<brand>#COMMHEAD`` / ``HEAD`` whose
                              version every write checks and raises
- saved card ................ ``B#<brand>#CARDS#<userId>`` / ``CARD#<gatewayId>``
                              (cards/models.py)
- black list entry .......... ``B#<brand>#BLACKLIST#<type>#<value>`` / ``BLACKLIST`` (the key
                              makes an entry unique); the list: gsi1 ``B#<brand>#BLACKLIST``
- idempotency records (store/idempotency.py) of the idempotent POST routes.

The payment id IS the reference the gateway gets back (Stripe metadata ``payment_code``, PayPal
``custom``), so a notification reads its payment with one GetItem.
Money is integer minor units plus the ISO 4217 ``currency``.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.constants import BINARY, STRING
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from chalicelib.store import schema
from chalicelib.store.base import BaseModel, DueIndex, Gsi1, table_meta
from chalicelib.store.ids import stamp

Meta = table_meta("payments")

DUE_SHARDS = 8
PAYMENT_SK = "PAYMENT"
DEDUPE_SK = "DEDUPE"
NOTIF_SK = "NOTIF"
GATEWAY_SK = "GATEWAY"
HEAD_SK = "HEAD"
COMMRATE_SK = "COMMRATE"
BLACKLIST_SK = "BLACKLIST"


class RawBytesAttribute(Attribute[bytes]):
    """Exact bytes (a signature covers them) kept as a string: each byte one Latin-1 character,
    so it round-trips byte for byte and an ASCII body (JSON, a PayPal form) is stored as is."""

    attr_type = STRING

    def serialize(self, value: bytes) -> str:
        return bytes(value).decode("latin-1")

    def deserialize(self, value: str) -> bytes:
        return value.encode("latin-1")


class CompressedBytesAttribute(Attribute[bytes]):
    """Exact bytes, stored zlib-compressed as a binary value: a Stripe event's JSON shrinks to
    about a third, and DynamoDB bills a write by the item's size (twice in a transaction, and
    again in an index that projects it)."""

    attr_type = BINARY

    def serialize(self, value: bytes) -> bytes:
        return zlib.compress(bytes(value), 6)

    def deserialize(self, value: bytes) -> bytes:
        return zlib.decompress(value)


# -- keys ----------------------------------------------------------------------------------------

def payment_pk(brand_id: str, payment_id: str) -> str:
    return f"B#{brand_id}#PAY#{payment_id}"


def payments_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#PAYMENTS"


def dedupe_pk(brand_id: str, gateway: str, dedupe_key: str) -> str:
    return f"B#{brand_id}#GWEVENT#{gateway}#{dedupe_key}"


def mref_pk(brand_id: str, gateway: str, merchant_ref: str) -> str:
    return f"B#{brand_id}#MREF#{gateway}#{merchant_ref}"


MREF_SK = "MREF"


def notif_pk(brand_id: str, notification_id: str) -> str:
    return f"B#{brand_id}#NOTIF#{notification_id}"


def notifs_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#NOTIFS"


def rejected_pk(brand_id: str, gateway_id: str) -> str:
    return f"B#{brand_id}#GWREJ#{gateway_id}"


def rejected_sk(moment: datetime) -> str:
    return f"H#{moment:%Y-%m-%dT%H}"


def due_shard(payment_id: str) -> str:
    return f"PAYDUE#{zlib.crc32(payment_id.encode()) % DUE_SHARDS}"


def due_sort_key(moment: datetime, payment_id: str) -> str:
    return f"{stamp(moment)}#{payment_id}"


def history_sk(moment: datetime, seq: int) -> str:
    return f"HIST#{stamp(moment)}#{seq:06d}"


def txn_sk(merchant_ref: str, kind: str) -> str:
    return f"TXN#{merchant_ref}#{kind}"


def gateway_pk(brand_id: str, gateway_id: str) -> str:
    return f"B#{brand_id}#GW#{gateway_id}"


def gateways_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#GATEWAYS"


def gateway_route_pk(gateway_id: str) -> str:
    return f"GATEWAY#{gateway_id}"


def gateway_head_pk(brand_id: str) -> str:
    return f"B#{brand_id}#GWHEAD"


def commission_rate_pk(brand_id: str, rate_id: str) -> str:
    return f"B#{brand_id}#COMMRATE#{rate_id}"


def commission_rates_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#COMMRATES"


def commission_head_pk(brand_id: str) -> str:
    return f"B#{brand_id}#COMMHEAD"


def black_list_pk(brand_id: str, kind: str, value: str) -> str:
    return f"B#{brand_id}#BLACKLIST#{kind}#{value}"


def black_list_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#BLACKLIST"


# -- the payment partition -----------------------------------------------------------------------

class BuyerIndex(GlobalSecondaryIndex):
    """A buyer's payments by creation time, for checkout/risk.py: status and creation date, and
    the item kind PynamoDB filters on."""

    class Meta:
        index_name = schema.BUYER.name
        projection = IncludeProjection(list(schema.BUYER.include or ()))

    buyer_pk = UnicodeAttribute(hash_key=True, attr_name=schema.BUYER.hash_key)
    buyer_sk = UnicodeAttribute(range_key=True, attr_name=schema.BUYER.range_key)


def buyer_pk(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#BUYER#{user_id}"


class PaymentRecord(BaseModel):
    Meta = Meta
    kind = DiscriminatorAttribute()


class PaymentItem(PaymentRecord, discriminator="PAYMENT"):
    """One payment. ``version`` increases with every change; every update is conditioned on it."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    due_pk = UnicodeAttribute(attr_name="duePk", null=True)
    due_sk = UnicodeAttribute(attr_name="dueSk", null=True)
    due = DueIndex()
    buyer_pk = UnicodeAttribute(attr_name=schema.BUYER.hash_key, null=True)
    buyer_sk = UnicodeAttribute(attr_name=schema.BUYER.range_key, null=True)
    buyer = BuyerIndex()

    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    code = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    payment_type = UnicodeAttribute(attr_name="paymentType", null=True)
    status = UnicodeAttribute(default="Created")
    # The amount asked of the buyer (from the quote), and what the gateway says it took.
    amount_minor = NumberAttribute(attr_name="amountMinor")
    currency = UnicodeAttribute()
    amount_gross_minor = NumberAttribute(attr_name="amountGrossMinor", null=True)
    amount_fee_minor = NumberAttribute(attr_name="amountFeeMinor", null=True)
    amount_net_minor = NumberAttribute(attr_name="amountNetMinor", null=True)
    commission_minor = NumberAttribute(attr_name="commissionMinor", null=True)
    shared_amount_minor = NumberAttribute(attr_name="sharedAmountMinor", null=True)
    refunded_minor = NumberAttribute(attr_name="refundedMinor", default=0)
    price_id = UnicodeAttribute(attr_name="priceId", null=True)
    package_id = UnicodeAttribute(attr_name="packageId", null=True)
    subscription_type_id = UnicodeAttribute(attr_name="subscriptionTypeId", null=True)
    coupon_id = UnicodeAttribute(attr_name="couponId", null=True)
    coupon_code = UnicodeAttribute(attr_name="couponCode", null=True)
    coupon_redeemed = BooleanAttribute(attr_name="couponRedeemed", default=False)
    quote = JSONAttribute(default=dict)
    user_id = UnicodeAttribute(attr_name="userId", null=True)
    user_email = UnicodeAttribute(attr_name="userEmail", null=True)
    user_name = UnicodeAttribute(attr_name="userName", null=True)
    language_code = UnicodeAttribute(attr_name="languageCode", null=True)
    referrer_id = UnicodeAttribute(attr_name="referrerId", null=True)
    ip_address = UnicodeAttribute(attr_name="ipAddress", null=True)
    country_code = UnicodeAttribute(attr_name="countryCode", null=True)
    gateway_id = UnicodeAttribute(attr_name="gatewayId", null=True)
    gateway_type = UnicodeAttribute(attr_name="gatewayType", null=True)  # stripe|paypal|wallet
    # The part a wallet pays (the rest, amount_minor, is the gateway's; all of it when the
    # gateway is "wallet"): the wallet context holds it from the wallet with the payment.
    wallet_id = UnicodeAttribute(attr_name="walletId", null=True)
    wallet_minor = NumberAttribute(attr_name="walletMinor", null=True)
    merchant_ref_no = UnicodeAttribute(attr_name="merchantRefNo", null=True)
    checkout_url = UnicodeAttribute(attr_name="checkoutUrl", null=True)
    gateway_data = JSONAttribute(attr_name="gatewayData", default=dict)  # gateway-specific bits
    # The buyer consented to keep the card for renewals (cards/saved.py): saved once completed.
    save_card = BooleanAttribute(attr_name="saveCard", default=False)
    invoice_no = UnicodeAttribute(attr_name="invoiceNo", null=True)
    # The invoice this payment pays (invoicing: a renewal's provisional invoice); None for a
    # checkout of a price, whose invoice is issued when it completes.
    invoice_id = UnicodeAttribute(attr_name="invoiceId", null=True)
    risk_level = UnicodeAttribute(attr_name="riskLevel", null=True)
    risk_mark = NumberAttribute(attr_name="riskMark", default=0)
    risk_reasons = ListAttribute(of=UnicodeAttribute, attr_name="riskReasons", null=True)
    held = BooleanAttribute(default=False)  # high risk: not fulfilled until an admin decides
    # A refund or cancel arrived before any completion: the completion never came (states.py).
    completion_missing = BooleanAttribute(attr_name="completionMissing", default=False)
    # The payment's disputes (states.py): {dispute ref: "open" | "won" | "lost"}.
    disputes = JSONAttribute(default=dict)
    # Voided by the janitor (no answer in time), not by the gateway: a late verified
    # completion still applies, since the buyer's money moved.
    expired = BooleanAttribute(default=False)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    version = NumberAttribute(default=0)
    history_seq = NumberAttribute(attr_name="historySeq", default=0)
    check_count = NumberAttribute(attr_name="checkCount", default=0)  # janitor attempts
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)
    payment_date = UTCDateTimeAttribute(attr_name="paymentDate", null=True)


class PaymentHistoryItem(PaymentRecord, discriminator="HIST"):
    """One thing that happened to a payment: a transition, or an event recorded without one."""

    id = UnicodeAttribute()
    payment_id = UnicodeAttribute(attr_name="paymentId")
    from_status = UnicodeAttribute(attr_name="fromStatus", null=True)
    to_status = UnicodeAttribute(attr_name="toStatus", null=True)
    event_status = UnicodeAttribute(attr_name="eventStatus", null=True)  # what the event said
    applied = BooleanAttribute(default=True)
    note = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="system")  # stripe | paypal | janitor | checkout | admin
    event_type = UnicodeAttribute(attr_name="eventType", null=True)
    dedupe_key = UnicodeAttribute(attr_name="dedupeKey", null=True)
    notification_id = UnicodeAttribute(attr_name="notificationId", null=True)
    amount_minor = NumberAttribute(attr_name="amountMinor", null=True)
    currency = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    # The gateway's transaction record this event reported (intake: ``txn_record``), if any:
    # {id, type, status, merchantRef, parentMerchantRef, amountMinor, feeMinor, currency,
    # gateway, dedupeKey}.
    txn = JSONAttribute(null=True)


class TransactionItem(PaymentRecord, discriminator="TXN"):
    """A money movement at the gateway (a charge, a refund, a dispute), one per merchant ref.
    No longer written (the history row carries it, ``PaymentHistoryItem.txn``); kept to read
    the rows written before."""

    id = UnicodeAttribute()
    payment_id = UnicodeAttribute(attr_name="paymentId")
    type = UnicodeAttribute()  # Payment | Refund | Reversal | Void ... (WalletHistoryType words)
    status = UnicodeAttribute()
    merchant_ref = UnicodeAttribute(attr_name="merchantRef")
    parent_merchant_ref = UnicodeAttribute(attr_name="parentMerchantRef", null=True)
    amount_minor = NumberAttribute(attr_name="amountMinor", null=True)
    fee_minor = NumberAttribute(attr_name="feeMinor", null=True)
    currency = UnicodeAttribute(null=True)
    gateway = UnicodeAttribute()
    dedupe_key = UnicodeAttribute(attr_name="dedupeKey")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class MerchantRefItem(BaseModel):
    Meta = Meta
    payment_id = UnicodeAttribute(attr_name="paymentId")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


# -- inbound notifications -----------------------------------------------------------------------

class DedupeItem(BaseModel):
    """Written in the same transaction as the change a gateway event caused; never expires."""

    Meta = Meta
    brand_id = UnicodeAttribute(attr_name="brandId")
    gateway = UnicodeAttribute()
    dedupe_key = UnicodeAttribute(attr_name="dedupeKey")
    payment_id = UnicodeAttribute(attr_name="paymentId", null=True)
    notification_id = UnicodeAttribute(attr_name="notificationId", null=True)
    outcome = UnicodeAttribute()
    # The ClientRequestToken of the transaction that wrote it (store/tx.py ``is_own``).
    write_id = UnicodeAttribute(attr_name="writeId", null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class NotificationItem(BaseModel):
    """Every notification received, verified or not, with its outcome (the raw body is kept so
    ``replay`` can run it again through the same verification and intake)."""

    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    gateway = UnicodeAttribute()
    gateway_id = UnicodeAttribute(attr_name="gatewayId")
    event_type = UnicodeAttribute(attr_name="eventType", null=True)
    dedupe_key = UnicodeAttribute(attr_name="dedupeKey", null=True)
    payment_id = UnicodeAttribute(attr_name="paymentId", null=True)
    outcome = UnicodeAttribute()
    verified = BooleanAttribute(default=False)  # the signature / postback passed once
    detail = UnicodeAttribute(null=True)
    # The raw body: compressed; rows written before issue 17 keep it plain in ``raw_body``.
    raw_body_z = CompressedBytesAttribute(attr_name="rawBodyZ", null=True)
    raw_body = RawBytesAttribute(attr_name="rawBody", null=True)
    headers = JSONAttribute(default=dict)  # only what verification needs (Stripe-Signature)
    attempts = NumberAttribute(default=1)
    received_date = UTCDateTimeAttribute(attr_name="receivedDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)
    # As the DedupeItem's, when the row is the event's dedupe row (intake, store/tx.py is_own).
    write_id = UnicodeAttribute(attr_name="writeId", null=True)

    @property
    def body(self) -> bytes:
        """The raw body as received, from whichever attribute holds it."""
        if self.raw_body_z is not None:
            return self.raw_body_z
        return bytes(self.raw_body or b"")


class RejectedCountItem(BaseModel):
    """Unverifiable notifications of one gateway in one UTC hour: ``received`` counts all of
    them, ``stored`` those kept as a notification row (notifications.REJECTED_PER_HOUR at most).
    """

    Meta = Meta
    gateway_id = UnicodeAttribute(attr_name="gatewayId", null=True)
    received = NumberAttribute(default=0)
    stored = NumberAttribute(default=0)


# -- gateways (gateways/config.py) ---------------------------------------------------------------

class GatewayItem(BaseModel):
    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    type = UnicodeAttribute()  # stripe | paypal
    name = UnicodeAttribute()
    return_link = UnicodeAttribute(attr_name="returnLink", null=True)
    cancel_link = UnicodeAttribute(attr_name="cancelLink", null=True)
    cancel_link_without_login = UnicodeAttribute(attr_name="cancelLinkWithoutLogin", null=True)
    public_key = UnicodeAttribute(attr_name="publicKey", null=True)
    private_key = UnicodeAttribute(attr_name="privateKeySealed", null=True)
    private_key_mask = UnicodeAttribute(attr_name="privateKeyMask", null=True)
    webhook_secrets = UnicodeAttribute(attr_name="webhookSecretsSealed", null=True)
    webhook_secret_masks = UnicodeAttribute(attr_name="webhookSecretMasks", null=True)  # JSON
    paypal_receiver_email = UnicodeAttribute(attr_name="paypalReceiverEmail", null=True)
    paypal_receiver_id = UnicodeAttribute(attr_name="paypalReceiverId", null=True)
    paypal_mode = UnicodeAttribute(attr_name="paypalMode", null=True)
    description = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    is_default = BooleanAttribute(attr_name="isDefault", default=False)
    status = UnicodeAttribute(default="Active")
    deleted = BooleanAttribute(default=False)
    version = NumberAttribute(default=1)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class GatewayRouteItem(BaseModel):
    """``GATEWAY#<id>``: what a notification needs, without knowing the brand first."""

    Meta = Meta
    brand_id = UnicodeAttribute(attr_name="brandId")
    type = UnicodeAttribute()
    status = UnicodeAttribute(default="Active")
    deleted = BooleanAttribute(default=False)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    public_key = UnicodeAttribute(attr_name="publicKey", null=True)
    private_key = UnicodeAttribute(attr_name="privateKeySealed", null=True)
    webhook_secrets = UnicodeAttribute(attr_name="webhookSecretsSealed", null=True)
    paypal_receiver_email = UnicodeAttribute(attr_name="paypalReceiverEmail", null=True)
    paypal_receiver_id = UnicodeAttribute(attr_name="paypalReceiverId", null=True)
    paypal_mode = UnicodeAttribute(attr_name="paypalMode", null=True)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class GatewayHead(BaseModel):
    Meta = Meta
    default_id = UnicodeAttribute(attr_name="defaultGatewayId", null=True)
    version = NumberAttribute(default=0)


# -- commission rates (commission.py) ------------------------------------------------------------

class CommissionRateItem(BaseModel):
    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    type = UnicodeAttribute()
    unit = UnicodeAttribute(null=True)
    quantity_from = NumberAttribute(attr_name="quantityFrom", null=True)
    quantity_to = NumberAttribute(attr_name="quantityTo", null=True)
    percentage = UnicodeAttribute()  # a Decimal, kept exact
    description = UnicodeAttribute(null=True)
    is_default = BooleanAttribute(attr_name="isDefault", default=False)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class CommissionHead(BaseModel):
    Meta = Meta
    version = NumberAttribute(default=0)


# -- black list (checkout/blacklist.py) ----------------------------------------------------------

class BlackListItem(BaseModel):
    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    brand_id = UnicodeAttribute(attr_name="brandId")
    type = UnicodeAttribute()
    value = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="Active")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)
