"""License routes (JFW v6.9.3, api-surface.md §11 and §20), the licensing settings, and the
dev-only clock and job routes. Data only: see chalicelib/http/routing.py.

Path parameters are ``{licenseId}`` at every level (API Gateway allows one name per level); the
static siblings (generate-code, count, check, apply..., purchase, settings, and the devices
helper's validate, public-key, certificate) sit beside it.
"""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.licensing.constants import CONSTANTS, LICENSE_STATUSES, LICENSE_TYPES
from chalicelib.settings import LOCAL_STAGES

H = "chalicelib.licensing.api:"
S = "chalicelib.licensing.schemas:"
LIC = "/api/v1/licenses"
T = "Licenses"

FILTERS = (
    Q("packageId"), Q("subscriptionTypeId"), Q("licenseCode", description="Part of the code."),
    Q("sourceId", description="Where it came from: a source name or the payment id."),
    Q("refLicense"), Q("description"), Q("isUsed", "boolean"),
    Q("startDate", "date-time", description="Licenses starting at or after."),
    Q("endDate", "date-time", description="Licenses ending at or before."),
    Q("tags"), Q("status", enum=LICENSE_STATUSES), Q("type", enum=LICENSE_TYPES),
    Q("usedBy", description="The user code of the user who applied it."),
    Q("usedDate", "date-time", description="Applied on this (UTC) day."),
    Q("testMode", "boolean"), Q("createdBy", description="The creator's user code."),
)
CODE = Q("licenseCode", required=True)

ROUTES = [
    Route("GET", LIC + "/generate-code", H + "generate_code",
          "A license code in JFW's format (brand, package letter, subscription type, month, 6 "
          "random characters); not stored", permission="LICENSE.CREATE", returns="string",
          tag=T, query=(Q("packageId", required=True), Q("subscriptionTypeId", required=True),
                        Q("startDate", "date-time"))),
    Route("POST", LIC, H + "create_licenses",
          "Create licenses in bulk (quantity; each with its own unique code) -> {countSuccess}",
          permission="LICENSE.CREATE", body=S + "LicenseCreateBody", tag=T),
    Route("GET", LIC, H + "list_licenses", "A brand's licenses (paged, JFW's filters)",
          permission="LICENSE.READ", returns="page", tag=T, query=(*PAGING, *FILTERS)),
    Route("GET", LIC + "/count", H + "count_licenses",
          "How many licenses match the filters -> {countSuccess}", permission="LICENSE.READ",
          tag=T, query=FILTERS),
    Route("GET", LIC + "/check", H + "check_license",
          "Whether a code exists in this brand and can be applied now", returns="boolean",
          tag=T, query=(CODE,)),
    Route("GET", LIC + "/settings", H + "get_settings",
          "The brand's licensing policy: licenseDeliveryType (Direct|Mail), "
          "licenseChangePolicy (Replace|Queue), licenseGraceDays, licenseReminderDays, "
          "licenseOnPartialRefund (Keep|Revoke)",
          permission="LICENSE.READ", tag=T),
    Route("PUT", LIC + "/settings", H + "put_settings",
          "Change the brand's licensing policy (only the fields sent)",
          permission="LICENSE.UPDATE", body=S + "LicenseSettingsBody", tag=T),
    Route("POST", LIC + "/apply", H + "apply_license",
          "Apply a license to the logged-in user (one transaction; the user is mailed)",
          returns="boolean", tag=T, query=(CODE,)),
    Route("POST", LIC + "/apply-to-login-name", H + "apply_to_login_name",
          "Apply a license to the user with this username or e-mail (LICENSE.UPDATE, or the "
          "buyer of a Prepaid license)", returns="boolean", tag=T,
          query=(CODE, Q("loginName", required=True))),
    Route("POST", LIC + "/apply-to-user", H + "apply_to_user",
          "Apply a license to a user by id (the user is mailed)", permission="LICENSE.UPDATE",
          body=S + "ApplyToUserBody", returns="boolean", tag=T),
    Route("POST", LIC + "/purchase/checkout-link", H + "purchase_checkout_link",
          "Buy quantity Prepaid licenses to hand out: a checkout link (Idempotency-Key "
          "honoured); the codes are mailed once paid", body=S + "PurchaseBody",
          returns="string", tag=T, idempotent=True, answers=(502,)),
    Route("GET", LIC + "/{licenseId}", H + "get_license", "A license",
          permission="LICENSE.READ", tag=T),
    Route("PUT", LIC + "/{licenseId}", H + "update_license",
          "Change a license (a used one keeps its package and subscription type)",
          permission="LICENSE.UPDATE", body=S + "LicenseUpdateBody", tag=T),
    Route("DELETE", LIC + "/{licenseId}", H + "delete_license",
          "Delete a license (soft; its code stays taken; 409 when used)",
          permission="LICENSE.DELETE", returns="boolean", tag=T),
    Route("PUT", LIC + "/{licenseId}/activate", H + "activate_license",
          "Activate: NotStarted -> startDate now; Expired -> endDate moved into the future; "
          "Inactive -> Active (both as needed); Used -> unchanged",
          permission="LICENSE.UPDATE", tag=T),
    Route("PUT", LIC + "/{licenseId}/deactivate", H + "deactivate_license",
          "Deactivate (Inactive); 409 when used", permission="LICENSE.UPDATE", tag=T),
    *[Route("GET", f"/api/v1/constants/{name}", H + "constant", f"The {name} values",
            auth="none", brand=False, returns="strings", tag="Constants") for name in CONSTANTS],
    # Local stack and tests only: these routes do not exist on AWS.
    Route("POST", "/api/v1/dev/clock", H + "dev_clock",
          "Move this process's clock by offsetSeconds from real time (0 resets)",
          auth="none", brand=False, body=S + "DevClockBody", stages=LOCAL_STAGES,
          tag="Dev"),
    Route("POST", "/api/v1/dev/jobs/{name}/run", H + "dev_run_job",
          "Run a scheduled job now (store/schema.py SCHEDULES) and return its result",
          auth="none", brand=False, stages=LOCAL_STAGES, tag="Dev"),
]
