"""Coupon, quote and quota-usage routes (JFW v6.9.3 paths; consume and check are ours).
Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route

H = "chalicelib.catalog.coupon_api:"
S = "chalicelib.catalog.coupon_schemas:"

COUPON_STATUSES = ("Active", "Inactive", "Expired", "Deleted")

ROUTES = [
    Route("GET", "/api/v1/coupons", H + "list_coupons", "A brand's coupons",
          permission="COUPON.READ", returns="page", tag="Coupons", query=(
              *PAGING, Q("name"), Q("code"), Q("description"), Q("tags"),
              Q("percentage", "number"), Q("quantity", "integer"),
              Q("autoApplyToPrice", "boolean"), Q("status", enum=COUPON_STATUSES),
              Q("testMode", "boolean"), Q("createdDateFrom", "date-time"),
              Q("createdDateTo", "date-time"))),
    Route("GET", "/api/v1/coupons/{id}", H + "get_coupon", "A coupon",
          permission="COUPON.READ", tag="Coupons"),
    Route("POST", "/api/v1/coupons", H + "create_coupon",
          "Create a coupon (percentage or amountOff+currencyCode; quantity caps redemptions)",
          permission="COUPON.CREATE", body=S + "CouponBody", tag="Coupons"),
    Route("PUT", "/api/v1/coupons/{id}", H + "update_coupon",
          "Change a coupon (fields left out keep their value; null clears)",
          permission="COUPON.UPDATE", body=S + "CouponBody", tag="Coupons"),
    Route("DELETE", "/api/v1/coupons/{id}", H + "delete_coupon",
          "Delete a coupon (kept with status Deleted; its code is freed)",
          permission="COUPON.DELETE", returns="boolean", tag="Coupons"),
    Route("POST", "/api/v1/packages/{packageId}/calculate-total-price-checkout",
          H + "calculate",
          "Quote a price: subtotal, coupon discount, upgrade credit, tax, total (writes nothing)",
          auth="optional", body=S + "QuoteBody", tag="Packages", query=(
              Q("packageId"), Q("priceId"), Q("walletId"), Q("couponCode"))),
    Route("GET", "/api/v1/quota-usages", H + "my_quota_usages",
          "The logged-in user's usage of each feature of their package", returns="array",
          tag="Quota usage"),
    Route("POST", "/api/v1/quota-usages/consume", H + "consume_quota",
          "Use an amount of a Limitation feature for a user, atomically (409 QUOTA_EXCEEDED "
          "beyond the limit)", permission="QUOTA.UPDATE", body=S + "ConsumeBody",
          tag="Quota usage"),
    Route("GET", "/api/v1/quota-usages/check", H + "check_quota",
          "May a user use a feature (Function: on/off; Limitation: remaining >= amount)",
          permission="QUOTA.READ", tag="Quota usage", query=(
              Q("userId"), Q("featureId"), Q("featureCode"), Q("amount", "integer"))),
]
