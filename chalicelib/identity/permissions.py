"""Built-in permission codes (``RESOURCE.ACTION``, as JFW's ``USER.READ``) and built-in roles.

Later contexts add their resources to ``RESOURCES``; the built-in roles follow automatically.
"""

from __future__ import annotations

ACTIONS = ("CREATE", "READ", "UPDATE", "DELETE")

RESOURCES: dict[str, str] = {
    "BRAND": "Brands",
    "USER": "Users",
    "ROLE": "Roles",
    "PERMISSION": "Permissions",
    "DEVICE": "Devices",
    "EMAIL-TEMPLATE": "E-mail templates",
    "OUTBOX": "Outbox and sent mail",
    "PACKAGE": "Packages",
    "FEATURE": "Features",
    "SUBSCRIPTION-TYPE": "Subscription types",
    "PRICE": "Prices",
    "COUPON": "Coupons",
    "QUOTA": "Quota usage",
    "PAYMENT": "Payments",
    "GATEWAY": "Payment gateways",
    "NOTIFICATION": "Gateway notifications",
    "BLACKLIST": "Black list",
    "COMMISSION-RATE": "Commission rates",
    "LICENSE": "Licenses",
    "DOWNLOAD": "Digital downloads",
    "WALLET": "Wallets",
    "REDEEM-CODE": "Redeem codes",
    "EARNING-EVENT": "Wallet earning events",
    "EXCHANGE-RATE": "Exchange rates",
    "INVOICE": "Invoices",
    "EVENT": "Events (the brand's mail and text choices per event)",
    "WEBHOOK-ENDPOINT": "Webhook endpoints and their deliveries",
    "PHONE-TEMPLATE": "Text-message templates",
}


def built_in_codes() -> list[str]:
    return [f"{r}.{a}" for r in RESOURCES for a in ACTIONS]


# Creating top-level brands is the platform's; a brand's own admins never get it by type.
PLATFORM_ONLY = {"BRAND.CREATE"}

BUILT_IN_ROLES: dict[str, dict] = {
    "ADMIN": {"name": "Administrator", "description": "Every permission inside the brand.",
              "permissions": lambda: [c for c in built_in_codes() if c not in PLATFORM_ONLY]},
    "SUPPORT": {"name": "Support", "description": "Read everything; update users.",
                "permissions": lambda: [c for c in built_in_codes() if c.endswith(".READ")]
                + ["USER.UPDATE"]},
    "USER": {"name": "User", "description": "An end user: only their own account.",
             "permissions": lambda: []},
}

# User types that carry a role by themselves (JFW's UserType).
TYPE_ROLES = {"SuperAdmin": "ADMIN", "Admin": "ADMIN", "Partner": "USER", "EndUser": "USER"}
