"""Licensing routes: licenses (JFW v6.9.3, api-surface.md §11 and §20) and the licensing settings,
license validation and offline certificates (ours), devices (§17), package files and download
links (ours). Data only: see chalicelib/http/routing.py.

Path parameters are ``{licenseId}`` at every level (API Gateway allows one name per level); the
static siblings (generate-code, count, check, apply..., purchase, settings, validate, public-key,
certificate) sit beside it. ``{id}`` names the user in ``v1/users/{id}/devices...`` (JFW writes
``{userId}``): ``v1/users/{id}`` came first. Device permissions are checked in api.py, because a
user may act on their own devices without any. ``GET v1/downloads/{token}`` takes no Brand-URL:
the link is clicked in a mail, and the token names its brand (downloads.py).
"""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.http.statistics import QUERY as STATISTICS
from chalicelib.licensing.constants import (
    DEVICE_STATUSES,
    DEVICE_TYPES,
    LICENSE_STATUSES,
    LICENSE_TYPES,
)

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
    # -- licenses (§11), their settings and constants (§20) ----------------------------------------
    Route("GET", "/api/v1/licenses/generate-code", "chalicelib.licensing.api:generate_code",
          "A license code in JFW's format (brand, package letter, subscription type, month, 6 "
          "random characters); not stored", permission="LICENSE.CREATE", returns="string",
          tag="Licenses", query=(Q("packageId", required=True),
                                 Q("subscriptionTypeId", required=True),
                                 Q("startDate", "date-time"))),
    Route("POST", "/api/v1/licenses", "chalicelib.licensing.api:create_licenses",
          "Create licenses in bulk (quantity; each with its own unique code) -> {countSuccess}",
          permission="LICENSE.CREATE", body="chalicelib.licensing.schemas:LicenseCreateBody",
          tag="Licenses"),
    Route("GET", "/api/v1/licenses", "chalicelib.licensing.api:list_licenses",
          "A brand's licenses (paged, JFW's filters); without LICENSE.READ only the caller's own "
          "(used or bought by them; a usedBy naming another user is a 403)",
          returns="page", answers=(403,), tag="Licenses", query=(*PAGING, *FILTERS)),
    Route("GET", "/api/v1/licenses/count", "chalicelib.licensing.api:count_licenses",
          "How many licenses match the filters -> {countSuccess} (without LICENSE.READ: of the "
          "caller's own)", answers=(403,), tag="Licenses", query=FILTERS),
    Route("GET", "/api/v1/licenses/check", "chalicelib.licensing.api:check_license",
          "Whether a code exists in this brand and can be applied now", returns="boolean",
          tag="Licenses", query=(CODE,)),
    Route("GET", "/api/v1/licenses/settings", "chalicelib.licensing.api:get_settings",
          "The brand's licensing policy: licenseDeliveryType (Direct|Mail), "
          "licenseChangePolicy (Replace|Queue), licenseGraceDays, licenseReminderDays, "
          "licenseOnPartialRefund (Keep|Revoke)", permission="LICENSE.READ", tag="Licenses"),
    Route("PUT", "/api/v1/licenses/settings", "chalicelib.licensing.api:put_settings",
          "Change the brand's licensing policy (only the fields sent)",
          permission="LICENSE.UPDATE", body="chalicelib.licensing.schemas:LicenseSettingsBody",
          tag="Licenses"),
    Route("POST", "/api/v1/licenses/apply", "chalicelib.licensing.api:apply_license",
          "Apply a license to the logged-in user (one transaction; the user is mailed)",
          returns="boolean", tag="Licenses", query=(CODE,)),
    Route("POST", "/api/v1/licenses/apply-to-login-name",
          "chalicelib.licensing.api:apply_to_login_name",
          "Apply a license to the user with this username or e-mail (LICENSE.UPDATE, or the "
          "buyer of a Prepaid license)", returns="boolean", tag="Licenses",
          query=(CODE, Q("loginName", required=True))),
    Route("POST", "/api/v1/licenses/apply-to-user", "chalicelib.licensing.api:apply_to_user",
          "Apply a license to a user by id (the user is mailed)", permission="LICENSE.UPDATE",
          body="chalicelib.licensing.schemas:ApplyToUserBody", returns="boolean", tag="Licenses"),
    Route("POST", "/api/v1/licenses/purchase/checkout-link",
          "chalicelib.licensing.api:purchase_checkout_link",
          "Buy quantity Prepaid licenses to hand out: a checkout link (Idempotency-Key "
          "honoured); the codes are mailed once paid",
          body="chalicelib.licensing.schemas:PurchaseBody", returns="string", tag="Licenses",
          idempotent=True, answers=(502,)),
    Route("POST", "/api/v1/licenses/purchase/wallet",
          "chalicelib.licensing.api:purchase_by_wallet",
          "Buy quantity Prepaid licenses paid in full from one of the caller's wallets "
          "(Idempotency-Key honoured): the payment completes at once and the codes are mailed; "
          "answers the payment's id",
          body="chalicelib.licensing.schemas:PurchaseByWalletBody", returns="string",
          tag="Licenses", idempotent=True, answers=(409,),
          query=(Q("walletId", required=True),)),
    Route("GET", "/api/v1/licenses/{licenseId}", "chalicelib.licensing.api:get_license",
          "A license", permission="LICENSE.READ", tag="Licenses"),
    Route("PUT", "/api/v1/licenses/{licenseId}", "chalicelib.licensing.api:update_license",
          "Change a license (a used one keeps its package and subscription type)",
          permission="LICENSE.UPDATE", body="chalicelib.licensing.schemas:LicenseUpdateBody",
          tag="Licenses"),
    Route("DELETE", "/api/v1/licenses/{licenseId}", "chalicelib.licensing.api:delete_license",
          "Delete a license (soft; its code stays taken; 409 when used)",
          permission="LICENSE.DELETE", returns="boolean", tag="Licenses"),
    Route("PUT", "/api/v1/licenses/{licenseId}/activate",
          "chalicelib.licensing.api:activate_license",
          "Activate: NotStarted -> startDate now; Expired -> endDate moved into the future; "
          "Inactive -> Active (both as needed); Used -> unchanged",
          permission="LICENSE.UPDATE", tag="Licenses"),
    Route("PUT", "/api/v1/licenses/{licenseId}/deactivate",
          "chalicelib.licensing.api:deactivate_license",
          "Deactivate (Inactive); 409 when used", permission="LICENSE.UPDATE", tag="Licenses"),
    Route("GET", "/api/v1/constants/license/status", "chalicelib.licensing.api:constant",
          "The license/status values", auth="none", brand=False, returns="strings",
          tag="Constants"),
    Route("GET", "/api/v1/constants/license/types", "chalicelib.licensing.api:constant",
          "The license/types values", auth="none", brand=False, returns="strings",
          tag="Constants"),
    Route("GET", "/api/v1/constants/license/sources", "chalicelib.licensing.api:constant",
          "The license/sources values", auth="none", brand=False, returns="strings",
          tag="Constants"),
    # -- validation and offline certificates (ours, beyond JFW) ------------------------------------
    Route("POST", "/api/v1/licenses/validate", "chalicelib.licensing.api:validate",
          "Is a license (or a user's package) valid now, with a reason code (Keygen style)",
          auth="optional", body="chalicelib.licensing.schemas:ValidateBody", tag="Licenses",
          answers=(429,)),  # anonymous callers per source IP and per brand
    Route("GET", "/api/v1/licenses/public-key", "chalicelib.licensing.api:public_key",
          "The brand's Ed25519 public key that verifies offline certificates", auth="none",
          tag="Licenses"),
    Route("POST", "/api/v1/licenses/certificate", "chalicelib.licensing.api:certificate",
          "A signed offline certificate of the caller's package (optionally bound to a device)",
          body="chalicelib.licensing.schemas:CertificateBody", tag="Licenses"),
    # -- devices (§17) -----------------------------------------------------------------------------
    Route("GET", "/api/v1/devices/check-user-access", "chalicelib.licensing.api:check_user_access",
          "Whether the user's device has access (linked, active, within the package's device "
          "limit)", returns="boolean", tag="Devices",
          query=(Q("userId", required=True), Q("deviceCode", required=True))),
    Route("GET", "/api/v1/devices", "chalicelib.licensing.api:list_devices",
          "The brand's devices (DEVICE.READ), or the caller's own", returns="page",
          tag="Devices", query=(*PAGING, Q("userId"), Q("type", enum=DEVICE_TYPES), Q("code"),
                                Q("name"), Q("isMobileApp", "boolean"),
                                Q("testMode", "boolean"), Q("status", enum=DEVICE_STATUSES))),
    Route("GET", "/api/v1/devices/current", "chalicelib.licensing.api:current",
          "The caller's device named by the X-Device-Code header (IDeviceUser)", tag="Devices",
          query=(Q("deviceCode", description="Instead of the X-Device-Code header."),)),
    Route("GET", "/api/v1/devices/by-code/{deviceCode}", "chalicelib.licensing.api:get_by_code",
          "A device by its code", tag="Devices"),
    Route("GET", "/api/v1/devices/by-list-code", "chalicelib.licensing.api:by_list_code",
          "Devices by their codes (unknown or unseen codes are left out)", returns="array",
          tag="Devices", query=(Q("codes", "array", required=True,
                                  description="codes[0]=a&codes[1]=b, at most 100."),)),
    Route("POST", "/api/v1/devices/refresh-token", "chalicelib.licensing.api:refresh_token",
          "Replace an app's rotated push token on the caller's linked devices",
          body="chalicelib.licensing.schemas:RefreshTokenBody", returns="boolean", tag="Devices"),
    Route("GET", "/api/v1/devices/statistics", "chalicelib.licensing.api:statistics",
          "Devices registered per day or month of a range ([{date, quantity}])",
          permission="DEVICE.READ", returns="array", tag="Devices", query=STATISTICS),
    Route("GET", "/api/v1/devices/{id}", "chalicelib.licensing.api:get_device", "A device",
          tag="Devices"),
    Route("POST", "/api/v1/devices", "chalicelib.licensing.api:create_device",
          "Register a device (its code is unique in the brand)",
          body="chalicelib.licensing.schemas:DeviceBody", tag="Devices"),
    Route("PUT", "/api/v1/devices/{id}", "chalicelib.licensing.api:update_device",
          "Rename a device or change its status",
          body="chalicelib.licensing.schemas:DeviceUpdateBody", tag="Devices"),
    Route("DELETE", "/api/v1/devices/{id}", "chalicelib.licensing.api:delete_device",
          "Soft-delete a device: its code is released and its links give no access",
          returns="boolean", tag="Devices"),
    Route("POST", "/api/v1/users/{id}/devices/{deviceId}", "chalicelib.licensing.api:link_device",
          "Link a device to a user (a login), keeping the app's push token; beyond the "
          "package's device limit the device with the oldest login loses its access (GET "
          "v1/users/{userId}/devices shows it Offline)",
          body="chalicelib.licensing.schemas:LinkBody", returns="boolean", tag="Devices"),
    Route("DELETE", "/api/v1/users/{id}/devices/{deviceId}",
          "chalicelib.licensing.api:unlink_device",
          "Unlink a device from a user", returns="boolean", tag="Devices"),
    Route("GET", "/api/v1/users/{id}/devices", "chalicelib.licensing.api:user_devices",
          "A user's devices (IDeviceUser[])", returns="array", tag="Devices"),
    Route("GET", "/api/v1/constants/device/types", "chalicelib.licensing.api:device_types",
          "DeviceType values", auth="none", returns="strings", tag="Constants"),
    # -- package files and download links (ours: digital downloads) --------------------------------
    Route("POST", "/api/v1/packages/{packageId}/files", "chalicelib.licensing.api:add_file",
          "Add a file to a package: inline (contentBase64, at most 180 KiB) or through the "
          "presigned upload URL of the reply", permission="PACKAGE.UPDATE",
          body="chalicelib.licensing.schemas:PackageFileBody", tag="Downloads"),
    Route("GET", "/api/v1/packages/{packageId}/files", "chalicelib.licensing.api:list_files",
          "A package's files", permission="PACKAGE.READ", returns="array", tag="Downloads"),
    Route("DELETE", "/api/v1/packages/{packageId}/files/{fileId}",
          "chalicelib.licensing.api:delete_file",
          "Remove a file from a package (links already granted keep working)",
          permission="PACKAGE.UPDATE", returns="boolean", tag="Downloads"),
    Route("GET", "/api/v1/downloads", "chalicelib.licensing.api:my_downloads",
          "The caller's download links (with DOWNLOAD.READ, another user's)", returns="array",
          tag="Downloads", query=(Q("userId"),)),
    Route("GET", "/api/v1/downloads/{token}", "chalicelib.licensing.api:download",
          "Use a download link: counts one download and redirects (302) to the file",
          auth="none", brand=False, returns="redirect", status=302, tag="Downloads",
          answers=(410,)),  # withdrawn, expired or used up
]
