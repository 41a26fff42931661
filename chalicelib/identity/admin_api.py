"""Handlers of the user, role and permission admin routes (admin_routes.py).

The dispatcher has already resolved the brand, authenticated the caller, checked the route's
permission and validated the body; these call the services and shape replies. Every lookup is
keyed by ``ctx.brand_id``, so an id of another brand is simply not found (404).
"""

from __future__ import annotations

from typing import Any

from chalicelib.http import paging
from chalicelib.http.context import RequestContext
from chalicelib.identity import access, roles, user_admin


def _holder(ctx: RequestContext) -> frozenset[str]:
    assert ctx.caller is not None
    return access.effective_permissions(ctx.caller, ctx.brand_id)


def _self_or(ctx: RequestContext, user_id: str, permission: str) -> None:
    """Self-service routes: a user acts on their own account, anyone else needs ``permission``."""
    caller = ctx.caller
    if not (caller and caller.user_id == user_id and caller.brand_id == ctx.brand_id):
        access.require(ctx, permission)


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
        _self_or(ctx, id, "USER.UPDATE")
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
    _self_or(ctx, id, "USER.READ")
    return user_admin.referees(ctx.brand_id, id)


def apply_referral(ctx: RequestContext, id: str) -> bool:
    _self_or(ctx, id, "USER.UPDATE")
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
