"""Identity's enum names (JFW's), in one place: the users rules, the routes' query enums and
``GET v1/constants/user/...`` all read them. Data only: the route table imports this at cold
start."""

USER_TYPES = ("EndUser", "Partner", "Admin", "SuperAdmin")
USER_STATUSES = ("Inactive", "Active", "Deleted", "Suspended", "Locked")
# ``type`` filter of the role and permission lists.
TYPE_FILTER = ("None", "All", "BuiltIn", "Custom")
BRAND_STATUSES = ("Active", "Inactive")
