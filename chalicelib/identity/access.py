"""Who is asking, for which brand, and may they: the checks every route runs first."""

from __future__ import annotations

from urllib.parse import urlsplit

from chalicelib import settings
from chalicelib.http.context import Caller, RequestContext
from chalicelib.http.errors import BadRequest, Forbidden, Unauthorized
from chalicelib.identity import brands, models, permissions, roles, sessions

# The host -> brand cache lives with the brands that clear it (brands.py).
clear_cache = brands.clear_cache


def normalise_host(value: str | None) -> str | None:
    """``https://Demo.Example.com:443/x`` -> ``demo.example.com``; None when nothing usable."""
    if not value or value.strip().lower() in ("null", "undefined"):
        return None
    v = value.strip()
    if "://" not in v:
        v = "//" + v
    try:
        host = urlsplit(v).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def resolve_brand(headers: dict[str, str]) -> dict:
    """The brand a request is for: ``Brand-URL``, else Origin, else Referer (JFW clients)."""
    host = None
    for name in ("brand-url", "origin", "referer"):
        host = normalise_host(headers.get(name))
        if host:
            break
    if not host:
        raise BadRequest("Send the Brand-URL header (your brand's domain) to say which brand "
                         "this request is for.", code="BRAND_REQUIRED", field="Brand-URL")
    return brands.by_host(host)


def authenticate(ctx: RequestContext, required: bool = True) -> Caller | None:
    key = ctx.header("auth-key")
    if not key:
        if required:
            raise Unauthorized("Send the Auth-Key header that POST v1/users/auth returned.",
                               code="AUTH_KEY_REQUIRED")
        return None
    caller = sessions.caller_for_key(key)
    if caller is None:
        raise Unauthorized("The Auth-Key is invalid, expired or revoked; log in again.",
                           code="AUTH_KEY_INVALID")
    if not caller_may_use_brand(caller, ctx.brand):
        raise Unauthorized("This Auth-Key belongs to another brand.", code="AUTH_KEY_WRONG_BRAND")
    ctx.caller = caller
    return caller


def caller_may_use_brand(caller: Caller, brand: dict | None) -> bool:
    if brand is None or caller.is_platform_admin or caller.brand_id == brand["id"]:
        return True
    return False


def effective_permissions(caller: Caller, brand_id: str) -> frozenset[str]:
    """Permission codes the caller holds inside ``brand_id``."""
    if caller.is_platform_admin:
        return frozenset(permissions.built_in_codes()) | _custom_codes(brand_id)
    if caller.brand_id != brand_id:
        return frozenset()
    if caller.permissions is not None:
        return caller.permissions
    codes: set[str] = set()
    for role_id in [permissions.TYPE_ROLES.get(caller.user_type, "USER"), *caller.role_ids]:
        codes |= set(roles.role_permissions(brand_id, role_id))
    if caller.user_type in ("SuperAdmin", "Admin"):
        codes |= _custom_codes(brand_id)
    caller.permissions = frozenset(codes)
    return caller.permissions


def _custom_codes(brand_id: str) -> frozenset[str]:
    return frozenset(p["code"] for p in roles.custom_permissions(brand_id))


def require(ctx: RequestContext, permission: str) -> None:
    caller = ctx.caller
    if caller is None:
        raise Unauthorized("Send the Auth-Key header that POST v1/users/auth returned.",
                           code="AUTH_KEY_REQUIRED")
    if permission not in effective_permissions(caller, ctx.brand_id):
        raise Forbidden(f"You need the permission {permission} for this.",
                        code="PERMISSION_DENIED")


def has(ctx: RequestContext, permission: str) -> bool:
    return ctx.caller is not None and permission in effective_permissions(ctx.caller,
                                                                          ctx.brand_id)


def is_platform_admin(ctx: RequestContext) -> bool:
    return bool(ctx.caller and ctx.caller.is_platform_admin)


def stage() -> str:
    return settings.get().stage


__all__ = ["models"]
