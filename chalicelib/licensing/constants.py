"""Licensing enums (JFW v6.9.3 wire values, api-surface.md §21) and the brand settings it reads.

JFW does not publish its license sources; ours say where a license came from.
"""

from __future__ import annotations

LICENSE_STATUSES = ("NotStarted", "Expired", "Inactive", "Active", "Used")
LICENSE_TYPES = ("Normal", "Refunded", "Prepaid", "Postpaid", "MailDelivery")
# Manual: POST v1/licenses. Payment: issued for a paid price. Purchase: bought to hand out
# (v1/licenses/purchase/checkout-link). Wallet: reserved for the wallet issue.
LICENSE_SOURCES = ("Manual", "Payment", "Purchase", "Wallet")

# DeviceType / DeviceStatus (JFW v6.9.3 §17), and the status of a user's link to a device (ours).
DEVICE_TYPES = ("ChromeOS", "Desktop", "GoogleSync", "Mobile", "SmartDevice", "Unspecified",
                "Web")
DEVICE_STATUSES = ("Inactive", "Active", "Suspended", "Locked")
USER_DEVICE_STATUSES = ("Offline", "Online", "Deleted")

CONSTANTS: dict[str, tuple[str, ...]] = {
    "license/status": LICENSE_STATUSES,
    "license/types": LICENSE_TYPES,
    "license/sources": LICENSE_SOURCES,
}

# Brand settings (brand.setting), with their defaults; ``PUT v1/licenses/settings`` writes them.
DELIVERY_TYPES = ("Direct", "Mail")
CHANGE_POLICIES = ("Replace", "Queue")
PARTIAL_REFUND_POLICIES = ("Keep", "Revoke")
DEFAULT_SETTINGS: dict[str, object] = {
    "licenseDeliveryType": "Direct",   # Direct: applied to the buyer at once; Mail: code mailed
    "licenseChangePolicy": "Replace",  # another package: Replace now, or Queue after the current
    "licenseGraceDays": 0,             # days on the package after it expires
    "licenseReminderDays": [7, 1],     # "expiring soon" mails, days before the expiry
    # A partial refund: Keep the license (as Stripe and Paddle leave access alone), or Revoke
    # it as a full refund does. A full refund and a dispute always take it back.
    "licenseOnPartialRefund": "Keep",
}

# Bulk limits: POST v1/licenses writes up to 50 licenses per transaction (license + its code);
# a purchase is fulfilled in one transaction (2 items per license plus the fulfilment row).
MAX_BULK_QUANTITY = 1000
MAX_PURCHASE_QUANTITY = 40

# Package files uploaded inline (base64 in the request) stay under API Gateway's request limit
# (256 KiB): base64 of 180 KiB is 240 KiB. Larger files go through a presigned upload URL.
MAX_INLINE_BYTES = 180 * 1024
