"""Our hosted checkout page, ``GET /api/checkout/<paymentId>?brandId=<brand>``.

A Stripe payment: the page shows the brand (name, logo, primary colour from its profile; a
neutral look without them), what is bought (package, subscription type), the quote the payment
keeps (subtotal, coupon discount, tax, total) and a "TEST MODE" banner for a test payment. It
loads Stripe.js (js.stripe.com; against localstripe, our stand-in static/stripe-local.js, which
charges the card typed), mounts a
card field and, on "Pay", calls ``stripe.confirmCardPayment(clientSecret, {payment_method:
{card}})``; a decline or a failed authentication is said in ``#message`` (role=alert) and the
form stays usable; on success it sends the buyer to the gateway's ``returnLink`` (``{paymentId}``
/ ``{brandId}`` in it filled in, else ``paymentId`` added to its query). A coupon typed in is
sent to ``POST /api/checkout/<paymentId>/coupon`` (requote.py) and the new figures replace the
old ones without a reload. "Cancel" goes to the payment's cancel link (the gateway's
``cancelLinkWithoutLogin`` when it has one: the buyer here may not be signed in); no link when
there is none.

States, from the payment's status: ``paid=true`` on an open payment (a returnLink pointing back
here, as the local stack's does) is "processing": a bounded meta refresh (every 3 s, 20 times)
then "we'll e-mail you" and no more reloads; Completed is the receipt (product, amount,
reference, invoice number once there is one, a button back to the returnLink); expired,
voided, failed and the rest say so with a link to start again; ``cancelled=true`` on an open
payment (the local stack's cancelLink) says nothing was charged, with a link to pay after all.
The page never decides the payment's status: the gateway's signed webhook does.

A PayPal payment: a 302 to its PayPal URL. Errors are HTML pages too (the buyer's browser reads
this route, not an API client).

Every answer carries a Content-Security-Policy: only this page's own nonce'd ``<script>`` and
``<style>`` run (a fresh nonce per answer, no 'unsafe-inline'), scripts, API calls and frames
only from where Stripe.js needs them (start.stripe_js_sources), images only from here (the
favicon) and the brand logo's https origin, and no site may frame the page.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from chalice import Response

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import ApiError
from chalicelib.identity import service as identity
from chalicelib.payments import ledger
from chalicelib.payments.checkout.requote import figures
from chalicelib.payments.checkout.start import (
    cancel_link,
    page_url,
    return_link,
    stripe_js_sources,
    stripe_js_url,
)
from chalicelib.payments.gateways import config as gateway_config

HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
           "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff"}

SELF = "'self'"
DEFAULT_COLOR = "#3d4451"
# A colour the profile's schema accepted, re-checked here because it goes into the stylesheet.
_COLOR = re.compile(r"^(#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,30})$")
# A logo's URL goes into the page and its origin into the CSP header: an https URL whose host is
# a plain name (no ';', quotes or spaces that would add a directive to the policy).
_LOGO = re.compile(r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][^\s;,'\"\\]*)?$")
POLL_SECONDS, POLL_TIMES = 3, 20  # "processing": about a minute of reloads, then stop
_STYLE = """*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#222;
background:#f5f6f8}main{max-width:30rem;margin:0 auto;padding:1rem}
header{display:flex;align-items:center;gap:.75rem;padding:1rem;background:var(--brand);color:#fff}
header img{max-height:2.5rem;max-width:8rem;background:#fff;border-radius:4px;padding:2px}
header .name{font-weight:600;font-size:1.1rem;overflow-wrap:anywhere}
.test{background:#fff3cd;color:#664d03;border:1px solid #ffe69c;padding:.6rem 1rem;
font-weight:600;text-align:center}
.card{background:#fff;border-radius:8px;padding:1rem;margin:1rem 0;
box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:1.25rem;margin:.2rem 0;overflow-wrap:anywhere}
.period{color:#555;margin:0 0 .75rem}table{width:100%;border-collapse:collapse}
td{padding:.3rem 0}td.n{text-align:right;white-space:nowrap}
tr.total td{border-top:1px solid #ddd;font-weight:700;font-size:1.15rem;padding-top:.5rem}
label{display:block;font-weight:600;margin:.75rem 0 .35rem}
input{width:100%;font-size:1rem;padding:.6rem;border:1px solid #bbb;border-radius:6px}
.row{display:flex;gap:.5rem}.row input{flex:1;min-width:0}
#card{padding:.75rem;border:1px solid #bbb;border-radius:6px;background:#fff;min-height:2.8rem}
button,.button{display:inline-block;font-size:1rem;padding:.7rem 1.2rem;border:0;
border-radius:6px;background:var(--brand);color:#fff;cursor:pointer;text-decoration:none}
#submit{width:100%;margin-top:1rem}button.secondary{background:#e4e6eb;color:#222}
button[disabled]{opacity:.6}#message,#coupon-message{margin-top:.75rem;color:#b00020}
#coupon-message.ok{color:#1b5e20}.muted{color:#666;font-size:.9rem}
.links{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}
.ok{color:#1b5e20}"""


def content_security_policy(nonce: str, logo: str | None = None) -> str:
    stripe = stripe_js_sources()
    own = f"'nonce-{nonce}'"

    def sources(directive: str, *ours: str) -> str:
        return " ".join((*ours, *stripe[directive])) or "'none'"

    images = " ".join((SELF, *((_origin(logo),) if logo else ())))
    return "; ".join((
        "default-src 'self'", f"script-src {sources('script-src', own)}",
        f"style-src {own}", f"img-src {images}", f"connect-src {sources('connect-src', SELF)}",
        f"frame-src {sources('frame-src')}", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _brand_look(brand_id: str) -> dict[str, Any]:
    """The brand's name, https logo and primary colour; a neutral look for what is missing."""
    try:
        brand = identity.get_brand(brand_id)
    except ApiError:
        return {"name": "", "logo": None, "color": DEFAULT_COLOR}
    profile = brand.get("profile") or {}
    logo = profile.get("logoURL")
    color = (profile.get("primaryColor") or "").strip()
    return {"name": brand.get("name") or "",
            "logo": logo if isinstance(logo, str) and _LOGO.match(logo) else None,
            "color": color if _COLOR.match(color) else DEFAULT_COLOR}


def _link(url: Any) -> str | None:
    """A link the page may show: http(s) only (never ``javascript:``)."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _favicon() -> str:
    return f"{settings.get().base_url}/favicon.ico"


def _page(title: str, body: str, status: int = 200, head: str = "",
          nonce: str | None = None, look: dict[str, Any] | None = None,
          test_mode: bool = False) -> Response:
    nonce = nonce or secrets.token_urlsafe(18)
    look = look or {"name": "", "logo": None, "color": DEFAULT_COLOR}
    logo = look["logo"]
    brand_bar = ("<header>" + (f'<img src="{html.escape(logo, quote=True)}" alt="'
                               f'{html.escape(look["name"], quote=True)} logo">' if logo else "")
                 + f'<span class="name">{html.escape(look["name"])}</span></header>'
                 if look["name"] or logo else "")
    banner = ('<div class="test" role="note">TEST MODE &mdash; no real money moves</div>'
              if test_mode else "")
    doc = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
           f"<title>{html.escape(title)}</title>"
           f"<link rel=\"icon\" href=\"{html.escape(_favicon(), quote=True)}\">"
           f"<style nonce=\"{nonce}\">:root{{--brand:{look['color']}}}{_STYLE}</style>{head}"
           f"</head><body>{brand_bar}{banner}<main>{body}</main></body></html>")
    return Response(body=doc, status_code=status, headers={
        **HEADERS, "Content-Security-Policy": content_security_policy(nonce, logo)})


def _message(title: str, text: str, status: int, link: str | None = None,
             link_text: str = "Continue", **kw: Any) -> Response:
    extra = (f'<p><a class="button" href="{html.escape(link, quote=True)}">'
             f"{html.escape(link_text)}</a></p>" if link else "")
    return _page(title, f'<div class="card"><h1>{html.escape(title)}</h1>'
                 f"<p>{html.escape(text)}</p>{extra}</div>", status, **kw)


def _js(value: Any) -> str:
    """A JSON value safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026")


# What the buyer agreed to (``saveCardForRenewals``), said where they type the card.
SAVE_CARD_NOTICE = ('<p class="muted">This card will be kept for your renewals: they are '
                    "charged to it automatically. You can remove it from your saved cards at "
                    "any time.</p>")


def _product(payment: Any) -> tuple[str, str | None]:
    """The package's name and the subscription type (the period), as checkout priced them."""
    try:
        price = catalog.get_price(payment.brand_id, payment.price_id) if payment.price_id \
            else None
    except ApiError:
        price = None
    if price is None:
        return payment.name or "Payment", None
    return (price.get("packageName") or payment.name or "Payment",
            price.get("subscriptionName") or price.get("name"))


def _cancel_link(payment: Any, data: dict) -> str | None:
    """The payment's own cancel link; the gateway's ``cancelLinkWithoutLogin`` when the payment
    kept the gateway's ``cancelLink`` (this page needs no sign-in)."""
    cancel = data.get("cancelLink")
    if payment.gateway_id:
        try:
            gateway = gateway_config.get(payment.brand_id, payment.gateway_id)
        except ApiError:
            gateway = {}
        if gateway and (not cancel or cancel == gateway.get("cancelLink")):
            cancel = gateway.get("cancelLinkWithoutLogin") or cancel
    return _link(cancel_link(cancel, payment.id, payment.brand_id))


def _amount(minor: int, currency: str) -> str:
    return f"{money.to_decimal(int(minor), currency)} {currency}"


def _summary(payment: Any, product: str, period: str | None) -> str:
    f = figures(payment)
    cur = f["currency"]

    def row(label: str, value: str, rid: str, hidden: bool = False) -> str:
        return (f'<tr id="{rid}-row"{" hidden" if hidden else ""}><td>{html.escape(label)}</td>'
                f'<td class="n" id="{rid}">{html.escape(value)}</td></tr>')

    discount = Decimal(f["discount"]) != 0
    coupon = f" ({f['couponCode']})" if f["couponCode"] else ""
    return (f'<h1 id="product">{html.escape(product)}</h1>'
            + (f'<p class="period" id="period">{html.escape(period)}</p>' if period else "")
            + "<table>" + row("Price", f"{f['subtotal']} {cur}", "subtotal")
            + row(f"Discount{coupon}", f"-{f['discount']} {cur}", "discount", not discount)
            + row(f"Tax ({f['taxPercent']}%)", f"{f['tax']} {cur}", "tax")
            + '<tr class="total"><td>Total</td><td class="n" id="total">'
            + html.escape(f"{f['total']} {cur}") + "</td></tr></table>")


def page(ctx: RequestContext, paymentCode: str) -> Response:  # noqa: N803 - path parameter
    brand_id = ctx.query.get("brandId") or ""
    payment = ledger.find_payment(brand_id, paymentCode) if brand_id else None
    if payment is None:
        return _message("Payment not found", "This checkout link is not valid. Ask the shop "
                        "for a new one.", 404)
    look = _brand_look(brand_id)
    kw: dict[str, Any] = {"look": look, "test_mode": bool(payment.test_mode)}
    data = dict(payment.gateway_data or {})
    done_link = _link(return_link(data.get("returnLink"), payment.id, brand_id))
    product, period = _product(payment)
    amount = _amount(payment.amount_minor, payment.currency)
    if payment.status == "Completed":
        return _paid(payment, product, period, amount, done_link, kw)
    if ctx.query.get("cancelled") and payment.status == "Created":
        again = page_url(brand_id, payment.id)
        return _message("Checkout cancelled", f"Nothing was charged for {product}. Changed "
                        "your mind?", 200, again, "Pay after all", **kw)
    if ctx.query.get("paid") and payment.status in ("Created", "Pending"):
        return _processing(ctx, payment, paymentCode, brand_id, kw)
    if payment.status not in ("Created", "Pending"):
        # Locally both links lead back here: no "start again" that shows this page again.
        again = next((u for u in (_cancel_link(payment, data), done_link)
                      if u and f"/api/checkout/{payment.id}" not in u), None)
        return _message(_closed_title(payment), f"Payment {payment.code} for {product} is "
                        f"{_closed_text(payment)}; nothing was charged on this page. Start "
                        "again from the shop to buy it.", 200, again, "Start again", **kw)
    if payment.gateway_type != "stripe":
        if _link(payment.checkout_url):
            return Response(body="", status_code=302, headers={
                **HEADERS, "Location": payment.checkout_url,
                "Content-Security-Policy": content_security_policy(secrets.token_urlsafe(18))})
        return _message("Payment not found", "This payment is not paid on this page.", 404)
    if not data.get("clientSecret") or not data.get("publishableKey"):
        return _message("Payment unavailable", "This payment can't be paid here; ask the shop "
                        "for a new link.", 409, **kw)
    return _pay(ctx, payment, data, product, period, done_link, kw)


def _closed_title(payment: Any) -> str:
    if payment.expired:
        return "This checkout has expired"
    return {"Voided": "This payment was cancelled", "Failed": "This payment failed",
            "Denied": "This payment was declined", "Refunded": "This payment was refunded",
            "Deleted": "This payment was cancelled"}.get(payment.status,
                                                         f"Payment {payment.status.lower()}")


def _closed_text(payment: Any) -> str:
    return "expired" if payment.expired else payment.status.lower()


def _paid(payment: Any, product: str, period: str | None, amount: str, done: str | None,
          kw: dict[str, Any]) -> Response:
    invoice = (f"<p>Invoice <strong>{html.escape(payment.invoice_no)}</strong>: it is e-mailed "
               "to you.</p>" if payment.invoice_no else
               '<p class="muted">Your receipt and invoice are e-mailed to you.</p>')
    back = (f'<p><a class="button" id="back" href="{html.escape(done, quote=True)}">'
            "Back to the shop</a></p>" if done else "")
    body = (f'<div class="card"><p class="ok" role="status"><strong>Payment received. Thank you!'
            f'</strong></p><h1 id="product">{html.escape(product)}</h1>'
            + (f'<p class="period">{html.escape(period)}</p>' if period else "")
            + f'<table><tr class="total"><td>Paid</td><td class="n" id="total">'
            f"{html.escape(amount)}</td></tr></table>"
            f'<p>Payment reference <strong id="reference">{html.escape(payment.code)}</strong>'
            f"</p>{invoice}{back}</div>")
    return _page("Payment received", body, **kw)


def _processing(ctx: RequestContext, payment: Any, payment_code: str, brand_id: str,
                kw: dict[str, Any]) -> Response:
    try:
        waited = max(0, int(ctx.query.get("wait") or 0))
    except ValueError:
        waited = 0
    text = (f"We are waiting for the payment provider to confirm payment "
            f"{html.escape(payment.code)}.")
    if waited >= POLL_TIMES:
        body = (f'<div class="card"><h1>Payment processing</h1><p>{text}</p><p>It is taking '
                "longer than usual. We'll e-mail you when it is confirmed; you can close this "
                "page.</p></div>")
        return _page("Payment processing", body, **kw)
    again = page_url(brand_id, payment_code, paid="true", wait=waited + 1)
    head = (f'<meta http-equiv="refresh" content="{POLL_SECONDS};url='
            f'{html.escape(again, quote=True)}">')
    body = (f'<div class="card"><h1>Payment processing</h1><p role="status">{text} This page '
            "updates by itself.</p></div>")
    return _page("Payment processing", body, head=head, **kw)


def _pay(ctx: RequestContext, payment: Any, data: dict, product: str, period: str | None,
         done_link: str | None, kw: dict[str, Any]) -> Response:
    brand_id = payment.brand_id
    cancel = _cancel_link(payment, data)
    waiting = page_url(brand_id, payment.id, paid="true")
    config = {"publishableKey": data["publishableKey"], "clientSecret": data["clientSecret"],
              "returnLink": done_link or waiting, "paymentCode": payment.code,
              "couponUrl": page_url(brand_id, payment.id, "/coupon")}
    amount = _amount(payment.amount_minor, payment.currency)
    coupon_form = ("" if payment.wallet_minor else
                   '<form id="coupon" class="card" novalidate><label for="coupon-code">Coupon '
                   'code</label><div class="row"><input id="coupon-code" name="couponCode" '
                   'autocomplete="off" maxlength="64" autocapitalize="characters">'
                   '<button class="secondary" id="apply" type="submit">Apply</button></div>'
                   '<div id="coupon-message" role="status"></div></form>')
    nonce = secrets.token_urlsafe(18)
    body = f"""<div class="card">{_summary(payment, product, period)}</div>
{coupon_form}
<form id="pay" class="card"><label for="card" id="card-label">Card details</label>
<div id="card" aria-labelledby="card-label"></div>
<button id="submit" type="submit">Pay <span id="pay-amount">{html.escape(amount)}</span></button>
<div id="message" role="alert"></div>
{SAVE_CARD_NOTICE if payment.save_card else ''}
</form>
<div class="links muted"><span>Payment reference {html.escape(payment.code)}</span>
{f'<a id="cancel" href="{html.escape(cancel, quote=True)}">Cancel</a>' if cancel else ''}</div>
<script id="checkout-config" type="application/json">{_js(config)}</script>
<script nonce="{nonce}">{_COUPON_SCRIPT}</script>
<script nonce="{nonce}" src="{html.escape(stripe_js_url(), quote=True)}"></script>
<script nonce="{nonce}">{_SCRIPT}</script>"""
    return _page(product, body, nonce=nonce, **kw)


_COUPON_SCRIPT = """
(function () {
  // Apart from the card's script: the coupon works even when Stripe.js did not load.
  var coupon = document.getElementById("coupon");
  if (!coupon) { return; }
  var config = JSON.parse(document.getElementById("checkout-config").textContent);
  var said = document.getElementById("coupon-message");
  function show(id, text) { document.getElementById(id).textContent = text; }
  coupon.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = document.getElementById("coupon-code").value.trim();
    if (!code) { said.className = ""; said.textContent = "Type a coupon code."; return; }
    var apply = document.getElementById("apply");
    apply.disabled = true;
    fetch(config.couponUrl, {method: "POST", headers: {"Content-Type": "application/json"},
                             body: JSON.stringify({couponCode: code})})
      .then(function (r) { return r.json(); })
      .then(function (reply) {
        apply.disabled = false;
        if (!reply.success) {
          said.className = "";
          said.textContent = reply.message || "This coupon can't be used.";
          return;
        }
        var f = reply.data, cur = " " + f.currency;
        show("subtotal", f.subtotal + cur);
        show("discount", "-" + f.discount + cur);
        document.getElementById("discount-row").hidden = false;
        show("tax", f.tax + cur);
        show("total", f.total + cur);
        show("pay-amount", f.total + cur);
        said.className = "ok";
        said.textContent = "Coupon " + f.couponCode + " applied.";
      }, function () {
        apply.disabled = false;
        said.className = "";
        said.textContent = "The coupon could not be checked; try again.";
      });
  });
})();
"""

# Stripe.js's result.error: a decline names its reason (decline_code), a failed 3-D Secure
# check has its own code; anything else shows Stripe's message.
_SCRIPT = """
(function () {
  var config = JSON.parse(document.getElementById("checkout-config").textContent);
  var stripe = Stripe(config.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card");
  var form = document.getElementById("pay"), button = document.getElementById("submit");
  var message = document.getElementById("message");
  function reason(error) {
    if (error.code === "card_declined") {
      var why = (error.decline_code || "").replace(/_/g, " ");
      return "Your card was declined" + (why && why !== "generic decline" ? ": " + why : "") +
        ". Try another card.";
    }
    if (error.code === "payment_intent_authentication_failure") {
      return "Authentication failed. Try again or use another card.";
    }
    return error.message || "The payment did not go through; try again.";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.textContent = "";
    stripe.confirmCardPayment(config.clientSecret, {payment_method: {card: card}})
      .then(function (result) {
        if (result.error) {
          message.textContent = reason(result.error);
          button.disabled = false;
        } else {
          message.className = "ok";
          message.textContent = "Paid. Thank you!";
          window.location.href = config.returnLink;
        }
      }, function () {
        message.textContent = "The payment did not go through; try again.";
        button.disabled = false;
      });
  });
})();
"""
