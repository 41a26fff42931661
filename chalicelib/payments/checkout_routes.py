"""Checkout, the hosted checkout page, the review of held payments and the black list (JFW v6.9.3
§6, §9, §12; the black list, approve and refund are ours). Data only: see
chalicelib/http/routing.py.

The checkout POSTs and refund take an ``Idempotency-Key`` header: the same key and request
replay the first answer; the same key with another request is a 409.
"""

from chalicelib.http.routing import PAGING, Q, Route

H = "chalicelib.payments.checkout_api:"
S = "chalicelib.payments.checkout_schemas:"
BL = "/api/v1/black-lists"
BLACK_LIST_TYPES = ("Email", "IP", "Country")
RISK_LEVELS = ("Low", "Medium", "High")
GATEWAY_Q = Q("appIntegrationId", description="One of the brand's gateway ids, or stripe / "
              "paypal (that type's default gateway); default: the brand's default gateway.")

ROUTES = [
    Route("POST", "/api/v1/prices/{priceId}/generate-checkout-link", H + "price_checkout_link",
          "Create a payment for a price (quote: coupon, upgrade credit, tax) and return its "
          "checkout URL. 403 for a black-listed buyer; Idempotency-Key honoured",
          returns="string", tag="Checkout", idempotent=True, answers=(502,),
          query=(GATEWAY_Q, Q("couponCode", description="A coupon to apply (ours; JFW's "
                                                          "route takes none)."))),
    Route("POST", "/api/v1/packages/{packageId}/upgrade/checkout", H + "upgrade_checkout",
          "Create a payment to move to a package's price (the current package's unused part "
          "is credited) and return its checkout link; wallets are not used yet (0)",
          body=S + "UpgradeCheckoutBody", tag="Checkout", idempotent=True, answers=(502,)),
    Route("POST", "/api/v1/payments/{id}/generate-checkout-link", H + "payment_checkout_link",
          "The checkout link of the caller's own Created payment (another gateway: a new link)",
          tag="Checkout", query=(GATEWAY_Q,), idempotent=True, answers=(502,)),
    Route("POST", "/api/v1/payments/{id}/approve", H + "approve_payment",
          "Release a held (High risk) payment for fulfilment", permission="PAYMENT.UPDATE",
          tag="Payments", idempotent=True),
    Route("POST", "/api/v1/payments/{id}/refund", H + "refund_payment",
          "Refund a Completed payment: at Stripe now; PayPal payments are marked for a manual "
          "refund in PayPal (its Refunded IPN completes it)", permission="PAYMENT.UPDATE",
          tag="Payments", idempotent=True, answers=(502,)),
    Route("GET", "/api/checkout/{paymentCode}", "chalicelib.payments.checkout_page:page",
          "The hosted checkout page of a Stripe payment (HTML, Stripe.js); a PayPal payment "
          "redirects to PayPal", auth="none", brand=False, returns="html", tag="Checkout",
          answers=(302, 409),  # PayPal's page; a payment this page can't take
          query=(Q("brandId", required=True, description="The payment's brand."),
                 Q("paid", "boolean", description="Back from paying: wait for the gateway's "
                   "confirmation."))),
    # -- black list ------------------------------------------------------------------------------
    Route("GET", BL, H + "list_black_list", "The brand's black list (paged)",
          permission="BLACKLIST.READ", returns="page", tag="Black list",
          query=(*PAGING, Q("type", enum=BLACK_LIST_TYPES),
                 Q("status", enum=("Active", "Inactive")))),
    Route("GET", BL + "/{id}", H + "get_black_list_entry", "A black list entry",
          permission="BLACKLIST.READ", tag="Black list"),
    Route("POST", BL, H + "create_black_list_entry",
          "Block an e-mail address or domain (@example.com), an IP or network, or a country "
          "(ISO 3166-1 alpha-2, from the CloudFront-Viewer-Country header) from checking out",
          permission="BLACKLIST.CREATE", body=S + "BlackListBody", tag="Black list"),
    Route("PUT", BL + "/{id}", H + "update_black_list_entry",
          "Change an entry (a new type or value moves it to a new id)",
          permission="BLACKLIST.UPDATE", body=S + "BlackListBody", tag="Black list"),
    Route("DELETE", BL + "/{id}", H + "delete_black_list_entry", "Remove an entry",
          permission="BLACKLIST.DELETE", returns="boolean", tag="Black list"),
    Route("GET", "/api/v1/constants/black-list/types", H + "black_list_types",
          "Black list entry types", auth="none", brand=False, returns="strings",
          tag="Constants"),
    Route("GET", "/api/v1/constants/payment/risk-levels", H + "risk_levels",
          "Risk levels of a payment (High is held until an admin approves)", auth="none",
          brand=False, returns="strings", tag="Constants"),
]
