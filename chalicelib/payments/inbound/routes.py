"""Gateway notification routes (ours: JFW documents no IPN endpoint shape) and the log of the
notifications received. Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.payments.constants import GATEWAY_TYPES, OUTCOMES

ROUTES = [
    Route("POST", "/api/v1/ipn/stripe/{gatewayId}",
          "chalicelib.payments.inbound.api:stripe_webhook",
          "Stripe webhook: Stripe-Signature verified on the raw body, then applied once "
          "(duplicates answer 200 and change nothing)", auth="none", brand=False, tag="IPN",
          answers=(409, 503)),  # 409 GATEWAY_NOT_READY: no webhook secret yet
    Route("POST", "/api/v1/ipn/paypal/{gatewayId}", "chalicelib.payments.inbound.api:paypal_ipn",
          "PayPal IPN: posted back for VERIFIED, checked against our payment, applied once",
          auth="none", brand=False, tag="IPN", answers=(409, 503)),  # 409: no receiver yet
    Route("GET", "/api/v1/payments/notifications",
          "chalicelib.payments.inbound.api:list_notifications",
          "Gateway notifications received, newest first, with their outcome",
          permission="NOTIFICATION.READ", returns="page", tag="Payments", query=(
              *PAGING, Q("createdDateFrom", "date-time"), Q("createdDateTo", "date-time"),
              Q("outcome", enum=OUTCOMES), Q("gateway", enum=GATEWAY_TYPES),
              Q("gatewayId"), Q("paymentId"), Q("eventType"))),
    Route("GET", "/api/v1/payments/notifications/{id}",
          "chalicelib.payments.inbound.api:get_notification",
          "One received notification with its raw body", permission="NOTIFICATION.READ",
          tag="Payments"),
    Route("POST", "/api/v1/payments/notifications/{id}/replay",
          "chalicelib.payments.inbound.api:replay_notification",
          "Run a stored notification through verification and intake again (a duplicate "
          "changes nothing)", permission="NOTIFICATION.UPDATE", tag="Payments"),
]
