"""Checkout: a buyer asks for a link to pay a price; we create the payment and the gateway's side.

Order of a checkout (``start``), so that a refusal writes nothing:
0. the package and price named (404 for the path's, 400 for the body's);
1. the buyer (the logged-in user of this brand) against the brand's black list -> 403;
2. the gateway (``appIntegrationId``: a gateway id, ``stripe``/``paypal``, or the default);
3. the quote (catalog.quotes: coupon, upgrade proration, tax) -> the amount, kept on the payment;
4. the risk level (risk.py); a High one is created ``held``;
5. the gateway's side, with the payment id generated up front:
   - Stripe: a PaymentIntent (Idempotency-Key = the payment id, metadata ``payment_code`` = the
     payment id), paid on our hosted page ``/api/checkout/<paymentId>?brandId=<brand>``
     (checkout_page.py) with Stripe.js. Against localstripe (``JFW_STRIPE_API_BASE`` not
     Stripe's), whose Stripe.js can only complete a 3-D Secure step, the PaymentIntent is
     created with a 3-D Secure test card and confirmed, so it waits in ``requires_action`` for
     the page (see /work/notes/localstripe-findings.md);
   - PayPal: a Payments Standard URL (``_xclick``) carrying ``custom`` = the payment id and our
     ``notify_url``; nothing is created at PayPal until the buyer pays;
6. the payment (``Created``) through payments.service.create_payment, in one transaction.
If the gateway can't be reached, the answer is a 502 and nothing is stored (a PaymentIntent left
behind at Stripe has no payment and nobody holds its client secret).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from chalicelib import money, settings
from chalicelib.http.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from chalicelib.store import ids

STRIPE_API = "https://api.stripe.com"
STRIPE_JS = "https://js.stripe.com/v3/"
PAYPAL_LIVE = "https://www.paypal.com/cgi-bin/webscr"
PAYPAL_SANDBOX = "https://www.sandbox.paypal.com/cgi-bin/webscr"
LOCAL_3DS_CARD = "4000002500003155"


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
    """Where the hosted page loads Stripe.js: localstripe serves its own at the same base."""
    if uses_localstripe():
        return settings.get().stripe_api_base.rstrip("/") + "/js.stripe.com/v3/"
    return STRIPE_JS


def stripe_js_sources() -> dict[str, tuple[str, ...]]:
    """What a page running Stripe.js must allow in its Content-Security-Policy: Stripe's
    integration security guide (its script and frames on js.stripe.com, 3-D Secure frames on
    hooks.stripe.com, API calls to api.stripe.com); localstripe's Stripe.js loads from and calls
    localstripe's origin only, and opens no frame."""
    if uses_localstripe():
        parts = urlsplit(settings.get().stripe_api_base)
        origin = f"{parts.scheme}://{parts.netloc}"
        return {"script-src": (origin,), "connect-src": (origin,), "frame-src": ()}
    return {"script-src": ("https://js.stripe.com", "https://*.js.stripe.com"),
            "connect-src": ("https://api.stripe.com",),
            "frame-src": ("https://js.stripe.com", "https://*.js.stripe.com",
                          "https://hooks.stripe.com")}


@lru_cache(maxsize=16)
def _client(api_key: str, api_base: str) -> Any:
    import stripe

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


def page_url(brand_id: str, payment_id: str) -> str:
    return f"{settings.get().base_url}/api/checkout/{payment_id}?{urlencode({'brandId': brand_id})}"


def _stripe_link(gateway: dict, brand_id: str, payment_id: str, amount_minor: int,
                 currency: str, idempotency_key: str) -> Link:
    import stripe

    from chalicelib.payments.gateways.stripe import to_stripe_amount

    client = stripe_client(gateway["privateKey"])
    params: dict[str, Any] = {
        "amount": to_stripe_amount(amount_minor, currency), "currency": currency.lower(),
        "payment_method_types": ["card"],
        "metadata": {"payment_code": payment_id, "brand_id": brand_id},
    }
    try:
        if uses_localstripe():
            year = min(2099, settings.now().year + 3)
            pm = client.v1.payment_methods.create(params={"type": "card", "card": {
                "number": LOCAL_3DS_CARD, "exp_month": 12, "exp_year": year, "cvc": "123"}})
            params.update(payment_method=pm.id, confirm=True)
        pi = client.v1.payment_intents.create(params=params,
                                              options={"idempotency_key": idempotency_key})
    except stripe.StripeError as e:
        raise GatewayFailed(f"Stripe could not create the payment: "
                            f"{e.user_message or e.__class__.__name__}. Try again.") from None
    return Link(url=page_url(brand_id, payment_id), merchant_ref=pi.id, data={
        "paymentIntentId": pi.id, "clientSecret": pi.client_secret,
        "publishableKey": gateway.get("publicKey"), "jsUrl": stripe_js_url(),
        "returnLink": gateway.get("returnLink"), "cancelLink": gateway.get("cancelLink")})


def cancel_payment_intent(gateway_id: str | None, pi_id: str | None) -> None:
    """Best effort: the buyer switched to another gateway, so the old PaymentIntent goes."""
    if not gateway_id or not pi_id:
        return
    import stripe

    from chalicelib.payments import gateway_config

    try:
        key = gateway_config.get_for_webhook(gateway_id).get("privateKey")
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
        ("cancel_return", gateway.get("cancelLink") or ""),
    ]
    return f"{paypal_base(gateway)}?{urlencode(params)}"


def _link(gateway: dict, brand_id: str, payment_id: str, code: str, amount_minor: int,
          currency: str, name: str, price_id: str | None, idempotency_key: str) -> Link:
    if gateway["type"] == "stripe":
        return _stripe_link(gateway, brand_id, payment_id, amount_minor, currency,
                            idempotency_key)
    url = paypal_url(gateway, brand_id, payment_id, code, amount_minor, currency, name,
                     price_id)
    return Link(url=url, merchant_ref=None, data={"returnLink": gateway.get("returnLink"),
                                                  "cancelLink": gateway.get("cancelLink")})


# -- starting a checkout -------------------------------------------------------------------------

def buyer_account(brand_id: str, caller: Any) -> Any:
    from chalicelib.identity import users

    if caller is None or caller.brand_id != brand_id:
        raise Forbidden("Log in as a user of this brand to buy from it.",
                        code="BUYER_NOT_OF_BRAND")
    try:
        return users.get_item(brand_id, caller.user_id)
    except NotFound:
        raise Forbidden("Your account can't buy here.", code="BUYER_NOT_OF_BRAND") from None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def start(brand: dict, caller: Any, *, price_id: str, package_id: str | None = None,
          coupon_code: str | None = None, app_integration_id: str | None = None,
          headers: dict[str, str] | None = None, source_ip: str | None = None,
          price_in_path: bool = True) -> dict:
    """Create a payment for ``price_id`` and its link: ``{"payment": PaymentItem,
    "checkoutLink": str, "quote": dict}``. An unknown price is a 404 when the path names it,
    else a 400 on ``priceId``."""
    from chalicelib.catalog import service as catalog
    from chalicelib.payments import blacklist, gateway_config, risk

    brand_id = brand["id"]
    user = buyer_account(brand_id, caller)
    if package_id:
        catalog.get_package(brand_id, package_id, public=True)  # the path's package: 404
    try:
        price = catalog.get_price(brand_id, price_id, public=True)
    except NotFound:
        if price_in_path:
            raise
        raise BadRequest(f"The price '{price_id}' does not exist.", code="PRICE_NOT_FOUND",
                         field="priceId") from None
    buyer = blacklist.buyer_of(user.email_address, headers or {}, source_ip)
    listed = blacklist.check(brand_id, buyer)
    gateway = gateway_config.for_checkout(brand_id, app_integration_id)
    quote = catalog.quote(brand, package_id or price["packageId"], price_id=price_id,
                          coupon_code=coupon_code, user_id=user.id)
    currency = quote["currency"]
    amount = money.to_minor(quote["total"], currency)
    if amount <= 0:
        raise Conflict("Nothing to pay: this price costs 0 with this coupon and credit.",
                       code="NOTHING_TO_PAY")
    assessment = risk.assess_checkout(
        brand, user.id, amount_minor=amount, currency=currency, price=price,
        tax_percent=catalog.tax_rate(brand), near_misses=blacklist.near_misses(listed, buyer))
    coupon = catalog.find_coupon(brand_id, quote["couponCode"]) if quote.get(
        "couponCode") else None
    payment, url = open_payment(
        brand, user, buyer, gateway, price, assessment, quote, amount=amount, currency=currency,
        name=f"{price.get('packageName') or 'Package'} - {price['name']}",
        test_mode=bool(gateway.get("testMode")),
        coupon_id=coupon.id if coupon else None, coupon_code=quote.get("couponCode"))
    return {"payment": payment, "checkoutLink": url, "quote": quote}


def open_payment(brand: dict, user: Any, buyer: Any, gateway: dict, price: dict,
                 assessment: Any, quote: dict, *, amount: int, currency: str, name: str,
                 test_mode: bool, snapshot: dict | None = None, **fields: Any) -> tuple[Any, str]:
    """The payment (status Created) and its link at the gateway, for a checked buyer and an
    assessed amount: ``(PaymentItem, url)``. ``snapshot`` adds to the stored quote; ``fields``
    are more PaymentItem fields (the coupon)."""
    from chalicelib.payments import service

    payment_id, code = ids.new_id(), f"PAY{ids.new_code(10)}"
    link = _link(gateway, brand["id"], payment_id, code, amount, currency, name, price["id"],
                 payment_id)
    stored_quote = {**_plain(quote), "totalMinor": amount,
                    "priceAmountMinor": price["amountMinor"], **(snapshot or {})}
    payment = service.create_payment(
        brand, id=payment_id, code=code, name=name, description=price.get("description"),
        amount_minor=amount, currency=currency, price_id=price["id"],
        package_id=price["packageId"], subscription_type_id=price.get("subscriptionTypeId"),
        quote=stored_quote, user_id=user.id, user_email=user.email_address,
        user_name=user.username, language_code=user.language_code,
        referrer_id=user.referrer_id, ip_address=buyer.ip, country_code=buyer.country,
        gateway_id=gateway["id"], gateway_type=gateway["type"], merchant_ref_no=link.merchant_ref,
        checkout_url=link.url, gateway_data=link.data, risk_level=assessment.level,
        risk_mark=assessment.mark, risk_reasons=assessment.reasons or None,
        held=assessment.held, test_mode=test_mode, **fields)
    return payment, link.url


def relink(brand: dict, caller: Any, payment_id: str, app_integration_id: str | None,
           headers: dict[str, str] | None = None, source_ip: str | None = None) -> str:
    """The checkout link of the caller's own ``Created`` payment, on the gateway asked for (or
    its own, else the default). Switching gateway makes a new link and cancels an old
    PaymentIntent; the amount stays the one quoted when the payment was made."""
    from chalicelib.payments import blacklist, gateway_config, service
    from chalicelib.payments import models as m
    from chalicelib.store.tx import ConditionFailed, transaction

    brand_id = brand["id"]
    user = buyer_account(brand_id, caller)
    payment = service.find_payment(brand_id, payment_id)
    if payment is None or payment.user_id != user.id:
        raise NotFound(f"Payment {payment_id} was not found.", code="PAYMENT_NOT_FOUND")
    if payment.status != "Created":
        raise Conflict(f"Payment {payment_id} is {payment.status}; only a Created payment can "
                       "be paid.", code="PAYMENT_NOT_OPEN")
    blacklist.check(brand_id, blacklist.buyer_of(user.email_address, headers or {}, source_ip))
    wanted = app_integration_id or payment.gateway_id
    try:
        gateway = gateway_config.for_checkout(brand_id, wanted)
    except ApiError:
        if app_integration_id:
            raise
        gateway = gateway_config.for_checkout(brand_id, None)  # its own is gone: the default
    if gateway["id"] == payment.gateway_id and payment.checkout_url:
        return payment.checkout_url
    link = _link(gateway, brand_id, payment.id, payment.code, int(payment.amount_minor),
                 payment.currency, payment.name or payment.code, payment.price_id,
                 f"{payment.id}:{gateway['id']}:{payment.version}")
    now = settings.now()
    P = m.PaymentItem
    actions = [P.gateway_id.set(gateway["id"]), P.gateway_type.set(gateway["type"]),
               P.checkout_url.set(link.url), P.gateway_data.set(link.data),
               P.test_mode.set(bool(gateway.get("testMode"))),
               P.merchant_ref_no.set(link.merchant_ref) if link.merchant_ref
               else P.merchant_ref_no.remove(),
               P.version.set(payment.version + 1), P.history_seq.set(payment.history_seq + 1),
               P.modified_date.set(now)]
    hist = m.PaymentHistoryItem(
        payment.pk, m.history_sk(now, int(payment.history_seq) + 1), id=ids.new_id(),
        payment_id=payment.id, from_status=payment.status, to_status=None, applied=True,
        note=f"checkout moved to gateway {gateway['id']} ({gateway['type']})",
        source="checkout", created_date=now)
    try:
        with transaction() as tx:
            tx.update(payment, actions=actions, condition=(P.version == payment.version)
                      & (P.status == "Created"))
            tx.save(hist, condition=m.PaymentHistoryItem.pk.does_not_exist())
    except ConditionFailed:
        raise Conflict(f"Payment {payment_id} changed meanwhile; ask for its link again.",
                       code="PAYMENT_CHANGED") from None
    if payment.gateway_type == "stripe":
        cancel_payment_intent(payment.gateway_id, payment.merchant_ref_no)
    return link.url
