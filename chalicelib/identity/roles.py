"""Roles and permissions: built-in ones from code, custom ones per brand."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.identity import permissions
from chalicelib.identity.models import PermissionItem, RoleItem


def role_permissions(brand_id: str, role_id: str) -> list[str]:
    built_in = permissions.BUILT_IN_ROLES.get(role_id)
    if built_in:
        return built_in["permissions"]()
    try:
        return list(RoleItem.get(f"B#{brand_id}#ROLE#{role_id}", "ROLE").permissions or [])
    except DoesNotExist:
        return []


def custom_permissions(brand_id: str) -> list[dict]:
    return [
        {"id": p.id, "code": p.code, "name": p.name}
        for p in PermissionItem.gsi1.query(f"B#{brand_id}#PERMS")
    ]
