"""Identity handlers: users, passwords, user / role / permission administration, brands, the
user constants (routes.py).

The dispatcher has already resolved the brand, authenticated the caller, checked the route's
permission and validated the body; these call the services and shape replies. Every user, role
and permission lookup is keyed by ``ctx.brand_id``, so an id of another brand is simply not found
(404). Brand handlers narrow the caller's reach to their own brand and its descendants (the
platform's SuperAdmin reaches every brand); anything outside it is 404.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog import service as catalog  # noqa: F401 - users' packages (set_package_lookup)
from chalicelib.http import paging
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest, Forbidden
from chalicelib.identity import (
    access,
    brands,
    phoneverify,
    policy,
    recovery,
    roles,
    sessions,
    user_admin,
    users,
)
from chalicelib.identity.constants import USER_STATUSES, USER_TYPES

# -- registration, login, the caller ------------------------------------------------------------

def register(ctx: RequestContext) -> dict:
    b = ctx.body
    return users.register(
        ctx.brand, password=b.password, username=b.username, email_address=b.emailAddress,
        phone_number=b.phoneNumber, first_name=b.firstName, last_name=b.lastName,
        nick_name=b.nickName, referral_code=b.referralCode, time_zone_id=b.timeZoneId)


def login(ctx: RequestContext) -> dict:
    return users.authenticate(ctx.brand, ctx.body.username, ctx.body.password,
                              client_ip=ctx.source_ip)


def logout(ctx: RequestContext) -> bool:
    caller = ctx.caller
    sessions.revoke(caller.brand_id, caller.user_id, caller.session_id)
    return True


def me(ctx: RequestContext) -> dict:
    return users.to_dto(users.get_item(ctx.caller.brand_id, ctx.caller.user_id))


def brand_by_url(ctx: RequestContext) -> dict:
    return ctx.brand


# -- passwords: forgot, reset (by mailed token), change (logged in) ------------------------------

def forgot_password(ctx: RequestContext) -> bool:
    b = ctx.body
    return recovery.forgot_password(ctx.brand, b.emailAddress, b.resetPasswordLink)


def reset_password(ctx: RequestContext) -> bool:
    b = ctx.body
    return recovery.reset_password(ctx.brand, b.emailAddress, b.token, b.newPassword)


def change_password(ctx: RequestContext) -> bool:
    b = ctx.body
    caller = ctx.caller
    brand = ctx.brand
    if brand is None or brand["id"] != caller.brand_id:  # a platform admin in another brand
        brand = brands.get(caller.brand_id)
    return recovery.change_password(brand, caller.user_id, b.oldPassword, b.newPassword,
                                    b.confirmPassword, client_ip=ctx.source_ip)


# -- user, role and permission administration --------------------------------------------------

def _holder(ctx: RequestContext) -> frozenset[str]:
    assert ctx.caller is not None
    return access.effective_permissions(ctx.caller, ctx.brand_id)


# -- users --------------------------------------------------------------------------------------

def list_users(ctx: RequestContext) -> dict:
    return user_admin.list_users(ctx.brand_id, ctx.query)


def user_statistics(ctx: RequestContext) -> list[dict]:
    return user_admin.statistics(ctx.brand_id, ctx.query)


def get_user(ctx: RequestContext, id: str) -> dict:
    return user_admin.get_user(ctx.brand_id, id)


def user_by_username(ctx: RequestContext, username: str) -> dict:
    return user_admin.by_username(ctx.brand_id, username)


def users_by_list_id(ctx: RequestContext) -> list[dict]:
    return user_admin.by_ids(ctx.brand_id, ctx.query.get("ids") or [])


def update_user(ctx: RequestContext, id: str) -> dict:
    administers = access.has(ctx, "USER.UPDATE")
    if not administers:
        policy.require_self_or(ctx, id, "USER.UPDATE")
    return user_admin.update_user(ctx.caller, ctx.brand_id, id, ctx.body,
                                  as_owner=not administers)


def delete_user(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_status(ctx.caller, ctx.brand_id, id, "delete")


def activate_user(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_status(ctx.caller, ctx.brand_id, id, "activate")


def deactivate_user(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_status(ctx.caller, ctx.brand_id, id, "deactivate")


def lock_user(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_status(ctx.caller, ctx.brand_id, id, "lock")


def unlock_user(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_status(ctx.caller, ctx.brand_id, id, "unlock")


def suspend_user(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_status(ctx.caller, ctx.brand_id, id, "suspend")


def unsuspend_user(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_status(ctx.caller, ctx.brand_id, id, "unsuspend")


def set_user_type(ctx: RequestContext, id: str, type: str) -> bool:
    # The SDK sends its axios config as the body; there is nothing to read in it.
    return user_admin.change_type(ctx.caller, ctx.brand_id, id, type)


def set_user_password(ctx: RequestContext, id: str) -> bool:
    return user_admin.set_password(ctx.caller, ctx.brand, id, ctx.body.newPassword,
                                   ctx.body.confirmPassword)


def user_referees(ctx: RequestContext, id: str) -> list[dict]:
    policy.require_self_or(ctx, id, "USER.READ")
    return user_admin.referees(ctx.brand_id, id)


def apply_referral(ctx: RequestContext, id: str) -> bool:
    policy.require_self_or(ctx, id, "USER.UPDATE")
    return user_admin.apply_referral(ctx.brand_id, id, ctx.query["referralCode"])


def check_referral(ctx: RequestContext, code: str) -> bool:
    return user_admin.referral_code_exists(ctx.brand_id, code)


def user_roles(ctx: RequestContext, id: str) -> list[dict]:
    return user_admin.user_roles(ctx.brand_id, id)


def add_user_roles(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_user_roles(ctx.caller, _holder(ctx), ctx.brand_id, id,
                                        ctx.query.get("roleIds") or [], grant=True)


def remove_user_roles(ctx: RequestContext, id: str) -> bool:
    return user_admin.change_user_roles(ctx.caller, _holder(ctx), ctx.brand_id, id,
                                        ctx.query.get("roleIds") or [], grant=False)


def user_permissions(ctx: RequestContext, id: str) -> list[str]:
    return user_admin.user_permissions(ctx.brand_id, id)


# -- roles --------------------------------------------------------------------------------------

def _filtered(rows: list[dict], q: dict[str, Any], contains: tuple[str, ...]) -> list[dict]:
    if q.get("ids"):
        rows = [r for r in rows if r["id"] in q["ids"]]
    if q.get("type") in ("BuiltIn", "Custom"):  # None and All filter nothing
        rows = [r for r in rows if r["type"] == q["type"]]
    for name in contains:
        if q.get(name):
            rows = [r for r in rows if q[name].lower() in str(r.get(name) or "").lower()]
    return rows


def list_roles(ctx: RequestContext) -> dict:
    rows = _filtered(roles.all_roles(ctx.brand_id), ctx.query, ("code", "name", "description"))
    return paging.page(rows, ctx.query, sortable=("code", "name", "type"),
                       keyword_fields=("code", "name", "description", "tags"))


def get_role(ctx: RequestContext, id: str) -> dict:
    return roles.get_role(ctx.brand_id, id)


def create_role(ctx: RequestContext) -> dict:
    b = ctx.body
    return roles.create_role(ctx.brand_id, code=b.code, name=b.name, description=b.description,
                             tags=b.tags)


def update_role(ctx: RequestContext, id: str) -> dict:
    b = ctx.body
    return roles.update_role(ctx.brand_id, id, code=b.code, name=b.name,
                             description=b.description, tags=b.tags)


def delete_role(ctx: RequestContext, id: str) -> bool:
    return roles.delete_role(ctx.brand_id, id)


def role_permissions(ctx: RequestContext, id: str) -> list[dict]:
    return roles.role_permission_list(ctx.brand_id, id)


def grant_role_permissions(ctx: RequestContext, id: str) -> bool:
    return roles.change_role_permissions(ctx.brand_id, id, ctx.body.permissionIds, grant=True,
                                         holder=_holder(ctx))


def revoke_role_permissions(ctx: RequestContext, id: str) -> bool:
    return roles.change_role_permissions(ctx.brand_id, id, ctx.body.permissionIds, grant=False,
                                         holder=_holder(ctx))


def add_role_users(ctx: RequestContext, id: str) -> bool:
    return user_admin.add_role_to_users(ctx.caller, _holder(ctx), ctx.brand_id, id,
                                        ctx.body.userIds)


# -- permissions --------------------------------------------------------------------------------

def list_permissions(ctx: RequestContext) -> dict:
    rows = _filtered(roles.all_permissions(ctx.brand_id), ctx.query,
                     ("code", "name", "tags", "description"))
    if ctx.query.get("resourceTypeId"):
        rows = [r for r in rows if r["resourceTypeId"].lower()
                == ctx.query["resourceTypeId"].lower()]
    return paging.page(rows, ctx.query, sortable=("code", "tags", "type", "name"),
                       keyword_fields=("code", "name", "description", "tags"))


def get_permission(ctx: RequestContext, id: str) -> dict:
    return roles.get_permission(ctx.brand_id, id)


def create_permission(ctx: RequestContext) -> dict:
    b = ctx.body
    return roles.create_permission(ctx.brand_id, resource_type_id=b.resourceTypeId, code=b.code,
                                   name=b.name, description=b.description, tags=b.tags)


def update_permission(ctx: RequestContext, id: str) -> dict:
    b = ctx.body
    return roles.update_permission(ctx.brand_id, id, resource_type_id=b.resourceTypeId,
                                   code=b.code, name=b.name, description=b.description,
                                   tags=b.tags)


def delete_permission(ctx: RequestContext, id: str) -> bool:
    return roles.delete_permission(ctx.brand_id, id)


def permission_roles(ctx: RequestContext, id: str) -> list[dict]:
    return roles.permission_roles(ctx.brand_id, id)


def grant_permission_roles(ctx: RequestContext, id: str) -> bool:
    return roles.change_permission_roles(ctx.brand_id, id, ctx.body.roleIds, grant=True,
                                         holder=_holder(ctx))


def revoke_permission_roles(ctx: RequestContext, id: str) -> bool:
    return roles.change_permission_roles(ctx.brand_id, id, ctx.body.roleIds, grant=False,
                                         holder=_holder(ctx))


# -- brands ------------------------------------------------------------------------------------

def _within(ctx: RequestContext) -> str | None:
    """The brand whose subtree the caller may reach; None for the platform's SuperAdmin."""
    assert ctx.caller is not None
    return None if ctx.caller.is_platform_admin else ctx.caller.brand_id


def _sent(ctx: RequestContext) -> dict:
    """The body's fields that were sent (null included), as JFW names them."""
    return ctx.body.model_dump(include=ctx.body.model_fields_set)


def get_brand(ctx: RequestContext, id: str) -> dict:
    return brands.get(id, within=_within(ctx))


def list_brands(ctx: RequestContext) -> dict:
    return brands.list_brands(ctx.query, within=_within(ctx))


def create_brand(ctx: RequestContext) -> dict:
    if not access.is_platform_admin(ctx):
        raise Forbidden("Only the platform's SuperAdmin can create brands.",
                        code="PERMISSION_DENIED")
    b = ctx.body
    profile = b.profile.model_dump(exclude_none=True) if b.profile else {}
    return brands.create(name=b.name, abbr=b.abbr, description=b.description, tags=b.tags,
                         domain=b.setting.domain, profile=profile, parent_id=b.parentId)


def update_brand(ctx: RequestContext, id: str) -> bool:
    brands.update_info(id, _sent(ctx), within=_within(ctx))
    return True


def update_setting(ctx: RequestContext, id: str) -> bool:
    values = _sent(ctx)
    if "coinCurrencyCode" in values:
        # IBrand.setting shows the coin currency as currencyCode.
        values["currencyCode"] = values.pop("coinCurrencyCode")
    if not values:
        raise BadRequest("Send at least one setting to change.", field="body")
    brands.update_setting(id, values, within=_within(ctx))
    return True


def update_profile(ctx: RequestContext, id: str) -> bool:
    brands.update_profile(id, _sent(ctx), within=_within(ctx))
    return True


def delete_brand(ctx: RequestContext, id: str) -> bool:
    return brands.delete(id, within=_within(ctx))


def check_domain(ctx: RequestContext, domain: str) -> bool:
    try:
        host = brands.check_host(domain)
    except ValueError as e:
        raise BadRequest(f"domain {e}.", field="domain") from None
    return brands.domain_exists(host)


def add_domain(ctx: RequestContext, id: str) -> dict:
    return brands.add_domain(id, ctx.body.domain, ctx.body.type, within=_within(ctx))


def remove_domain(ctx: RequestContext, id: str, domainId: str) -> bool:
    return brands.remove_domain(id, domainId, within=_within(ctx))


# -- constants (``GET v1/constants/user/...``: JFW's enum names, as string[]) ------------------

def user_statuses(ctx: RequestContext) -> list[str]:
    return list(USER_STATUSES)


def user_types(ctx: RequestContext) -> list[str]:
    return list(USER_TYPES)


# -- phone number verification (phoneverify.py) --------------------------------------------------

def send_phone_code(ctx: RequestContext) -> bool:
    return phoneverify.send_code(ctx.brand_id, ctx.caller.user_id)


def verify_phone(ctx: RequestContext) -> dict:
    return phoneverify.verify(ctx.brand_id, ctx.caller.user_id, ctx.body.code)
