"""Checkout, the hosted checkout page and the black list (JFW v6.9.3 §6, §9; the black list is
ours). Data only: see chalicelib/http/routing.py.

The checkout POSTs take an ``Idempotency-Key`` header (``idempotent=True``, done by the
dispatcher): the same key and request replay the first answer; the same key with another
request is a 409.
"""

from chalicelib import settings
from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.payments.constants import BLACK_LIST_STATUSES, BLACK_LIST_TYPES

GATEWAY_Q = Q("appIntegrationId", description="One of the brand's gateway ids, or stripe / "
              "paypal (that type's default gateway); default: the brand's default gateway.")

ROUTES = [
    Route("POST", "/api/v1/prices/{priceId}/generate-checkout-link",
          "chalicelib.payments.checkout.api:price_checkout_link",
          "Create a payment for a price (quote: coupon, upgrade credit, tax) and return its "
          "checkout URL. 403 for a black-listed buyer; Idempotency-Key honoured; "
          "saveCardForRenewals (ours, optional body): keep the card for renewals",
          body="chalicelib.payments.checkout.schemas:CheckoutLinkBody",
          returns="string", tag="Checkout", idempotent=True, answers=(502,),
          query=(GATEWAY_Q, Q("couponCode", description="A coupon to apply (ours; JFW's "
                                                          "route takes none)."))),
    Route("POST", "/api/v1/packages/{packageId}/upgrade/checkout",
          "chalicelib.payments.checkout.api:upgrade_checkout",
          "Create a payment to move to a package's price (the current package's unused part "
          "is credited) and return its checkout link; walletId: the wallet pays what it can "
          "(all of it: no link, the payment completes at once)",
          body="chalicelib.payments.checkout.schemas:UpgradeCheckoutBody", tag="Checkout",
          idempotent=True, answers=(409, 502)),
    Route("POST", "/api/v1/payments/{id}/generate-checkout-link",
          "chalicelib.payments.checkout.api:payment_checkout_link",
          "The checkout link of the caller's own Created payment (another gateway: a new link)",
          tag="Checkout", query=(GATEWAY_Q,), idempotent=True, answers=(502,)),
    Route("GET", "/api/checkout/{paymentCode}", "chalicelib.payments.checkout.api:page",
          "The hosted checkout page of a Stripe payment (HTML, Stripe.js); a PayPal payment "
          "redirects to PayPal", auth="none", brand=False, returns="html", tag="Checkout",
          answers=(302, 409),  # PayPal's page; a payment this page can't take
          query=(Q("brandId", required=True, description="The payment's brand."),
                 Q("paid", "boolean", description="Back from paying: wait for the gateway's "
                   "confirmation."),
                 Q("cancelled", "boolean", description="Back from cancelling: say nothing "
                   "was charged, with a link to pay after all."),
                 Q("wait", "integer", description="How many times the waiting page reloaded "
                   "(it stops after 20)."))),
    Route("POST", "/api/checkout/{paymentCode}/coupon",
          "chalicelib.payments.checkout.api:page_coupon",
          "A coupon typed on the hosted checkout page: the payment's price is quoted again with "
          "it, the payment and its Stripe PaymentIntent take the new amount; the new figures "
          "(ours; 10 tries per payment, then 429)", auth="none", brand=False, tag="Checkout",
          body="chalicelib.payments.checkout.schemas:CouponBody", answers=(409, 429, 502),
          query=(Q("brandId", required=True, description="The payment's brand."),)),
    Route("GET", "/api/checkout/assets/stripe-local.js",
          "chalicelib.payments.checkout.api:stripe_local_js",
          "The hosted page's Stripe.js stand-in against localstripe (local stages only; 404 "
          "when the stage uses Stripe itself)", auth="none", brand=False, returns="asset",
          tag="Checkout", answers=(404,), stages=settings.LOCAL_STAGES,
          query=(Q("api", description="localstripe's base URL, which the script calls."),)),
    # -- black list ------------------------------------------------------------------------------
    Route("GET", "/api/v1/black-lists", "chalicelib.payments.checkout.api:list_black_list",
          "The brand's black list (paged)",
          permission="BLACKLIST.READ", returns="page", tag="Black list",
          query=(*PAGING, Q("type", enum=BLACK_LIST_TYPES),
                 Q("status", enum=BLACK_LIST_STATUSES))),
    Route("GET", "/api/v1/black-lists/{id}",
          "chalicelib.payments.checkout.api:get_black_list_entry", "A black list entry",
          permission="BLACKLIST.READ", tag="Black list"),
    Route("POST", "/api/v1/black-lists", "chalicelib.payments.checkout.api:create_black_list_entry",
          "Block an e-mail address or domain (@example.com), an IP or network, or a country "
          "(ISO 3166-1 alpha-2, from the CloudFront-Viewer-Country header) from checking out",
          permission="BLACKLIST.CREATE", body="chalicelib.payments.checkout.schemas:BlackListBody",
          tag="Black list"),
    Route("PUT", "/api/v1/black-lists/{id}",
          "chalicelib.payments.checkout.api:update_black_list_entry",
          "Change an entry (a new type or value moves it to a new id)",
          permission="BLACKLIST.UPDATE", body="chalicelib.payments.checkout.schemas:BlackListBody",
          tag="Black list"),
    Route("DELETE", "/api/v1/black-lists/{id}",
          "chalicelib.payments.checkout.api:delete_black_list_entry", "Remove an entry",
          permission="BLACKLIST.DELETE", returns="boolean", tag="Black list"),
    Route("GET", "/api/v1/constants/black-list/types",
          "chalicelib.payments.checkout.api:black_list_types",
          "Black list entry types", auth="none", brand=False, returns="strings",
          tag="Constants"),
]
