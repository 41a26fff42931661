"""Reports JFW's SDK reads (v6.9.3 §12 analytics, §11 license statistics). Data only: see
chalicelib/http/routing.py. ``v1/payments/dashboard`` (payments' route) answers from the same
counters."""

from chalicelib.http.routing import Q, Route

ROUTES = [
    Route("GET", "/api/v1/analytics/payments/summary", "chalicelib.reports.api:payments_summary",
          "Payments, sells and revenue, total and today (UTC), in the brand's currency and per "
          "currency (byCurrency); a top-up is a payment and revenue but no sell, a purchase "
          "paid from a wallet a sell with no revenue", permission="PAYMENT.READ",
          tag="Reports", query=(Q("testMode", "boolean", description="Only test (true) or "
                                  "live (false) payments; both when absent."),)),
    Route("GET", "/api/v1/licenses/statistics/monthly",
          "chalicelib.reports.api:license_statistics",
          "The licenses of a month (UTC), day by day, per package x subscription type x "
          "currency: totals, amounts by type, counts by status as they are now",
          permission="LICENSE.READ", tag="Reports", query=(
              Q("packageId"), Q("subscriptionTypeId"),
              Q("type", description="A LicenseType: Normal, Refunded, Prepaid, Postpaid, "
                "MailDelivery."),
              Q("status", description="A LicenseStatus: NotStarted, Expired, Inactive, "
                "Active, Used."),
              Q("month", description="yyyy-MM (UTC); the current month when absent (ours)."),
              Q("testMode", "boolean", description="Only test (true) or live (false) "
                "licenses; both when absent (ours)."))),
]
