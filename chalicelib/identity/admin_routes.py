"""User, role and permission administration and the user constants (JFW v6.9.3 paths).

Data only: see chalicelib/http/routing.py. Path parameters at the same position share one name
(``{id}``), as API Gateway requires of sibling routes.
"""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.http.statistics import QUERY as STATISTICS

H = "chalicelib.identity.admin_api:"
S = "chalicelib.identity.admin_schemas:"
U = "/api/v1/users"
R = "/api/v1/roles"
P = "/api/v1/permissions"

USER_TYPES = ("EndUser", "Partner", "Admin", "SuperAdmin")
USER_STATUSES = ("Inactive", "Active", "Deleted", "Suspended", "Locked")
TYPE_FILTER = ("None", "All", "BuiltIn", "Custom")

USER_FILTERS = (
    *PAGING,
    Q("ids", "array", description="Only these user ids."),
    Q("roleId", description="Users holding this role."),
    Q("code"), Q("username"), Q("emailAddress"), Q("phoneNumber"),
    Q("firstName"), Q("lastName"), Q("nickName"), Q("referralCode"),
    Q("userType", enum=USER_TYPES),
    Q("status", enum=USER_STATUSES, description="Deleted users show only with status=Deleted."),
    Q("testMode", "boolean"), Q("isEmailAddressVerified", "boolean"),
    Q("isUserVerified", "boolean"), Q("isSystem", "boolean"),
    Q("languageCode"), Q("timeZoneId"), Q("packageId"),
)
ROLE_FILTERS = (*PAGING, Q("ids", "array"), Q("code"), Q("name"), Q("description"),
                Q("type", enum=TYPE_FILTER))
PERMISSION_FILTERS = (*PAGING, Q("resourceTypeId"), Q("code"), Q("name"), Q("tags"),
                      Q("description"), Q("type", enum=TYPE_FILTER))
ROLE_IDS = (Q("roleIds", "array", required=True, description="roleIds[0]=..&roleIds[1]=.."),)


def _status(action: str, summary: str) -> Route:
    return Route("POST", f"{U}/{{id}}/{action}", f"{H}{action}_user", summary,
                 permission="USER.UPDATE", returns="boolean", tag="Users")


ROUTES = [
    # -- users
    Route("GET", U, H + "list_users", "List the brand's users", permission="USER.READ",
          query=USER_FILTERS, returns="page", tag="Users"),
    Route("GET", f"{U}/by-username/{{username}}", H + "user_by_username", "A user by username",
          permission="USER.READ", tag="Users"),
    Route("GET", f"{U}/by-list-id", H + "users_by_list_id", "Users by id (ids[0]=..)",
          permission="USER.READ", query=(Q("ids", "array", required=True),), returns="array",
          tag="Users"),
    Route("GET", f"{U}/statistics", H + "user_statistics",
          "Users registered per day or month: [{date, quantity}]", permission="USER.READ",
          query=STATISTICS, returns="array", tag="Users"),
    Route("GET", f"{U}/{{id}}", H + "get_user", "A user", permission="USER.READ", tag="Users"),
    Route("PUT", f"{U}/{{id}}", H + "update_user",
          "Edit a user's profile, username, e-mail (the user themselves, or USER.UPDATE)",
          body=S + "UpdateUserBody", tag="Users"),
    Route("DELETE", f"{U}/{{id}}", H + "delete_user",
          "Soft-delete a user; their Auth-Keys stop working", permission="USER.DELETE",
          returns="boolean", tag="Users"),
    _status("activate", "Inactive -> Active"),
    _status("deactivate", "Active -> Inactive; ends the user's sessions"),
    _status("lock", "Active/Inactive -> Locked; ends the user's sessions"),
    _status("unlock", "Locked -> Active"),
    _status("suspend", "Active/Inactive/Locked -> Suspended; ends the user's sessions"),
    _status("unsuspend", "Suspended -> Active"),
    Route("PUT", f"{U}/{{id}}/type/{{type}}", H + "set_user_type",
          "Set the user type (EndUser, Partner, Admin, SuperAdmin); the body is ignored",
          permission="USER.UPDATE", returns="boolean", tag="Users"),
    Route("PUT", f"{U}/{{id}}/change-password", H + "set_user_password",
          "An administrator sets a user's password; ends the user's sessions",
          permission="USER.UPDATE", body=S + "AdminSetPasswordBody", returns="boolean",
          tag="Users"),
    Route("GET", f"{U}/{{id}}/referees", H + "user_referees",
          "Users this user referred (the user themselves, or USER.READ)", returns="array",
          tag="Users"),
    Route("POST", f"{U}/{{id}}/referrals/apply", H + "apply_referral",
          "Link the user to a referrer, once (the user themselves, or USER.UPDATE)",
          query=(Q("referralCode", required=True),), returns="boolean", tag="Users"),
    Route("GET", f"{U}/{{id}}/roles", H + "user_roles", "The user's roles",
          permission="USER.READ", returns="array", tag="Users"),
    Route("POST", f"{U}/{{id}}/roles", H + "add_user_roles", "Give roles to a user",
          permission="USER.UPDATE", query=ROLE_IDS, returns="boolean", tag="Users"),
    Route("DELETE", f"{U}/{{id}}/roles", H + "remove_user_roles", "Take roles from a user",
          permission="USER.UPDATE", query=ROLE_IDS, returns="boolean", tag="Users"),
    Route("GET", f"{U}/{{id}}/permissions", H + "user_permissions",
          "The user's effective permission codes", permission="USER.READ", returns="strings",
          tag="Users"),
    # -- roles
    Route("GET", R, H + "list_roles", "Built-in and custom roles", permission="ROLE.READ",
          query=ROLE_FILTERS, returns="page", tag="Roles"),
    Route("POST", R, H + "create_role", "Create a custom role", permission="ROLE.CREATE",
          body=S + "RoleBody", tag="Roles"),
    Route("GET", f"{R}/{{id}}", H + "get_role", "A role", permission="ROLE.READ", tag="Roles"),
    Route("PUT", f"{R}/{{id}}", H + "update_role", "Edit a custom role",
          permission="ROLE.UPDATE", body=S + "RoleBody", tag="Roles"),
    Route("DELETE", f"{R}/{{id}}", H + "delete_role",
          "Delete a custom role that no user holds", permission="ROLE.DELETE",
          returns="boolean", tag="Roles"),
    Route("GET", f"{R}/{{id}}/permissions", H + "role_permissions", "A role's permissions",
          permission="ROLE.READ", returns="array", tag="Roles"),
    Route("POST", f"{R}/{{id}}/permissions", H + "grant_role_permissions",
          "Grant permissions to a custom role", permission="ROLE.UPDATE",
          body=S + "PermissionIdsBody", returns="boolean", tag="Roles"),
    Route("DELETE", f"{R}/{{id}}/permissions", H + "revoke_role_permissions",
          "Take permissions from a custom role (JSON body)", permission="ROLE.UPDATE",
          body=S + "PermissionIdsBody", returns="boolean", tag="Roles"),
    Route("POST", f"{R}/{{id}}/users", H + "add_role_users", "Give a role to users",
          permission="USER.UPDATE", body=S + "UserIdsBody", returns="boolean", tag="Roles"),
    # -- permissions
    Route("GET", P, H + "list_permissions", "Built-in and custom permissions",
          permission="PERMISSION.READ", query=PERMISSION_FILTERS, returns="page",
          tag="Permissions"),
    Route("POST", P, H + "create_permission", "Create a custom permission",
          permission="PERMISSION.CREATE", body=S + "PermissionBody", tag="Permissions"),
    Route("GET", f"{P}/{{id}}", H + "get_permission", "A permission",
          permission="PERMISSION.READ", tag="Permissions"),
    Route("PUT", f"{P}/{{id}}", H + "update_permission", "Edit a custom permission",
          permission="PERMISSION.UPDATE", body=S + "PermissionBody", tag="Permissions"),
    Route("DELETE", f"{P}/{{id}}", H + "delete_permission",
          "Delete a custom permission no role holds", permission="PERMISSION.DELETE",
          returns="boolean", tag="Permissions"),
    Route("GET", f"{P}/{{id}}/roles", H + "permission_roles", "Roles holding a permission",
          permission="PERMISSION.READ", returns="array", tag="Permissions"),
    Route("POST", f"{P}/{{id}}/roles", H + "grant_permission_roles",
          "Grant a permission to custom roles", permission="ROLE.UPDATE",
          body=S + "RoleIdsBody", returns="boolean", tag="Permissions"),
    Route("DELETE", f"{P}/{{id}}/roles", H + "revoke_permission_roles",
          "Take a permission from custom roles (JSON body)", permission="ROLE.UPDATE",
          body=S + "RoleIdsBody", returns="boolean", tag="Permissions"),
    # -- constants
    Route("GET", "/api/v1/constants/user/status", "chalicelib.identity.constants:user_statuses",
          "UserStatus names", auth="none", brand=False, returns="strings", tag="Constants"),
    Route("GET", "/api/v1/constants/user/types", "chalicelib.identity.constants:user_types",
          "UserType names", auth="none", brand=False, returns="strings", tag="Constants"),
]
