"""Gateway notification routes (ours: JFW documents no IPN endpoint shape). Data only."""

from chalicelib.http.routing import Route

H = "chalicelib.payments.ipn_api:"

ROUTES = [
    Route("POST", "/api/v1/ipn/stripe/{gatewayId}", H + "stripe_webhook",
          "Stripe webhook: Stripe-Signature verified on the raw body, then applied once "
          "(duplicates answer 200 and change nothing)", auth="none", brand=False, tag="IPN",
          answers=(409, 503)),  # 409 GATEWAY_NOT_READY: no webhook secret yet
    Route("POST", "/api/v1/ipn/paypal/{gatewayId}", H + "paypal_ipn",
          "PayPal IPN: posted back for VERIFIED, checked against our payment, applied once",
          auth="none", brand=False, tag="IPN", answers=(409, 503)),  # 409: no receiver yet
]
