"""Checkout: a buyer asks for a link to pay; we create the payment and the gateway's side.

``checkout`` is THE checkout sequence; a price's checkout (``start``) and licensing's purchase of
licenses both run it, each saying what is bought (an ``Order``). Order of a checkout, so that a
refusal writes nothing:
0. the buyer is a user of this brand (403), then the caller's own checks (``before``: for a
   price, the package and price named: 404 for the path's, 400 for the body's);
1. the buyer against the brand's black list -> 403;
2. the gateway (``appIntegrationId``: a gateway id, ``stripe``/``paypal``, or the default);
3. what is bought (the ``order`` callback: for a price, the quote of catalog.quotes: coupon,
   upgrade proration, tax) -> the amount, kept on the payment; 0 to pay is a 409;
4. the risk level (checkout/risk.py); a High one is created ``held``;
5. the gateway's side, with the payment id generated up front:
   - Stripe: a PaymentIntent (Idempotency-Key = the payment id, metadata ``payment_code`` = the
     payment id), paid on our hosted page ``/api/checkout/<paymentId>?brandId=<brand>``
     (page.py) with Stripe.js. Against localstripe (``JFW_STRIPE_API_BASE`` not Stripe's)
     the page loads our Stripe.js stand-in (chalicelib/static/stripe-local.js), which pays
     with the card typed through localstripe's API, with Stripe's test-card rules
     (devstack/stripe_server.py adds the ones localstripe lacks). With the buyer's consent to
     keep the card for renewals (``save_card``), the PaymentIntent names the user's Stripe
     Customer at that gateway (made on first use) and asks ``setup_future_usage=
     "off_session"``: on success the card is attached to the customer (cards/saved.py keeps
     it once the payment completed);
   - PayPal: a Payments Standard URL (``_xclick``) carrying ``custom`` = the payment id and our
     ``notify_url``; nothing is created at PayPal until the buyer pays;
6. the payment (``Created``) through ledger.create_payment, in one transaction.
If the gateway can't be reached, the answer is a 502 and nothing is stored (a PaymentIntent left
behind at Stripe has no payment and nobody holds its client secret).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from chalicelib.identity import service as identity
from chalicelib.payments import ledger
from chalicelib.payments import models as m
from chalicelib.payments.cards import saved
from chalicelib.payments.checkout import blacklist, risk
from chalicelib.payments.gateways import wallet as wallet_gateway
from chalicelib.payments.gateways.choice import for_checkout
from chalicelib.payments.gateways.stripe import to_stripe_amount
from chalicelib.payments.gateways.webhook import get_for_webhook
from chalicelib.payments.inbound import intake
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed

STRIPE_API = "https://api.stripe.com"
STRIPE_JS = "https://js.stripe.com/v3/"
PAYPAL_LIVE = "https://www.paypal.com/cgi-bin/webscr"
PAYPAL_SANDBOX = "https://www.sandbox.paypal.com/cgi-bin/webscr"
STRIPE_JS_LOCAL_PATH = "/api/checkout/assets/stripe-local.js"


class GatewayFailed(ApiError):
    """The gateway could not be asked, or refused; nothing was stored."""

    status, code = 502, "GATEWAY_ERROR"


@dataclass(frozen=True)
class Link:
    url: str
    merchant_ref: str | None
    data: dict[str, Any]


# -- Stripe --------------------------------------------------------------------------------------

def uses_localstripe() -> bool:
    return settings.get().stripe_api_base.rstrip("/") != STRIPE_API


def stripe_js_url() -> str:
    """Where the hosted page loads Stripe.js: locally our stand-in, told localstripe's base."""
    if uses_localstripe():
        api = settings.get().stripe_api_base.rstrip("/")
        return f"{settings.get().base_url}{STRIPE_JS_LOCAL_PATH}?{urlencode({'api': api})}"
    return STRIPE_JS


def stripe_js_sources() -> dict[str, tuple[str, ...]]:
    """What a page running Stripe.js must allow in its Content-Security-Policy: Stripe's
    integration security guide (its script and frames on js.stripe.com, 3-D Secure frames on
    hooks.stripe.com, API calls to api.stripe.com); locally, the stand-in comes from this API
    and calls localstripe's origin only, and opens no frame."""
    if uses_localstripe():
        parts = urlsplit(settings.get().stripe_api_base)
        origin = f"{parts.scheme}://{parts.netloc}"
        return {"script-src": ("'self'",), "connect-src": (origin,), "frame-src": ()}
    return {"script-src": ("https://js.stripe.com", "https://*.js.stripe.com"),
            "connect-src": ("https://api.stripe.com",),
            "frame-src": ("https://js.stripe.com", "https://*.js.stripe.com",
                          "https://hooks.stripe.com")}


@lru_cache(maxsize=16)
def _client(api_key: str, api_base: str) -> Any:
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    return stripe.StripeClient(api_key, base_addresses={"api": api_base},
                               max_network_retries=2)


def stripe_client(api_key: str) -> Any:
    return _client(api_key, settings.get().stripe_api_base.rstrip("/"))


def return_link(link: str | None, payment_id: str, brand_id: str) -> str | None:
    """A gateway's returnLink for one payment: ``{paymentId}`` and ``{brandId}`` in it are
    filled in; without them, ``paymentId`` is added to its query."""
    if not link:
        return None
    if "{paymentId}" in link or "{brandId}" in link:
        return link.replace("{paymentId}", payment_id).replace("{brandId}", brand_id)
    parts = urlsplit(link)
    query = "&".join(q for q in (parts.query, urlencode({"paymentId": payment_id})) if q)
    return urlunsplit(parts._replace(query=query))


def cancel_link(link: str | None, payment_id: str, brand_id: str) -> str | None:
    """A gateway's cancelLink for one payment: ``{paymentId}`` and ``{brandId}`` in it filled
    in (nothing added: a brand's cancel page needs no payment)."""
    if not link:
        return None
    return link.replace("{paymentId}", payment_id).replace("{brandId}", brand_id)


def page_url(brand_id: str, payment_id: str, suffix: str = "", **query: Any) -> str:
    """Our hosted page of a payment (``suffix``: a route under it, e.g. ``/coupon``)."""
    return (f"{settings.get().base_url}/api/checkout/{payment_id}{suffix}?"
            f"{urlencode({'brandId': brand_id, **query})}")


def _stripe_link(gateway: dict, brand_id: str, payment_id: str, amount_minor: int,
                 currency: str, idempotency_key: str, customer: str | None = None) -> Link:
    """``customer``: the buyer consented to keep the card; the PaymentIntent sets it up for
    off-session use (the module doc)."""
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    client = stripe_client(gateway["privateKey"])
    params: dict[str, Any] = {
        "amount": to_stripe_amount(amount_minor, currency), "currency": currency.lower(),
        "payment_method_types": ["card"],
        "metadata": {"payment_code": payment_id, "brand_id": brand_id},
    }
    if customer:
        params.update(customer=customer, setup_future_usage="off_session")
    try:
        pi = client.v1.payment_intents.create(params=params,
                                              options={"idempotency_key": idempotency_key})
    except stripe.StripeError as e:
        raise GatewayFailed(f"Stripe could not create the payment: "
                            f"{e.user_message or e.__class__.__name__}. Try again.") from None
    return Link(url=page_url(brand_id, payment_id), merchant_ref=pi.id, data={
        "paymentIntentId": pi.id, "clientSecret": pi.client_secret,
        "publishableKey": gateway.get("publicKey"), "jsUrl": stripe_js_url(),
        "returnLink": gateway.get("returnLink"), "cancelLink": gateway.get("cancelLink"),
        **({"customerId": customer} if customer else {})})


def stripe_customer(gateway: dict, brand_id: str, user: Any, idempotency_key: str) -> str:
    """The user's Stripe Customer at this gateway: the one their saved card has, else a new
    one (Stripe's idempotency key makes a retried checkout reuse it)."""
    known = saved.customer_of(brand_id, user.id, gateway["id"])
    if known:
        return known
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    try:
        made = stripe_client(gateway["privateKey"]).v1.customers.create(
            params={"email": user.email_address,
                    "metadata": {"brand_id": brand_id, "user_id": user.id}},
            options={"idempotency_key": idempotency_key})
    except stripe.StripeError as e:
        raise GatewayFailed(f"Stripe could not keep the card for renewals: "
                            f"{e.user_message or e.__class__.__name__}. Try again.") from None
    return made.id


def cancel_payment_intent(gateway_id: str | None, pi_id: str | None) -> None:
    """Best effort: the buyer switched to another gateway, so the old PaymentIntent goes."""
    if not gateway_id or not pi_id:
        return
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    try:
        key = get_for_webhook(gateway_id).get("privateKey")
        if key:
            stripe_client(key).v1.payment_intents.cancel(pi_id)
    except (stripe.StripeError, ApiError):
        pass


# -- PayPal --------------------------------------------------------------------------------------

def paypal_base(gateway: dict) -> str:
    mode = gateway.get("paypalMode")
    if mode == "simulator":
        base = (settings.get().paypal_simulator_url or "").rstrip("/")
        return base if base.endswith("/cgi-bin/webscr") else base + "/cgi-bin/webscr"
    if mode == "sandbox" or gateway.get("testMode"):
        return PAYPAL_SANDBOX
    return PAYPAL_LIVE


def paypal_url(gateway: dict, brand_id: str, payment_id: str, code: str, amount_minor: int,
               currency: str, item_name: str, item_number: str | None) -> str:
    params = [
        ("cmd", "_xclick"),
        ("business", gateway.get("paypalReceiverEmail") or gateway.get("paypalReceiverId")),
        ("item_name", item_name[:127]),
        ("item_number", item_number or ""),
        ("amount", str(money.to_decimal(amount_minor, currency))),
        ("currency_code", currency),
        ("quantity", "1"),
        ("no_shipping", "1"),
        ("custom", payment_id),
        ("invoice", code),
        ("charset", "utf-8"),
        ("notify_url", gateway["ipnListenerLink"]),
        ("return", return_link(gateway.get("returnLink"), payment_id, brand_id) or ""),
        ("cancel_return", cancel_link(gateway.get("cancelLink"), payment_id, brand_id) or ""),
    ]
    return f"{paypal_base(gateway)}?{urlencode(params)}"


def _link(gateway: dict, brand_id: str, payment_id: str, code: str, amount_minor: int,
          currency: str, name: str, price_id: str | None, idempotency_key: str,
          customer: str | None = None) -> Link:
    if gateway["type"] == "stripe":
        return _stripe_link(gateway, brand_id, payment_id, amount_minor, currency,
                            idempotency_key, customer)
    url = paypal_url(gateway, brand_id, payment_id, code, amount_minor, currency, name,
                     price_id)
    return Link(url=url, merchant_ref=None, data={"returnLink": gateway.get("returnLink"),
                                                  "cancelLink": gateway.get("cancelLink")})


# -- starting a checkout -------------------------------------------------------------------------

def buyer_account(brand_id: str, caller: Any) -> Any:
    if caller is None or caller.brand_id != brand_id:
        raise Forbidden("Log in as a user of this brand to buy from it.",
                        code="BUYER_NOT_OF_BRAND")
    try:
        return identity.get_user_item(brand_id, caller.user_id)
    except NotFound:
        raise Forbidden("Your account can't buy here.", code="BUYER_NOT_OF_BRAND") from None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Order:
    """What a checkout sells, for the buyer and gateway it checked: the catalogue ``price`` (kept
    on the payment), the ``quote`` (stored with it, plus ``snapshot``), the ``amount`` to pay in
    minor units of ``currency``, the payment's ``name``. ``risk_price``: the price the risk
    assessment compares the amount with (default ``price``); ``nothing_to_pay``: the 409's
    message for an amount of 0; ``test_mode``: default the gateway's; ``fields``: more
    PaymentItem fields (the coupon)."""

    price: dict
    quote: dict
    amount: int
    currency: str
    name: str
    nothing_to_pay: str
    risk_price: dict | None = None
    snapshot: dict | None = None
    test_mode: bool | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class Funds(Protocol):
    """A wallet paying a checkout, all or part (the wallet context makes one: wallet/funds.py).
    ``share``: how much of ``what`` it pays (0..amount), or a 409 (not the buyer's, not open,
    another currency or test mode); ``write``: commit the payment's items (``(item,
    condition)``, the payment first) in ONE transaction with the wallet's debit of ``share``."""

    wallet_id: str

    def share(self, user: Any, what: Order, test_mode: bool) -> int: ...

    def write(self, items: list[tuple[Any, Any]], share: int) -> None: ...


def checkout(brand: dict, caller: Any, order: Callable[[Any, dict], Order], *,
             app_integration_id: str | None = None, headers: dict[str, str] | None = None,
             source_ip: str | None = None, before: Callable[[], Any] | None = None,
             return_link: str | None = None, cancel_link: str | None = None,
             funds: Funds | None = None, save_card: bool = False) -> tuple[Any, str | None]:
    """THE checkout sequence (the module doc): ``(PaymentItem, checkout URL)``. ``order(user,
    gateway)`` says what is bought; ``before()`` runs the caller's own checks right after the
    buyer's; ``return_link``/``cancel_link`` replace the gateway's for this payment.
    ``funds``: a wallet pays what it can. When it pays everything there is no gateway step:
    the payment is created with the wallet's debit and completed at once (the URL is None);
    otherwise the gateway's payment is for the rest and the wallet's part is held with it.
    ``save_card``: the buyer consents to keep the card for renewals (Stripe only; the card is
    saved once the payment completed: cards/saved.py)."""
    brand_id = brand["id"]
    user = buyer_account(brand_id, caller)
    if before is not None:
        before()
    buyer = blacklist.buyer_of(user.email_address, headers or {}, source_ip)
    listed = blacklist.check(brand_id, buyer)
    gateway = for_checkout(brand_id, app_integration_id)
    if return_link or cancel_link:
        gateway = {**gateway, "returnLink": return_link or gateway.get("returnLink"),
                   "cancelLink": cancel_link or gateway.get("cancelLink")}
    what = order(user, gateway)
    if what.amount <= 0:
        raise Conflict(what.nothing_to_pay, code="NOTHING_TO_PAY")
    assessment = risk.assess_checkout(
        brand, user.id, amount_minor=what.amount, currency=what.currency,
        price=what.risk_price or what.price, tax_percent=catalog.tax_rate(brand),
        near_misses=blacklist.near_misses(listed, buyer))
    test_mode = what.test_mode if what.test_mode is not None else bool(gateway.get("testMode"))
    share = funds.share(user, what, test_mode) if funds is not None else 0
    if funds is not None and share >= what.amount:
        return paid_by_wallet(brand, user, buyer, what, assessment, funds, test_mode), None
    held = {"wallet": (funds, share)} if funds is not None and share > 0 else {}
    return open_payment(brand, user, buyer, gateway, what.price, assessment, what.quote,
                        amount=what.amount - share, currency=what.currency, name=what.name,
                        test_mode=test_mode, snapshot=what.snapshot, save_card=save_card,
                        **held, **what.fields)


def start(brand: dict, caller: Any, *, price_id: str, package_id: str | None = None,
          coupon_code: str | None = None, app_integration_id: str | None = None,
          headers: dict[str, str] | None = None, source_ip: str | None = None,
          price_in_path: bool = True, funds: Funds | None = None,
          save_card: bool = False) -> dict:
    """Create a payment for ``price_id`` and its link: ``{"payment": PaymentItem,
    "checkoutLink": str | None, "quote": dict}``. An unknown price is a 404 when the path names
    it, else a 400 on ``priceId``. ``funds``: a wallet pays what it can (no link when it pays
    everything); ``save_card``: keep the card for renewals (``checkout``)."""
    brand_id = brand["id"]
    found: dict[str, Any] = {}

    def find_price() -> None:
        if package_id:
            catalog.get_package(brand_id, package_id, public=True)  # the path's package: 404
        try:
            found["price"] = catalog.get_price(brand_id, price_id, public=True)
        except NotFound:
            if price_in_path:
                raise
            raise BadRequest(f"The price '{price_id}' does not exist.", code="PRICE_NOT_FOUND",
                             field="priceId") from None

    def order(user: Any, gateway: dict) -> Order:
        price = found["price"]
        quote = found["quote"] = catalog.quote(
            brand, package_id or price["packageId"], price_id=price_id, coupon_code=coupon_code,
            user_id=user.id)
        currency = quote["currency"]
        coupon = catalog.find_coupon(brand_id, quote["couponCode"]) if quote.get(
            "couponCode") else None
        return Order(price=price, quote=quote, amount=money.to_minor(quote["total"], currency),
                     currency=currency,
                     name=f"{price.get('packageName') or 'Package'} - {price['name']}",
                     nothing_to_pay="Nothing to pay: this price costs 0 with this coupon and "
                                    "credit.",
                     fields={"coupon_id": coupon.id if coupon else None,
                             "coupon_code": quote.get("couponCode")})

    payment, url = checkout(brand, caller, order, app_integration_id=app_integration_id,
                            headers=headers, source_ip=source_ip, before=find_price,
                            funds=funds, save_card=save_card)
    return {"payment": payment, "checkoutLink": url, "quote": found["quote"]}


def open_payment(brand: dict, user: Any, buyer: Any, gateway: dict, price: dict,
                 assessment: Any, quote: dict, *, amount: int, currency: str, name: str,
                 test_mode: bool, snapshot: dict | None = None,
                 wallet: tuple[Funds, int] | None = None, save_card: bool = False,
                 **fields: Any) -> tuple[Any, str]:
    """The payment (status Created) and its link at the gateway, for a checked buyer and an
    assessed amount: ``(PaymentItem, url)``. ``snapshot`` adds to the stored quote; ``fields``
    are more PaymentItem fields (the coupon); ``wallet``: ``(funds, share)`` a wallet pays on
    top of ``amount``, held from it in the payment's own transaction; ``save_card``: the
    buyer's consent to keep the card (a Stripe payment gets the user's Stripe Customer)."""
    payment_id, code = ids.new_id(), f"PAY{ids.new_code(10)}"
    customer = stripe_customer(gateway, brand["id"], user, f"{payment_id}:customer") if (
        save_card and gateway["type"] == "stripe") else None
    link = _link(gateway, brand["id"], payment_id, code, amount, currency, name, price["id"],
                 payment_id, customer)
    write, share = None, 0
    if wallet is not None:
        funds, share = wallet
        fields.update(wallet_id=funds.wallet_id, wallet_minor=share)
        write = partial(funds.write, share=share)
    payment = ledger.create_payment(
        brand, write=write, id=payment_id, code=code, name=name, amount_minor=amount,
        currency=currency, gateway_id=gateway["id"], gateway_type=gateway["type"],
        merchant_ref_no=link.merchant_ref, checkout_url=link.url, gateway_data=link.data,
        test_mode=test_mode, save_card=save_card,
        **buyer_fields(price, quote, snapshot, user, buyer, assessment, gateway_minor=amount,
                       wallet_minor=share),
        **fields)
    return payment, link.url


def buyer_fields(price: dict, quote: dict, snapshot: dict | None, user: Any, buyer: Any,
                 assessment: Any, *, gateway_minor: int, wallet_minor: int) -> dict[str, Any]:
    """The PaymentItem fields every checkout's payment takes from what is bought, the stored
    quote (with its gateway and wallet parts), the buyer and the risk assessment."""
    return {
        "description": price.get("description"), "price_id": price["id"],
        "package_id": price["packageId"], "subscription_type_id": price.get("subscriptionTypeId"),
        "quote": {**_plain(quote), "totalMinor": gateway_minor + wallet_minor,
                  "gatewayMinor": gateway_minor, "walletMinor": wallet_minor,
                  "priceAmountMinor": price["amountMinor"], **(snapshot or {})},
        "user_id": user.id, "user_email": user.email_address, "user_name": user.username,
        "language_code": user.language_code, "referrer_id": user.referrer_id,
        "ip_address": buyer.ip, "country_code": buyer.country, "risk_level": assessment.level,
        "risk_mark": assessment.mark, "risk_reasons": assessment.reasons or None,
        "held": assessment.held}


def paid_by_wallet(brand: dict, user: Any, buyer: Any, what: Order, assessment: Any,
                   funds: Funds, test_mode: bool) -> Any:
    """A payment the wallet pays in full: created with the wallet's debit in one transaction,
    then completed through the intake like a gateway's success (gateways/wallet.py)."""
    payment = ledger.create_payment(
        brand, write=partial(funds.write, share=what.amount), name=what.name,
        amount_minor=what.amount, currency=what.currency, gateway_type=wallet_gateway.NAME,
        wallet_id=funds.wallet_id, wallet_minor=what.amount, payment_type="Wallet",
        test_mode=test_mode, **buyer_fields(what.price, what.quote, what.snapshot, user, buyer,
                                            assessment, gateway_minor=0,
                                            wallet_minor=what.amount),
        **what.fields)
    outcome = intake.apply(brand["id"], wallet_gateway.paid_event(payment), None,
                           source="wallet")
    payment.status = outcome.status or payment.status  # what the caller shows; not saved
    return payment


def relink(brand: dict, caller: Any, payment_id: str, app_integration_id: str | None,
           headers: dict[str, str] | None = None, source_ip: str | None = None) -> str:
    """The checkout link of the caller's own ``Created`` payment, on the gateway asked for (or
    its own, else the default). Switching gateway makes a new link and cancels an old
    PaymentIntent; the amount stays the one quoted when the payment was made."""
    brand_id = brand["id"]
    user = buyer_account(brand_id, caller)
    payment = ledger.find_payment(brand_id, payment_id)
    if payment is None or payment.user_id != user.id:
        raise NotFound(f"Payment {payment_id} was not found.", code="PAYMENT_NOT_FOUND")
    if payment.status != "Created":
        raise Conflict(f"Payment {payment_id} is {payment.status}; only a Created payment can "
                       "be paid.", code="PAYMENT_NOT_OPEN")
    if (payment.gateway_data or {}).get("offSession"):
        raise Conflict(f"Payment {payment_id} is being charged to your saved card; its outcome "
                       "comes from the gateway.", code="PAYMENT_NOT_OPEN")
    blacklist.check(brand_id, blacklist.buyer_of(user.email_address, headers or {}, source_ip))
    wanted = app_integration_id or payment.gateway_id
    try:
        gateway = for_checkout(brand_id, wanted)
    except ApiError:
        if app_integration_id:
            raise
        gateway = for_checkout(brand_id, None)  # its own is gone: the default
    if gateway["id"] == payment.gateway_id and payment.checkout_url:
        return payment.checkout_url
    key = f"{payment.id}:{gateway['id']}:{payment.version}"
    customer = stripe_customer(gateway, brand_id, user, f"{key}:customer") if (
        payment.save_card and gateway["type"] == "stripe") else None
    link = _link(gateway, brand_id, payment.id, payment.code, int(payment.amount_minor),
                 payment.currency, payment.name or payment.code, payment.price_id, key,
                 customer)
    P = m.PaymentItem  # noqa: N806
    changes = {"gateway_id": gateway["id"], "gateway_type": gateway["type"],
               "checkout_url": link.url, "gateway_data": link.data,
               "test_mode": bool(gateway.get("testMode")),
               "merchant_ref_no": link.merchant_ref or None}
    now = settings.now()
    history = ledger.history_row(
        payment, now, source="checkout",
        note=f"checkout moved to gateway {gateway['id']} ({gateway['type']})")
    try:
        ledger.change(payment, history, changes, condition=P.status == "Created", now=now)
    except ConditionFailed:
        raise Conflict(f"Payment {payment_id} changed meanwhile; ask for its link again.",
                       code="PAYMENT_CHANGED") from None
    if payment.gateway_type == "stripe":
        cancel_payment_intent(payment.gateway_id, payment.merchant_ref_no)
    return link.url
