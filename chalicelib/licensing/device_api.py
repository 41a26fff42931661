"""Device handlers (JFW §17). Who may do what:

- any logged-in user registers a device (``POST v1/devices``: an app registers the device it runs
  on after login, as JFW describes); it is theirs. A caller holding DEVICE.CREATE registers a
  brand device instead (no owner: a kiosk, a shared machine);
- a user reaches a device (sees it, links it to themselves) when they registered it, when it is
  linked to them, or when it is a brand device and the request comes from it (its code in the
  ``X-Device-Code`` header). Anything else is "not found", the same as a missing device, so ids
  and codes can't be probed and another user's device can't be taken;
- the user who registered a device renames and deletes it; a user unlinks their own links;
- DEVICE.READ / UPDATE / DELETE reach every device of the brand and every user's links; only
  DEVICE.UPDATE changes a device's status.
"""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest, Forbidden, NotFound
from chalicelib.licensing import devices


def _has(ctx: RequestContext, permission: str) -> bool:
    from chalicelib.identity import service as identity

    return identity.has_permission(ctx, permission)


def _me(ctx: RequestContext) -> str:
    assert ctx.caller is not None
    return ctx.caller.user_id


def _self_or(ctx: RequestContext, user_id: str, permission: str) -> None:
    """identity's "self or permission" rule; the user must exist in the brand."""
    from chalicelib.identity import service as identity

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
    return list(devices.DEVICE_TYPES)
