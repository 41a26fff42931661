"""Who is asking, for which brand, and may they: the checks every route runs first."""

from __future__ import annotations

import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from chalicelib import settings
from chalicelib.http.context import Caller, RequestContext
from chalicelib.http.errors import BadRequest, Forbidden, NotFound, Unauthorized
from chalicelib.identity import models, permissions

# Brands change rarely and every request needs one: a warm Lambda keeps host -> brand for a short
# while. A brand's own writes clear the entry; another container sees a change within the TTL.
BRAND_CACHE_SECONDS = 30.0
_brand_cache: dict[str, tuple[float, dict]] = {}


def clear_cache() -> None:
    _brand_cache.clear()


def forget_hosts(hosts: Iterable[str]) -> None:
    """A brand changed: its hosts are read afresh on their next request in this container."""
    for host in hosts:
        _brand_cache.pop(host, None)


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
    return brand_by_host(host)


def brand_by_host(host: str) -> dict:
    from chalicelib.identity import brands

    hit = _brand_cache.get(host)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    brand = brands.find_by_host(host)
    if brand is None:
        raise NotFound(f"No brand is registered for the domain '{host}'.", code="BRAND_NOT_FOUND",
                       field="Brand-URL")
    if brand["status"] != "Active":
        raise Forbidden(f"The brand for '{host}' is inactive.", code="BRAND_INACTIVE")
    _brand_cache[host] = (time.monotonic() + BRAND_CACHE_SECONDS, brand)
    return brand


def parse_auth_key(key: str) -> tuple[str, str, str] | None:
    parts = key.strip().split(".")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def authenticate(ctx: RequestContext, required: bool = True) -> Caller | None:
    key = ctx.header("auth-key")
    if not key:
        if required:
            raise Unauthorized("Send the Auth-Key header that POST v1/users/auth returned.",
                               code="AUTH_KEY_REQUIRED")
        return None
    from chalicelib.identity import sessions

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
    from chalicelib.identity import roles

    codes: set[str] = set()
    for role_id in [permissions.TYPE_ROLES.get(caller.user_type, "USER"), *caller.role_ids]:
        codes |= set(roles.role_permissions(brand_id, role_id))
    if caller.user_type in ("SuperAdmin", "Admin"):
        codes |= _custom_codes(brand_id)
    caller.permissions = frozenset(codes)
    return caller.permissions


def _custom_codes(brand_id: str) -> frozenset[str]:
    from chalicelib.identity import roles

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
