"""Licensing enums (JFW v6.9.3 wire values, api-surface.md §21) and the brand settings it reads.

JFW does not publish its license sources; ours say where a license came from.
"""

from __future__ import annotations

LICENSE_STATUSES = ("NotStarted", "Expired", "Inactive", "Active", "Used")
LICENSE_TYPES = ("Normal", "Refunded", "Prepaid", "Postpaid", "MailDelivery")
# Manual: POST v1/licenses. Payment: issued for a paid price. Purchase: bought to hand out
# (v1/licenses/purchase/checkout-link). Wallet: reserved for the wallet issue.
LICENSE_SOURCES = ("Manual", "Payment", "Purchase", "Wallet")

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
