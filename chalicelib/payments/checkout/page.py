"""Our small hosted checkout page, ``GET /api/checkout/<paymentId>?brandId=<brand>``.

A Stripe payment: the page loads Stripe.js (from localstripe in the local stack, from
js.stripe.com otherwise), mounts a card field and, on "Pay", calls
``stripe.confirmCardPayment(clientSecret, {payment_method: {card}})``; on success it sends the
buyer to the gateway's ``returnLink`` (``{paymentId}`` / ``{brandId}`` in it filled in, else
``paymentId`` added to its query). With ``paid=true`` (a returnLink pointing back here, as the
local stack's does) an open payment shows "waiting for confirmation" and reloads until the
gateway's notification has settled it. The page never decides the
payment's status: the gateway's signed webhook does. With localstripe, Stripe.js shows a
"3D Secure: Complete / Fail authentication" dialog instead of charging the card typed in.

A PayPal payment: a 302 to its PayPal URL. A payment that is no longer open: a short page with
its status. Errors are HTML pages too (the buyer's browser reads this route, not an API client).

Every answer carries a Content-Security-Policy: only this page's own nonce'd ``<script>`` and
``<style>`` run (a fresh nonce per answer, no 'unsafe-inline'), scripts, API calls and frames
only from where Stripe.js needs them (start.stripe_js_sources: js.stripe.com,
api.stripe.com, hooks.stripe.com deployed; localstripe's origin locally), and no site may frame
the page (frame-ancestors 'none').
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any

from chalice import Response

from chalicelib import money
from chalicelib.http.context import RequestContext
from chalicelib.payments import ledger
from chalicelib.payments.checkout.start import return_link, stripe_js_sources, stripe_js_url

HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
           "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff"}

SELF = "'self'"
_STYLE = """body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem;
color:#222}h1{font-size:1.3rem}.amount{font-size:1.6rem;font-weight:600;margin:.5rem 0 1.5rem}
#card{padding:.75rem;border:1px solid #bbb;border-radius:6px;margin-bottom:1rem}
button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:6px;background:#635bff;
color:#fff;cursor:pointer}button[disabled]{opacity:.6}#message{margin-top:1rem;color:#b00020}
.muted{color:#666;font-size:.9rem}"""


def content_security_policy(nonce: str) -> str:
    stripe = stripe_js_sources()
    own = f"'nonce-{nonce}'"

    def sources(directive: str, *ours: str) -> str:
        return " ".join((*ours, *stripe[directive])) or "'none'"

    return "; ".join((
        "default-src 'self'", f"script-src {sources('script-src', own)}",
        f"style-src {own}", f"connect-src {sources('connect-src', SELF)}",
        f"frame-src {sources('frame-src')}", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'"))


def _page(title: str, body: str, status: int = 200, head: str = "",
          nonce: str | None = None) -> Response:
    nonce = nonce or secrets.token_urlsafe(18)
    doc = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
           f"<title>{html.escape(title)}</title><style nonce=\"{nonce}\">{_STYLE}</style>{head}"
           f"</head><body>{body}</body></html>")
    return Response(body=doc, status_code=status, headers={
        **HEADERS, "Content-Security-Policy": content_security_policy(nonce)})


def _message(title: str, text: str, status: int, link: str | None = None) -> Response:
    extra = (f'<p><a href="{html.escape(link, quote=True)}">Continue</a></p>' if link else "")
    return _page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{extra}",
                 status)


def _js(value: Any) -> str:
    """A JSON value safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026")


# What the buyer agreed to (``saveCardForRenewals``), said where they type the card.
SAVE_CARD_NOTICE = ('<p class="muted">This card will be kept for your renewals: they are '
                    "charged to it automatically. You can remove it from your saved cards at "
                    "any time.</p>")


def page(ctx: RequestContext, paymentCode: str) -> Response:  # noqa: N803 - path parameter
    brand_id = ctx.query.get("brandId") or ""
    payment = ledger.find_payment(brand_id, paymentCode) if brand_id else None
    if payment is None:
        return _message("Payment not found", "This checkout link is not valid. Ask the shop "
                        "for a new one.", 404)
    data = dict(payment.gateway_data or {})
    done_link = return_link(data.get("returnLink"), payment.id, brand_id)
    if ctx.query.get("paid") and payment.status in ("Created", "Pending"):
        # Back from paying: the gateway's notification settles it in a moment.
        return _page("Payment received", "<h1>Payment received</h1><p>Waiting for the payment "
                     f"provider to confirm payment {html.escape(payment.code)}&hellip;</p>",
                     200, head='<meta http-equiv="refresh" content="2">')
    if payment.status not in ("Created", "Pending"):
        return _message(f"Payment {payment.status.lower()}",
                        f"Payment {payment.code} is {payment.status}; there is nothing to pay "
                        "here.", 200, None if ctx.query.get("paid") else done_link)
    if payment.gateway_type != "stripe":
        if payment.checkout_url and payment.checkout_url.startswith(("https://", "http://")):
            return Response(body="", status_code=302, headers={
                **HEADERS, "Location": payment.checkout_url,
                "Content-Security-Policy": content_security_policy(secrets.token_urlsafe(18))})
        return _message("Payment not found", "This payment is not paid on this page.", 404)
    if not data.get("clientSecret") or not data.get("publishableKey"):
        return _message("Payment unavailable", "This payment can't be paid here; ask the shop "
                        "for a new link.", 409)
    amount = money.to_decimal(int(payment.amount_minor), payment.currency)
    title = payment.name or "Payment"
    cancel = data.get("cancelLink")
    config = {"publishableKey": data["publishableKey"], "clientSecret": data["clientSecret"],
              "returnLink": done_link, "paymentCode": payment.code}
    nonce = secrets.token_urlsafe(18)
    body = f"""<h1>{html.escape(title)}</h1>
<div class="amount">{html.escape(f"{amount} {payment.currency}")}</div>
<form id="pay"><div id="card"></div>
<button id="submit" type="submit">Pay {html.escape(f"{amount} {payment.currency}")}</button>
</form>
<div id="message" role="alert"></div>
{SAVE_CARD_NOTICE if payment.save_card else ''}
<p class="muted">Payment {html.escape(payment.code)}{'' if not payment.test_mode else
                                                       ' (test mode)'}.
{f'<a href="{html.escape(cancel, quote=True)}">Cancel</a>' if cancel else ''}</p>
<script id="checkout-config" type="application/json">{_js(config)}</script>
<script nonce="{nonce}" src="{html.escape(stripe_js_url(), quote=True)}"></script>
<script nonce="{nonce}">
(function () {{
  var config = JSON.parse(document.getElementById("checkout-config").textContent);
  var stripe = Stripe(config.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card");
  var form = document.getElementById("pay"), button = document.getElementById("submit");
  var message = document.getElementById("message");
  form.addEventListener("submit", function (event) {{
    event.preventDefault();
    button.disabled = true;
    message.textContent = "";
    stripe.confirmCardPayment(config.clientSecret, {{payment_method: {{card: card}}}})
      .then(function (result) {{
        if (result.error) {{
          message.textContent = (result.error && result.error.message) ||
            "The payment did not go through; try again.";
          button.disabled = false;
        }} else {{
          message.style.color = "#1b5e20";
          message.textContent = "Paid. Thank you!";
          if (config.returnLink) {{ window.location.href = config.returnLink; }}
        }}
      }});
  }});
}})();
</script>"""
    return _page(title, body, nonce=nonce)
