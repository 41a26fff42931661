"""Payment records, the review of held payments, commission rates and the payment constants
(JFW v6.9.3 §12, §15, §20; approve and refund are ours). Data only: see
chalicelib/http/routing.py. Approve and refund take an ``Idempotency-Key`` header
(``idempotent=True``: the dispatcher replays the first answer for the same key and request).
"""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.payments.constants import COMMISSION_TYPES, STATUSES

ROUTES = [
    Route("GET", "/api/v1/payments", "chalicelib.payments.api:list_payments",
          "Payments, newest first (PAYMENT.READ sees the brand's; anyone else only their own, "
          "and a userId naming another user is a 403)",
          returns="page", answers=(403,), tag="Payments", query=(
              *PAGING, Q("createdDateFrom", "date-time"), Q("createdDateTo", "date-time"),
              Q("appIntegrationPaymentGatewayId"), Q("priceId"), Q("code"), Q("userId"),
              Q("referralUserCode"), Q("status", enum=STATUSES), Q("paymentType"),
              Q("currencyCode"), Q("testMode", "boolean"))),
    Route("GET", "/api/v1/payments/dashboard", "chalicelib.payments.api:dashboard",
          "Sells and revenue, total and today (UTC), in the brand's currency and per currency",
          permission="PAYMENT.READ", tag="Payments", query=(Q("testMode", "boolean"),)),
    Route("GET", "/api/v1/payments/{id}", "chalicelib.payments.api:get_payment",
          "A payment with its histories and transactions (one Query)", tag="Payments"),
    Route("POST", "/api/v1/payments/{id}/approve", "chalicelib.payments.api:approve_payment",
          "Release a held (High risk) payment for fulfilment", permission="PAYMENT.UPDATE",
          tag="Payments", idempotent=True),
    Route("POST", "/api/v1/payments/{id}/refund", "chalicelib.payments.api:refund_payment",
          "Refund a Completed payment: at Stripe now; PayPal payments are marked for a manual "
          "refund in PayPal (its Refunded IPN completes it)", permission="PAYMENT.UPDATE",
          tag="Payments", idempotent=True, answers=(502,)),
    # -- commission rates ------------------------------------------------------------------------
    Route("GET", "/api/v1/commission-rates", "chalicelib.payments.api:list_rates",
          "The brand's commission and discount rates (a plain array; pageNumber/pageSize cut "
          "it when sent)", permission="COMMISSION-RATE.READ", returns="array",
          tag="Commission rates", query=(
              Q("pageNumber", "integer"), Q("pageSize", "integer"),
              Q("sortDataField", description="quantityFrom (default), quantityTo, percentage, "
                "type, id or createdDate."), Q("sortOrder", enum=("asc", "desc")),
              Q("type", enum=COMMISSION_TYPES), Q("unit"), Q("isDefault", "boolean"))),
    Route("GET", "/api/v1/commission-rates/get-discount", "chalicelib.payments.api:get_discount",
          "The Discount percentage for a quantity (the rate whose range covers it, else the "
          "default Discount rate, else 0)", returns="number", tag="Commission rates",
          query=(Q("quantity", "integer", required=True),)),
    Route("GET", "/api/v1/commission-rates/{id}", "chalicelib.payments.api:get_rate",
          "A commission rate", permission="COMMISSION-RATE.READ", tag="Commission rates"),
    Route("POST", "/api/v1/commission-rates", "chalicelib.payments.api:create_rate",
          "Add a rate (ranges of one type must not overlap; one default per type)",
          permission="COMMISSION-RATE.CREATE",
          body="chalicelib.payments.schemas:CommissionRateBody", tag="Commission rates"),
    Route("PUT", "/api/v1/commission-rates/{id}", "chalicelib.payments.api:update_rate",
          "Replace a rate", permission="COMMISSION-RATE.UPDATE",
          body="chalicelib.payments.schemas:CommissionRateBody", returns="boolean",
          tag="Commission rates"),
    Route("DELETE", "/api/v1/commission-rates/{id}", "chalicelib.payments.api:delete_rate",
          "Delete a rate", permission="COMMISSION-RATE.DELETE", returns="boolean",
          tag="Commission rates"),
    # -- constants -------------------------------------------------------------------------------
    Route("GET", "/api/v1/constants/payment/status", "chalicelib.payments.api:payment_statuses",
          "PaymentStatus names", auth="none", brand=False, returns="strings", tag="Constants"),
    Route("GET", "/api/v1/constants/transaction/status",
          "chalicelib.payments.api:transaction_statuses",
          "Statuses of gateway transaction records (PaymentStatus names)", auth="none",
          brand=False, returns="strings", tag="Constants"),
    Route("GET", "/api/v1/constants/transaction/types",
          "chalicelib.payments.api:transaction_types",
          "Types of gateway transaction records", auth="none", brand=False, returns="strings",
          tag="Constants"),
    Route("GET", "/api/v1/constants/payment/risk-levels", "chalicelib.payments.api:risk_levels",
          "Risk levels of a payment (High is held until an admin approves)", auth="none",
          brand=False, returns="strings", tag="Constants"),
    Route("GET", "/api/v1/constants/commission-rate/types", "chalicelib.payments.api:rate_types",
          "CommissionRateType names", auth="none", brand=False, returns="strings",
          tag="Constants"),
]
