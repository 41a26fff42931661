"""Device routes (JFW v6.9.3 §17). Data only: see chalicelib/http/routing.py.

``{id}`` names the user in ``v1/users/{id}/devices...`` (JFW writes ``{userId}``): API Gateway
allows one variable name per path level, and ``v1/users/{id}`` came first. Permissions are
checked in device_api.py, because a user may act on their own devices without any.
"""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.http.statistics import QUERY as STATISTICS

H = "chalicelib.licensing.device_api:"
S = "chalicelib.licensing.device_schemas:"
DEV = "/api/v1/devices"
USER_DEVICES = "/api/v1/users/{id}/devices"
TYPES = ("ChromeOS", "Desktop", "GoogleSync", "Mobile", "SmartDevice", "Unspecified", "Web")
STATUSES = ("Inactive", "Active", "Suspended", "Locked")

ROUTES = [
    Route("GET", DEV + "/check-user-access", H + "check_user_access",
          "Whether the user's device has access (linked, active, within the package's device "
          "limit)", returns="boolean", tag="Devices",
          query=(Q("userId", required=True), Q("deviceCode", required=True))),
    Route("GET", DEV, H + "list_devices",
          "The brand's devices (DEVICE.READ), or the caller's own", returns="page",
          tag="Devices", query=(*PAGING, Q("userId"), Q("type", enum=TYPES), Q("code"),
                                Q("name"), Q("isMobileApp", "boolean"),
                                Q("testMode", "boolean"), Q("status", enum=STATUSES))),
    Route("GET", DEV + "/current", H + "current",
          "The caller's device named by the X-Device-Code header (IDeviceUser)", tag="Devices",
          query=(Q("deviceCode", description="Instead of the X-Device-Code header."),)),
    Route("GET", DEV + "/by-code/{deviceCode}", H + "get_by_code", "A device by its code",
          tag="Devices"),
    Route("GET", DEV + "/by-list-code", H + "by_list_code",
          "Devices by their codes (unknown or unseen codes are left out)", returns="array",
          tag="Devices", query=(Q("codes", "array", required=True,
                                  description="codes[0]=a&codes[1]=b, at most 100."),)),
    Route("POST", DEV + "/refresh-token", H + "refresh_token",
          "Replace an app's rotated push token on the caller's linked devices",
          body=S + "RefreshTokenBody", returns="boolean", tag="Devices"),
    Route("GET", DEV + "/statistics", H + "statistics",
          "Devices registered per day or month of a range ([{date, quantity}])",
          permission="DEVICE.READ", returns="array", tag="Devices", query=STATISTICS),
    Route("GET", DEV + "/{id}", H + "get_device", "A device", tag="Devices"),
    Route("POST", DEV, H + "create_device",
          "Register a device (its code is unique in the brand)", body=S + "DeviceBody",
          tag="Devices"),
    Route("PUT", DEV + "/{id}", H + "update_device", "Rename a device or change its status",
          body=S + "DeviceUpdateBody", tag="Devices"),
    Route("DELETE", DEV + "/{id}", H + "delete_device",
          "Soft-delete a device: its code is released and its links give no access",
          returns="boolean", tag="Devices"),
    Route("POST", USER_DEVICES + "/{deviceId}", H + "link_device",
          "Link a device to a user (a login), keeping the app's push token; beyond the "
          "package's device limit the device with the oldest login loses its access (GET "
          "v1/users/{userId}/devices shows it Offline)", body=S + "LinkBody", returns="boolean",
          tag="Devices"),
    Route("DELETE", USER_DEVICES + "/{deviceId}", H + "unlink_device",
          "Unlink a device from a user", returns="boolean", tag="Devices"),
    Route("GET", USER_DEVICES, H + "user_devices", "A user's devices (IDeviceUser[])",
          returns="array", tag="Devices"),
    Route("GET", "/api/v1/constants/device/types", H + "device_types", "DeviceType values",
          auth="none", returns="strings", tag="Constants"),
]
