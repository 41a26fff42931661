"""Roles and permissions: built-in ones from code (permissions.py), custom ones per brand.

Ids: a built-in role's id is its code (``ADMIN``) and a built-in permission's id is its code
(``USER.READ``); custom ones get generated ids. A custom role stores permission *ids*, so a
custom permission's code can be renamed without rewriting roles; ``role_permissions`` turns ids
into codes. Codes are unique per brand through a claim item (``ROLECODE`` / ``PERMCODE``)
written in the same transaction as the role or permission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.identity import permissions
from chalicelib.identity.models import PermissionItem, RoleItem, UniqueItem, UserItem
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

ROLE_TYPES = ("BuiltIn", "Custom")


def role_key(brand_id: str, role_id: str) -> tuple[str, str]:
    return f"B#{brand_id}#ROLE#{role_id}", "ROLE"


def permission_key(brand_id: str, permission_id: str) -> tuple[str, str]:
    return f"B#{brand_id}#PERM#{permission_id}", "PERMISSION"


def _claim_key(brand_id: str, kind: str, code: str) -> tuple[str, str]:
    return f"B#{brand_id}#{kind}#{code.strip().lower()}", "UNIQUE"


# -- what access.py asks on every permission check ----------------------------------------------

def role_permissions(brand_id: str, role_id: str) -> list[str]:
    """The permission codes a role grants (empty for an unknown role)."""
    built_in = permissions.BUILT_IN_ROLES.get(role_id)
    if built_in:
        return built_in["permissions"]()
    item = _find_role(brand_id, role_id)
    return _codes(brand_id, item.permissions) if item else []


def custom_permissions(brand_id: str) -> list[dict]:
    return [permission_dto(p) for p in _custom_permission_items(brand_id)]


# -- shapes (IRole, IPermission) ----------------------------------------------------------------

def built_in_role_dto(code: str) -> dict:
    role = permissions.BUILT_IN_ROLES[code]
    return {"id": code, "createdDate": None, "modifiedDate": None, "parentBrandId": None,
            "brandId": None, "guid": code, "code": code, "name": role["name"],
            "description": role["description"], "tags": None, "type": "BuiltIn",
            "permissions": role["permissions"]()}


def role_dto(item: RoleItem, codes: list[str]) -> dict:
    return {"id": item.id, "createdDate": item.created_date, "modifiedDate": item.modified_date,
            "parentBrandId": None, "brandId": _brand_of(item.pk), "guid": item.id,
            "code": item.code, "name": item.name, "description": item.description,
            "tags": item.tags, "type": "Custom", "permissions": codes}


def built_in_permission_dto(code: str) -> dict:
    resource, _, action = code.rpartition(".")
    return {"id": code, "createdDate": None, "modifiedDate": None, "parentBrandId": None,
            "brandId": None, "resourceTypeId": resource, "guid": code, "code": code,
            "name": f"{permissions.RESOURCES.get(resource, resource)}: {action.lower()}",
            "description": None, "tags": None, "type": "BuiltIn"}


def permission_dto(item: PermissionItem) -> dict:
    return {"id": item.id, "createdDate": item.created_date, "modifiedDate": item.modified_date,
            "parentBrandId": None, "brandId": _brand_of(item.pk),
            "resourceTypeId": item.resource_type_id, "guid": item.id, "code": item.code,
            "name": item.name, "description": item.description, "tags": item.tags,
            "type": "Custom"}


def _brand_of(pk: str) -> str:
    return pk.split("#")[1]


# -- reading ------------------------------------------------------------------------------------

def _find_role(brand_id: str, role_id: str) -> RoleItem | None:
    try:
        return RoleItem.get(*role_key(brand_id, role_id))
    except DoesNotExist:
        return None


def _custom_role_items(brand_id: str) -> list[RoleItem]:
    return list(RoleItem.gsi1.query(f"B#{brand_id}#ROLES"))


def _custom_permission_items(brand_id: str) -> list[PermissionItem]:
    return list(PermissionItem.gsi1.query(f"B#{brand_id}#PERMS"))


def _codes(brand_id: str, permission_ids: Iterable[str],
           custom: dict[str, str] | None = None) -> list[str]:
    """Permission ids -> codes; ids of deleted custom permissions drop out."""
    built_in = set(permissions.built_in_codes())
    wanted = list(permission_ids or [])
    if custom is None and any(p not in built_in for p in wanted):
        custom = {p.id: p.code for p in _custom_permission_items(brand_id)}
    custom = custom or {}
    return [p if p in built_in else custom[p] for p in wanted if p in built_in or p in custom]


def all_roles(brand_id: str) -> list[dict]:
    """Built-in roles, then the brand's custom roles."""
    items = _custom_role_items(brand_id)
    custom = {p.id: p.code for p in _custom_permission_items(brand_id)} if items else {}
    return ([built_in_role_dto(c) for c in permissions.BUILT_IN_ROLES]
            + [role_dto(i, _codes(brand_id, i.permissions, custom)) for i in items])


def roles_by_id(brand_id: str) -> dict[str, dict]:
    return {r["id"]: r for r in all_roles(brand_id)}


def get_role(brand_id: str, role_id: str) -> dict:
    if role_id in permissions.BUILT_IN_ROLES:
        return built_in_role_dto(role_id)
    item = _role_item(brand_id, role_id)
    return role_dto(item, _codes(brand_id, item.permissions))


def _role_item(brand_id: str, role_id: str) -> RoleItem:
    item = _find_role(brand_id, role_id)
    if item is None:
        raise NotFound("Role not found.", code="ROLE_NOT_FOUND")
    return item


def _custom_role_item(brand_id: str, role_id: str) -> RoleItem:
    if role_id in permissions.BUILT_IN_ROLES:
        raise BadRequest(f"The built-in role {role_id} can't be changed; create a custom role "
                         "(POST v1/roles) instead.", code="BUILT_IN_READ_ONLY")
    return _role_item(brand_id, role_id)


def describe_roles(brand_id: str, role_ids: Iterable[str]) -> list[dict]:
    """IRole for each id that exists (built-in or the brand's), in the given order."""
    role_ids = list(role_ids or [])
    custom_ids = [r for r in role_ids if r not in permissions.BUILT_IN_ROLES]
    found: dict[str, dict] = {}
    if custom_ids:
        items = list(RoleItem.batch_get([role_key(brand_id, r) for r in custom_ids]))
        custom = None
        built_in = set(permissions.built_in_codes())
        if any(p not in built_in for i in items for p in i.permissions):
            custom = {p.id: p.code for p in _custom_permission_items(brand_id)}
        found = {i.id: role_dto(i, _codes(brand_id, i.permissions, custom)) for i in items}
    return [built_in_role_dto(r) if r in permissions.BUILT_IN_ROLES else found[r]
            for r in role_ids if r in permissions.BUILT_IN_ROLES or r in found]


def resolve_roles(brand_id: str, role_ids: Iterable[str], field: str = "roleIds") -> list[dict]:
    """IRole for each id; any id that is not a role of this brand is a 400."""
    wanted = list(dict.fromkeys(role_ids))
    found = describe_roles(brand_id, wanted)
    missing = [r for r in wanted if r not in {f["id"] for f in found}]
    if missing:
        raise BadRequest(f"Unknown role id(s): {', '.join(missing)}. Use the ids GET v1/roles "
                         "returns.", code="ROLE_NOT_FOUND", field=field)
    return found


def require_grantable(codes: Iterable[str], holder: frozenset[str]) -> None:
    """Nobody hands out a permission they don't hold themselves."""
    missing = sorted(set(codes) - holder)
    if missing:
        raise Forbidden("You can only grant permissions you hold yourself; you lack "
                        f"{', '.join(missing)}.", code="PERMISSION_ESCALATION")


# -- role writes --------------------------------------------------------------------------------

def set_or_remove(attr: Any, value: Any) -> Any:
    """A pynamodb update action: set the value, or remove the attribute for None."""
    return attr.remove() if value is None else attr.set(value)


def create_role(brand_id: str, *, code: str, name: str, description: str | None = None,
                tags: str | None = None) -> dict:
    _check_role_code(code)
    now = settings.now()
    role_id = ids.new_id()
    item = RoleItem(*role_key(brand_id, role_id), id=role_id, code=code, name=name,
                    description=description, tags=tags, permissions=[], created_date=now,
                    modified_date=now, gsi1pk=f"B#{brand_id}#ROLES",
                    gsi1sk=f"{now.isoformat()}#{role_id}")
    try:
        with transaction() as tx:
            tx.save(item, condition=RoleItem.pk.does_not_exist())
            tx.save(UniqueItem(*_claim_key(brand_id, "ROLECODE", code), user_id=role_id),
                    condition=UniqueItem.pk.does_not_exist())
    except ConditionFailed:
        raise _code_taken("role", code) from None
    return role_dto(item, [])


def update_role(brand_id: str, role_id: str, *, code: str, name: str,
                description: str | None = None, tags: str | None = None) -> dict:
    item = _custom_role_item(brand_id, role_id)
    actions = [RoleItem.code.set(code), RoleItem.name.set(name),
               set_or_remove(RoleItem.description, description),
               set_or_remove(RoleItem.tags, tags),
               RoleItem.modified_date.set(settings.now())]
    _rename(item, RoleItem, "ROLECODE", code, actions, brand_id, "role", _check_role_code)
    return get_role(brand_id, role_id)


def delete_role(brand_id: str, role_id: str) -> bool:
    item = _custom_role_item(brand_id, role_id)
    holders = [u for u in UserItem.gsi1.query(f"B#{brand_id}#USERS",
                                              filter_condition=UserItem.role_ids.contains(role_id))
               if u.status != "Deleted"]
    if holders:
        raise Conflict(f"The role {item.code} is held by {len(holders)} user(s); take it from "
                       "them first (DELETE v1/users/{id}/roles?roleIds[0]=" + role_id + ").",
                       code="ROLE_IN_USE")
    try:
        with transaction() as tx:
            tx.delete(item, condition=RoleItem.pk.exists())
            tx.delete(UniqueItem(*_claim_key(brand_id, "ROLECODE", item.code)))
    except ConditionFailed:
        raise NotFound("Role not found.", code="ROLE_NOT_FOUND") from None
    return True


def _check_role_code(code: str) -> None:
    if code.upper() in permissions.BUILT_IN_ROLES:
        raise Conflict(f"The role code '{code}' is a built-in role's; choose another code.",
                       code="ROLE_CODE_TAKEN", field="code")


def _code_taken(kind: str, code: str) -> Conflict:
    return Conflict(f"A {kind} with the code '{code}' already exists in this brand.",
                    code=f"{kind.upper()}_CODE_TAKEN", field="code")


def _rename(item: Any, model: Any, kind: str, code: str, actions: list, brand_id: str,
            label: str, check: Callable[[str], None]) -> None:
    """Apply ``actions``; when the code changes, move its claim in the same transaction."""
    renamed = code.lower() != item.code.lower()
    if renamed:
        check(code)
    try:
        with transaction() as tx:
            tx.update(item, actions, condition=model.code == item.code)
            if renamed:
                tx.save(UniqueItem(*_claim_key(brand_id, kind, code), user_id=item.id),
                        condition=UniqueItem.pk.does_not_exist())
                tx.delete(UniqueItem(*_claim_key(brand_id, kind, item.code)))
    except ConditionFailed as e:
        # Reasons come in the order operations were added (store/tx.py): the update is first.
        if e.failed(0):
            raise Conflict(f"The {label} was changed meanwhile; reload it and try again.",
                           code="CONCURRENT_UPDATE") from None
        raise _code_taken(label, code) from None


# -- grants ---------------------------------------------------------------------------------------

def resolve_permission_ids(brand_id: str, permission_ids: Iterable[str],
                           field: str = "permissionIds") -> dict[str, str]:
    """{id: code} for built-in codes and the brand's custom permission ids; unknown ids -> 400."""
    wanted = list(dict.fromkeys(permission_ids))
    built_in = set(permissions.built_in_codes())
    out = {p: p for p in wanted if p in built_in}
    others = [p for p in wanted if p not in built_in]
    if others:
        items = PermissionItem.batch_get([permission_key(brand_id, p) for p in others])
        out.update({i.id: i.code for i in items})
    missing = [p for p in wanted if p not in out]
    if missing:
        raise BadRequest(f"Unknown permission id(s): {', '.join(missing)}. Use the ids "
                         "GET v1/permissions returns.", code="PERMISSION_NOT_FOUND", field=field)
    return out


def role_permission_list(brand_id: str, role_id: str) -> list[dict]:
    codes = set(get_role(brand_id, role_id)["permissions"])
    return [p for p in all_permissions(brand_id) if p["code"] in codes]


def change_role_permissions(brand_id: str, role_id: str, permission_ids: list[str], *,
                            grant: bool, holder: frozenset[str]) -> bool:
    item = _custom_role_item(brand_id, role_id)
    found = resolve_permission_ids(brand_id, permission_ids)
    if grant:
        require_grantable(found.values(), holder)
    _write_role_permissions(brand_id, [(item, list(found), grant)])
    return True


def change_permission_roles(brand_id: str, permission_id: str, role_ids: list[str], *,
                            grant: bool, holder: frozenset[str]) -> bool:
    """POST/DELETE v1/permissions/{id}/roles: the same grant, seen from the permission."""
    code = get_permission(brand_id, permission_id)["code"]
    wanted = list(dict.fromkeys(role_ids))
    built_in = [r for r in wanted if r in permissions.BUILT_IN_ROLES]
    if built_in:
        raise BadRequest(f"Built-in roles can't be changed: {', '.join(built_in)}.",
                         code="BUILT_IN_READ_ONLY", field="roleIds")
    items = {i.id: i for i in RoleItem.batch_get([role_key(brand_id, r) for r in wanted])}
    missing = [r for r in wanted if r not in items]
    if missing:
        raise BadRequest(f"Unknown role id(s): {', '.join(missing)}.", code="ROLE_NOT_FOUND",
                         field="roleIds")
    if grant:
        require_grantable([code], holder)
    _write_role_permissions(brand_id, [(items[r], [permission_id], grant) for r in wanted])
    return True


def _write_role_permissions(brand_id: str,
                            changes: list[tuple[RoleItem, list[str], bool]]) -> None:
    """One transaction: each role's new list, conditional on the list it was read with, and
    every custom permission granted still existing."""
    now = settings.now()
    checked: set[str] = set()
    built_in = set(permissions.built_in_codes())
    try:
        with transaction() as tx:
            for item, perm_ids, grant in changes:
                old = list(item.permissions or [])
                new = list(dict.fromkeys(old + perm_ids)) if grant else [
                    p for p in old if p not in perm_ids]
                tx.update(item, [RoleItem.permissions.set(new), RoleItem.modified_date.set(now)],
                          condition=RoleItem.permissions == old)
                if grant:
                    checked |= {p for p in perm_ids if p not in built_in}
            for p in sorted(checked):
                tx.condition_check(PermissionItem, *permission_key(brand_id, p),
                                   condition=PermissionItem.pk.exists())
    except ConditionFailed:
        raise Conflict("A role or permission changed meanwhile; reload and try again.",
                       code="CONCURRENT_UPDATE") from None


# -- permissions ----------------------------------------------------------------------------------

def all_permissions(brand_id: str) -> list[dict]:
    return ([built_in_permission_dto(c) for c in permissions.built_in_codes()]
            + custom_permissions(brand_id))


def get_permission(brand_id: str, permission_id: str) -> dict:
    if permission_id in permissions.built_in_codes():
        return built_in_permission_dto(permission_id)
    return permission_dto(_permission_item(brand_id, permission_id))


def _permission_item(brand_id: str, permission_id: str) -> PermissionItem:
    try:
        return PermissionItem.get(*permission_key(brand_id, permission_id))
    except DoesNotExist:
        raise NotFound("Permission not found.", code="PERMISSION_NOT_FOUND") from None


def _custom_permission_item(brand_id: str, permission_id: str) -> PermissionItem:
    if permission_id in permissions.built_in_codes():
        raise BadRequest(f"The built-in permission {permission_id} can't be changed; create a "
                         "custom permission (POST v1/permissions) instead.",
                         code="BUILT_IN_READ_ONLY")
    return _permission_item(brand_id, permission_id)


def _check_permission_code(code: str) -> None:
    if code in permissions.built_in_codes():
        raise Conflict(f"The permission code '{code}' is built in; choose another code.",
                       code="PERMISSION_CODE_TAKEN", field="code")


def create_permission(brand_id: str, *, resource_type_id: str, code: str, name: str,
                      description: str | None = None, tags: str | None = None) -> dict:
    code = code.upper()
    _check_permission_code(code)
    now = settings.now()
    perm_id = ids.new_id()
    item = PermissionItem(*permission_key(brand_id, perm_id), id=perm_id, code=code, name=name,
                          resource_type_id=resource_type_id.upper(), description=description,
                          tags=tags, created_date=now, modified_date=now,
                          gsi1pk=f"B#{brand_id}#PERMS", gsi1sk=f"{now.isoformat()}#{perm_id}")
    try:
        with transaction() as tx:
            tx.save(item, condition=PermissionItem.pk.does_not_exist())
            tx.save(UniqueItem(*_claim_key(brand_id, "PERMCODE", code), user_id=perm_id),
                    condition=UniqueItem.pk.does_not_exist())
    except ConditionFailed:
        raise _code_taken("permission", code) from None
    return permission_dto(item)


def update_permission(brand_id: str, permission_id: str, *, resource_type_id: str, code: str,
                      name: str, description: str | None = None,
                      tags: str | None = None) -> dict:
    item = _custom_permission_item(brand_id, permission_id)
    code = code.upper()
    actions = [PermissionItem.code.set(code), PermissionItem.name.set(name),
               PermissionItem.resource_type_id.set(resource_type_id.upper()),
               set_or_remove(PermissionItem.description, description),
               set_or_remove(PermissionItem.tags, tags),
               PermissionItem.modified_date.set(settings.now())]
    _rename(item, PermissionItem, "PERMCODE", code, actions, brand_id, "permission",
            _check_permission_code)
    return get_permission(brand_id, permission_id)


def delete_permission(brand_id: str, permission_id: str) -> bool:
    item = _custom_permission_item(brand_id, permission_id)
    holders = [r.code for r in _custom_role_items(brand_id) if permission_id in r.permissions]
    if holders:
        raise Conflict(f"The permission {item.code} is granted to the role(s) "
                       f"{', '.join(holders)}; take it from them first "
                       "(DELETE v1/roles/{id}/permissions).", code="PERMISSION_IN_USE")
    try:
        with transaction() as tx:
            tx.delete(item, condition=PermissionItem.pk.exists())
            tx.delete(UniqueItem(*_claim_key(brand_id, "PERMCODE", item.code)))
    except ConditionFailed:
        raise NotFound("Permission not found.", code="PERMISSION_NOT_FOUND") from None
    return True


def permission_roles(brand_id: str, permission_id: str) -> list[dict]:
    code = get_permission(brand_id, permission_id)["code"]
    return [r for r in all_roles(brand_id) if code in r["permissions"]]

