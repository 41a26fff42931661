"""Licensing handlers: licenses (``v1/licenses``, api-surface.md §11), the licensing constants and
settings, license validation and offline certificates, devices (§17), package files and download
links. Parse, authorise, call the rules, shape the reply."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest, Forbidden, NotFound
from chalicelib.identity import service as identity
from chalicelib.licensing import (
    apply,
    certificates,
    devices,
    downloads,
    licenses,
    purchase,
    subscriptions,
    validation,
)
from chalicelib.licensing import models as m
from chalicelib.licensing.constants import CONSTANTS, DEVICE_TYPES


def _caller_code(ctx: RequestContext) -> str | None:
    if ctx.caller is None or ctx.caller.brand_id != ctx.brand_id:
        return None
    try:
        return identity.get_user_item(ctx.brand_id, ctx.caller.user_id).code
    except NotFound:
        return None


def _body(ctx: RequestContext) -> dict[str, Any]:
    return ctx.body.model_dump()


# -- CRUD ----------------------------------------------------------------------------------------

def generate_code(ctx: RequestContext) -> str:
    q = ctx.query
    assert ctx.brand is not None
    return licenses.generate_code(ctx.brand, q["packageId"], q["subscriptionTypeId"],
                                  q.get("startDate"))


def create_licenses(ctx: RequestContext) -> dict:
    assert ctx.brand is not None
    return licenses.create_many(ctx.brand, _caller_code(ctx), _body(ctx))


def _own_only(ctx: RequestContext) -> str | None:
    """None when the caller may read the brand's licenses (LICENSE.READ); else their own user id:
    a buyer lists the licenses they use or bought (JFW's SDK: ``getLicenses({usedBy: <code>})``).
    A ``usedBy`` naming anyone else is a 403, not an empty page: the caller asked for what they
    may not see, and an empty answer would read as "that user has no licenses"."""
    if identity.has_permission(ctx, "LICENSE.READ"):
        return None
    assert ctx.caller is not None
    code = _caller_code(ctx)
    if code is None:
        raise Forbidden("Log in as a user of this brand to list your licenses.",
                        code="USER_NOT_OF_BRAND")
    used_by = ctx.query.get("usedBy")
    if used_by is not None and used_by != code:
        raise Forbidden("You may list only your own licenses: leave usedBy out or pass your "
                        "own user code (LICENSE.READ lists anyone's).", code="FORBIDDEN",
                        field="usedBy")
    return ctx.caller.user_id


def list_licenses(ctx: RequestContext) -> dict:
    return licenses.list_licenses(ctx.brand_id, ctx.query, only_user=_own_only(ctx))


def count_licenses(ctx: RequestContext) -> dict:
    return licenses.count(ctx.brand_id, ctx.query, only_user=_own_only(ctx))


def check_license(ctx: RequestContext) -> bool:
    return licenses.check(ctx.brand_id, ctx.query["licenseCode"])


def get_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803 - path name
    return licenses.get(ctx.brand_id, licenseId)


def update_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803
    assert ctx.brand is not None
    return licenses.update(ctx.brand, licenseId, _body(ctx))


def delete_license(ctx: RequestContext, licenseId: str) -> bool:  # noqa: N803
    return licenses.delete(ctx.brand_id, licenseId)


def activate_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803
    return licenses.activate(ctx.brand_id, licenseId)


def deactivate_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803
    return licenses.deactivate(ctx.brand_id, licenseId)


# -- apply ---------------------------------------------------------------------------------------

def apply_license(ctx: RequestContext) -> bool:
    assert ctx.brand is not None and ctx.caller is not None
    if ctx.caller.brand_id != ctx.brand_id:
        raise Forbidden("Log in as a user of this brand to apply its licenses.",
                        code="USER_NOT_OF_BRAND")
    return apply.apply_code(ctx.brand, ctx.query["licenseCode"], ctx.caller.user_id)


def apply_to_login_name(ctx: RequestContext) -> bool:
    """LICENSE.UPDATE, or the owner of a Prepaid license handing it out."""
    assert ctx.brand is not None and ctx.caller is not None
    code = ctx.query["licenseCode"]
    if not identity.has_permission(ctx, "LICENSE.UPDATE"):
        item = licenses.find_by_code(ctx.brand_id, code)
        owns = (item is not None and item.type == m.PREPAID
                and item.assigned_user_id == ctx.caller.user_id
                and ctx.caller.brand_id == ctx.brand_id)
        if not owns:
            raise Forbidden("You may apply to another account only the Prepaid licenses you "
                            "bought (or ask an administrator).", code="FORBIDDEN")
    return apply.apply_to_login_name(ctx.brand, code, ctx.query["loginName"])


def apply_to_user(ctx: RequestContext) -> bool:
    assert ctx.brand is not None
    return apply.apply_code(ctx.brand, ctx.body.licenseCode, ctx.body.userId)


def purchase_checkout_link(ctx: RequestContext) -> Any:
    # An idempotent route: the dispatcher runs it under the Idempotency-Key.
    assert ctx.brand is not None
    return purchase.checkout_link(ctx.brand, ctx.caller, _body(ctx), headers=ctx.headers,
                                  source_ip=ctx.source_ip)


def purchase_by_wallet(ctx: RequestContext) -> str:
    # An idempotent route: the dispatcher runs it under the Idempotency-Key.
    assert ctx.brand is not None
    return purchase.by_wallet(ctx.brand, ctx.caller, ctx.query["walletId"], _body(ctx),
                              headers=ctx.headers, source_ip=ctx.source_ip)


# -- constants and settings ----------------------------------------------------------------------

def constant(ctx: RequestContext) -> list[str]:
    return list(CONSTANTS[ctx.path.removeprefix("/api/v1/constants/")])


def get_settings(ctx: RequestContext) -> dict:
    assert ctx.brand is not None
    return subscriptions.policy(ctx.brand)


def put_settings(ctx: RequestContext) -> dict:
    values = {k: v for k, v in ctx.body.model_dump().items() if v is not None}
    if not values:
        raise BadRequest("Send at least one setting to change.", field="body")
    return subscriptions.save_policy(ctx.brand_id, values)


# -- validation and offline certificates -----------------------------------------------------------

def validate(ctx: RequestContext) -> dict[str, Any]:
    if ctx.caller is None:
        validation.throttle_anonymous(ctx.brand_id, ctx.source_ip)
    return validation.validate(ctx.brand or {}, ctx.body, identity.has_permission(ctx, "USER.READ"),
                               full=identity.has_permission(ctx, "LICENSE.READ"))


def public_key(ctx: RequestContext) -> dict[str, Any]:
    return certificates.public_key_dto(ctx.brand_id)


def certificate(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.caller is not None
    return certificates.issue(ctx.brand or {}, ctx.caller.user_id, ctx.body.deviceCode)


# -- devices ---------------------------------------------------------------------------------------
# Device handlers (JFW §17). Who may do what:
#
# - any logged-in user registers a device (``POST v1/devices``: an app registers the device it runs
#   on after login, as JFW describes); it is theirs. A caller holding DEVICE.CREATE registers a
#   brand device instead (no owner: a kiosk, a shared machine);
# - a user reaches a device (sees it, links it to themselves) when they registered it, when it is
#   linked to them, or when it is a brand device and the request comes from it (its code in the
#   ``X-Device-Code`` header). Anything else is "not found", the same as a missing device, so ids
#   and codes can't be probed and another user's device can't be taken;
# - the user who registered a device renames and deletes it; a user unlinks their own links;
# - DEVICE.READ / UPDATE / DELETE reach every device of the brand and every user's links; only
#   DEVICE.UPDATE changes a device's status.

def _has(ctx: RequestContext, permission: str) -> bool:
    return identity.has_permission(ctx, permission)


def _me(ctx: RequestContext) -> str:
    assert ctx.caller is not None
    return ctx.caller.user_id


def _self_or(ctx: RequestContext, user_id: str, permission: str) -> None:
    identity.require_self_or(ctx, user_id, permission, what="another user's devices",
                             must_exist=True)


def _presented_code(ctx: RequestContext) -> str:
    return (ctx.header("x-device-code") or "").strip()


def _visible(ctx: RequestContext, item: Any, permission: str = "DEVICE.READ") -> Any:
    """The device, when the caller reaches it (the module's rule); else 404 as if missing."""
    if _has(ctx, permission) or item.owner_user_id == _me(ctx):
        return item
    if item.owner_user_id is None and _presented_code(ctx) == item.code:
        return item
    _, links = devices.user_links(ctx.brand_id, _me(ctx))
    link = links.get(item.id)
    if link is None or link.status == devices.DELETED:
        raise NotFound("Device not found.", code="DEVICE_NOT_FOUND")
    return item


def _owner_or(ctx: RequestContext, item: Any, permission: str, action: str) -> None:
    if _has(ctx, permission) or item.owner_user_id == _me(ctx):
        return
    _visible(ctx, item)  # 404 when the caller can't even see it
    raise Forbidden(f"Only the user who registered the device, or {permission}, {action} it.",
                    code="PERMISSION_DENIED")


def list_devices(ctx: RequestContext) -> dict[str, Any]:
    if _has(ctx, "DEVICE.READ"):
        return devices.list_devices(ctx.brand_id, ctx.query)
    wanted = ctx.query.get("userId")
    if wanted and wanted != _me(ctx):
        raise Forbidden("You need the permission DEVICE.READ for another user's devices.",
                        code="PERMISSION_DENIED")
    return devices.list_devices(ctx.brand_id, ctx.query, only_user=_me(ctx))


def statistics(ctx: RequestContext) -> list[dict[str, Any]]:
    return devices.registrations(ctx.brand_id, ctx.query)


def get_device(ctx: RequestContext, id: str) -> dict[str, Any]:
    return devices.to_dto(_visible(ctx, devices.get_item(ctx.brand_id, id)))


def get_by_code(ctx: RequestContext, deviceCode: str) -> dict[str, Any]:
    return devices.to_dto(_visible(ctx, devices.get_by_code(ctx.brand_id, deviceCode)))


def by_list_code(ctx: RequestContext) -> list[dict[str, Any]]:
    codes = list(dict.fromkeys(c.strip() for c in ctx.query["codes"] if c.strip()))
    if len(codes) > 100:
        raise BadRequest("Send at most 100 codes.", field="codes")
    out = []
    for code in codes:
        item = devices.find_by_code(ctx.brand_id, code)
        if item is None:
            continue
        try:
            out.append(devices.to_dto(_visible(ctx, item)))
        except NotFound:
            continue
    return out


def current(ctx: RequestContext) -> dict[str, Any]:
    """The caller's device named by the ``X-Device-Code`` header (or ``?deviceCode=``): JFW does
    not say how it knows the current device, and our sessions carry none."""
    code = (ctx.header("x-device-code") or ctx.query.get("deviceCode") or "").strip()
    if not code:
        raise BadRequest("Send the device's code in the X-Device-Code header (or the deviceCode "
                         "query parameter).", field="X-Device-Code")
    device = devices.find_by_code(ctx.brand_id, code)
    _, links = devices.user_links(ctx.brand_id, _me(ctx))
    link = links.get(device.id) if device else None
    if device is None or link is None or link.status == devices.DELETED:
        raise NotFound(f"The device '{code}' is not linked to you; link it with POST "
                       "v1/users/{userId}/devices/{deviceId}.", code="USER_DEVICE_NOT_FOUND")
    return devices.device_user_dto(device, link)


def create_device(ctx: RequestContext) -> dict[str, Any]:
    owner = None if _has(ctx, "DEVICE.CREATE") else _me(ctx)
    return devices.create(ctx.brand_id, ctx.body.model_dump(), owner)


def update_device(ctx: RequestContext, id: str) -> dict[str, Any]:
    item = devices.get_item(ctx.brand_id, id)
    _owner_or(ctx, item, "DEVICE.UPDATE", "renames")
    changes = ctx.body.model_dump(exclude_unset=True)
    if (changes.get("status") not in (None, item.status)
            and not _has(ctx, "DEVICE.UPDATE")):
        raise Forbidden("You need the permission DEVICE.UPDATE to change a device's status.",
                        code="PERMISSION_DENIED")
    return devices.update(ctx.brand_id, id, changes)


def delete_device(ctx: RequestContext, id: str) -> bool:
    _owner_or(ctx, devices.get_item(ctx.brand_id, id), "DEVICE.DELETE", "deletes")
    return devices.delete(ctx.brand_id, id)


def link_device(ctx: RequestContext, id: str, deviceId: str) -> bool:
    _self_or(ctx, id, "DEVICE.UPDATE")
    _visible(ctx, devices.get_item(ctx.brand_id, deviceId), "DEVICE.UPDATE")
    devices.link(ctx.brand or {}, id, deviceId, ctx.body.token, ctx.body.session)
    return True


def unlink_device(ctx: RequestContext, id: str, deviceId: str) -> bool:
    _self_or(ctx, id, "DEVICE.UPDATE")
    _visible(ctx, devices.get_item(ctx.brand_id, deviceId), "DEVICE.UPDATE")
    return devices.unlink(ctx.brand_id, id, deviceId)


def user_devices(ctx: RequestContext, id: str) -> list[dict[str, Any]]:
    _self_or(ctx, id, "DEVICE.READ")
    return devices.user_devices(ctx.brand_id, id)


def refresh_token(ctx: RequestContext) -> bool:
    return devices.refresh_token(ctx.brand_id, _me(ctx), ctx.body.oldToken, ctx.body.newToken)


def check_user_access(ctx: RequestContext) -> bool:
    user_id = ctx.query["userId"]
    _self_or(ctx, user_id, "DEVICE.READ")
    return devices.check_user_access(ctx.brand or {}, user_id, ctx.query["deviceCode"])


def device_types(ctx: RequestContext) -> list[str]:
    return list(DEVICE_TYPES)


# -- package files and download links --------------------------------------------------------------

def add_file(ctx: RequestContext, packageId: str) -> dict[str, Any]:
    return downloads.add_file(ctx.brand_id, packageId, ctx.body.model_dump())


def list_files(ctx: RequestContext, packageId: str) -> list[dict[str, Any]]:
    return downloads.list_files(ctx.brand_id, packageId)


def delete_file(ctx: RequestContext, packageId: str, fileId: str) -> bool:
    return downloads.delete_file(ctx.brand_id, packageId, fileId)


def my_downloads(ctx: RequestContext) -> list[dict[str, Any]]:
    """The caller's grants; with DOWNLOAD.READ, ``?userId=`` another user's (support)."""
    assert ctx.caller is not None
    user_id = ctx.query.get("userId") or ctx.caller.user_id
    if user_id != ctx.caller.user_id:
        if not identity.has_permission(ctx, "DOWNLOAD.READ"):
            raise Forbidden("You need the permission DOWNLOAD.READ for another user's "
                            "downloads.", code="PERMISSION_DENIED")
        identity.get_user_item(ctx.brand_id, user_id)
    return downloads.user_grants(ctx.brand_id, user_id)


def download(ctx: RequestContext, token: str) -> Response:
    url = downloads.use(token)
    return Response(body="", status_code=302,
                    headers={"Location": url, "Cache-Control": "no-store",
                             "Referrer-Policy": "no-referrer"})
