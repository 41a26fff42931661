"""Payment records, payment constants and the gateway-notification log (JFW v6.9.3 §12, §15,
§20; the notification log is ours). Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route

# states.STATUSES, repeated here so the route table imports nothing but data (cold start).
STATUSES = ("Created", "Completed", "Refunded", "Failed", "Pending", "Denied", "Reserved",
            "CanceledReversal", "Deleted", "Voided")

H = "chalicelib.payments.api:"
P = "/api/v1/payments"
N = P + "/notifications"
OUTCOMES = ("verified", "duplicate", "applied", "ignored", "mismatch", "unknown_payment",
            "rejected", "not_ready", "error")

ROUTES = [
    Route("GET", P, H + "list_payments",
          "Payments, newest first (PAYMENT.READ sees the brand's; anyone else only their own)",
          returns="page", tag="Payments", query=(
              *PAGING, Q("createdDateFrom", "date-time"), Q("createdDateTo", "date-time"),
              Q("appIntegrationPaymentGatewayId"), Q("priceId"), Q("code"), Q("userId"),
              Q("referralUserCode"), Q("status", enum=STATUSES), Q("paymentType"),
              Q("currencyCode"), Q("testMode", "boolean"))),
    Route("GET", P + "/dashboard", H + "dashboard",
          "Sells and revenue, total and today (UTC), in the brand's currency and per currency",
          permission="PAYMENT.READ", tag="Payments", query=(Q("testMode", "boolean"),)),
    Route("GET", N, H + "list_notifications",
          "Gateway notifications received, newest first, with their outcome",
          permission="NOTIFICATION.READ", returns="page", tag="Payments", query=(
              *PAGING, Q("createdDateFrom", "date-time"), Q("createdDateTo", "date-time"),
              Q("outcome", enum=OUTCOMES), Q("gateway", enum=("stripe", "paypal")),
              Q("gatewayId"), Q("paymentId"), Q("eventType"))),
    Route("GET", N + "/{id}", H + "get_notification",
          "One received notification with its raw body", permission="NOTIFICATION.READ",
          tag="Payments"),
    Route("POST", N + "/{id}/replay", H + "replay_notification",
          "Run a stored notification through verification and intake again (a duplicate "
          "changes nothing)", permission="NOTIFICATION.UPDATE", tag="Payments"),
    Route("GET", P + "/{id}", H + "get_payment",
          "A payment with its histories and transactions (one Query)", tag="Payments"),
    Route("GET", "/api/v1/constants/payment/status", H + "payment_statuses",
          "PaymentStatus names", auth="none", brand=False, returns="strings", tag="Constants"),
    Route("GET", "/api/v1/constants/transaction/status", H + "transaction_statuses",
          "Statuses of gateway transaction records (PaymentStatus names)", auth="none",
          brand=False, returns="strings", tag="Constants"),
    Route("GET", "/api/v1/constants/transaction/types", H + "transaction_types",
          "Types of gateway transaction records", auth="none", brand=False, returns="strings",
          tag="Constants"),
]
