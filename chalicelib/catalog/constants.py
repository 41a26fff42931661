"""The catalogue's enums, with JFW v6.9.3 wire values (api-surface.md §21)."""

from __future__ import annotations

JFW_STATUSES = ("Inactive", "Active")  # package, feature (JFWStatus)
SUBSCRIPTION_TYPE_STATUSES = ("Inactive", "Active")
SUBSCRIPTION_TYPE_UNITS = ("Hour", "Day", "Week", "Month", "Year")
FEATURE_TYPES = ("Function", "Limitation")
RESET_POLICIES = ("Lifetime", "Daily", "Weekly", "Monthly", "Yearly", "Custom")
COUPON_STATUSES = ("Active", "Inactive", "Expired", "Deleted")

# JFW's Pricing Flow names four models. A price is "Subscription" (access for its subscription
# type's duration) or "OneTime" (access with no end); "freemium" is a package with isFree=true
# that users get without paying (no price above 0). "Usage" (metered, billed by invoicing) is
# reserved: the value is documented here and refused by the API until invoicing exists.
PRICING_MODELS = ("Subscription", "OneTime")
FUTURE_PRICING_MODELS = ("Usage",)

# JFW's predefined durations (reference.md §0.3.1): seeded for every brand, 90 days the default.
PREDEFINED_DAYS = (1, 3, 7, 14, 30, 90, 180, 365)
DEFAULT_PREDEFINED_DAYS = 90

# `GET v1/constants/<path>` served by this context: path -> values.
CONSTANTS: dict[str, tuple[str, ...]] = {
    "feature/types": FEATURE_TYPES,
    "feature/reset-policies": RESET_POLICIES,
    "coupon/status": COUPON_STATUSES,
    "package/status": JFW_STATUSES,
    "subscription-type/units": SUBSCRIPTION_TYPE_UNITS,
    "subscription-type/status": SUBSCRIPTION_TYPE_STATUSES,
    "price/pricing-models": PRICING_MODELS,
}
