"""Devices (JFW §17) and the package's device limit (reference.md §5.5-5.6).

A device is registered once per brand (its ``code`` is unique in the brand, claimed by a
``DEVCODE`` item in the same transaction) and linked to users many-to-many. A link is the
user's use of the device: ``Online`` (has access), ``Offline`` (its access was revoked by the
device limit) or ``Deleted`` (unlinked). Linking is the "login" JFW counts: it sets
``lastAccessAt``, so an app links the device after every login.

The limit is the value of the user's package feature ``DEVICE`` (a brand may name another code
in its setting ``deviceFeatureCode``): a Limitation's value, a Function's 1/0, none when the
feature is unlimited (``isUnlimited`` or -1), absent or Inactive. Linking one more device than
the limit revokes the Online devices with the oldest ``lastAccessAt`` (JFW: "revokes access for
the device with the oldest login date"). All of one user's link changes are conditioned on the
version of the user's ``HEAD`` item, in one transaction with the links they change, so
concurrent links can't both see a free slot: the loser re-reads and retries.

Devices are soft-deleted: the item stays (gsi1 ``...#DEVICES#DELETED``), its code is released,
and links to it stop giving access.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http import statistics
from chalicelib.http.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.http.paging import page
from chalicelib.identity import service as identity
from chalicelib.licensing import models as m
from chalicelib.licensing import subscriptions as subs
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

ONLINE, OFFLINE, DELETED = "Online", "Offline", "Deleted"
DEFAULT_FEATURE_CODE = "DEVICE"
SORTABLE = ("code", "name", "type", "status", "modifiedDate")
KEYWORD_FIELDS = ("code", "name", "tags", "osDevice", "phoneNumber", "imei")
ATTEMPTS = 30
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# device_access verdicts (the validate route's reason codes) and what they mean to a person.
ACCESS_DETAIL = {
    "OK": "the device has access.",
    "DEVICE_NOT_LINKED": "the device is not registered in this brand or not linked to the user.",
    "TOO_MANY_DEVICES": "the device lost its access: the package's device limit was reached and "
                        "it had the oldest login. Link it again (log in on it) to use it; that "
                        "revokes the device with the oldest login instead.",
    "SUSPENDED": "the device is suspended or locked.",
    "INACTIVE": "the device is inactive.",
}


# -- DTOs -----------------------------------------------------------------------------------------

def to_dto(d: m.DeviceItem) -> dict[str, Any]:
    """IDevice."""
    return {
        "id": d.id, "createdDate": d.created_date, "modifiedDate": d.modified_date,
        "type": d.type, "code": d.code, "isMobileApp": d.is_mobile_app, "tags": d.tags,
        "status": d.status, "isDefault": d.is_default, "testMode": d.test_mode, "name": d.name,
        "phoneNumber": d.phone_number, "osDevice": d.os_device,
        "appVersionNumber": d.app_version_number, "iccid": d.iccid, "imsi": d.imsi,
        "imei": d.imei, "simCardInfo": d.sim_card_info, "countryCode": d.country_code,
    }


def device_user_dto(d: m.DeviceItem, link: m.UserDeviceItem) -> dict[str, Any]:
    """IDeviceUser: the device plus the user's use of it."""
    return {**to_dto(d), "token": link.token, "session": link.session,
            "userDeviceStatus": link.status, "lastAccessAt": link.last_access_at}


# -- reading --------------------------------------------------------------------------------------

def get_item(brand_id: str, device_id: str) -> m.DeviceItem:
    try:
        item = m.DeviceItem.get(m.device_pk(brand_id, device_id), m.DEVICE_SK,
                                consistent_read=True)
    except DoesNotExist:
        raise NotFound("Device not found.", code="DEVICE_NOT_FOUND") from None
    if item.is_deleted or item.brand_id != brand_id:
        raise NotFound("Device not found.", code="DEVICE_NOT_FOUND")
    return item


def find_by_code(brand_id: str, code: str) -> m.DeviceItem | None:
    try:
        ref = m.DeviceCodeItem.get(m.device_code_pk(brand_id, code), m.UNIQUE_SK,
                                   consistent_read=True)
    except DoesNotExist:
        return None
    try:
        return get_item(brand_id, ref.device_id)
    except NotFound:
        return None


def get_by_code(brand_id: str, code: str) -> m.DeviceItem:
    item = find_by_code(brand_id, code)
    if item is None:
        raise NotFound("Device not found.", code="DEVICE_NOT_FOUND")  # as one not shown
    return item


def _devices(brand_id: str, device_ids: list[str]) -> dict[str, m.DeviceItem]:
    keys = [(m.device_pk(brand_id, i), m.DEVICE_SK) for i in dict.fromkeys(device_ids)]
    if not keys:
        return {}
    return {d.id: d for d in m.DeviceItem.batch_get(keys, consistent_read=True)
            if not d.is_deleted}


def user_links(brand_id: str, user_id: str) -> tuple[m.UserDevicesHeadItem | None,
                                                    dict[str, m.UserDeviceItem]]:
    """The user's HEAD and links (one consistent Query of the user's device partition)."""
    head = None
    links: dict[str, m.UserDeviceItem] = {}
    for item in m.LicensingRecord.query(m.user_devices_pk(brand_id, user_id),
                                        consistent_read=True):
        if isinstance(item, m.UserDevicesHeadItem):
            head = item
        elif isinstance(item, m.UserDeviceItem):
            links[item.device_id] = item
    return head, links


def list_devices(brand_id: str, query: dict[str, Any],
                 only_user: str | None = None) -> dict[str, Any]:
    """L<IDevice>: a brand's devices (one Query of gsi1), or those linked to ``userId``."""
    user_id = only_user or query.get("userId")
    if user_id:
        _, links = user_links(brand_id, user_id)
        live = [i for i, link in links.items() if link.status != DELETED]
        rows = [to_dto(d) for d in _devices(brand_id, live).values()]
    else:
        rows = [to_dto(d) for d in m.LicensingRecord.gsi1.query(m.devices_gsi(brand_id))
                if isinstance(d, m.DeviceItem) and not d.is_deleted]
    for name in ("type", "status", "isMobileApp", "testMode"):
        if name in query:
            rows = [r for r in rows if r[name] == query[name]]
    for name in ("code", "name"):
        if query.get(name):
            want = str(query[name]).lower()
            rows = [r for r in rows if want in str(r[name] or "").lower()]
    return page(rows, query, sortable=SORTABLE, keyword_fields=KEYWORD_FIELDS)


def user_devices(brand_id: str, user_id: str) -> list[dict[str, Any]]:
    """IDeviceUser[]: the user's linked devices (unlinked ones left out), newest login first."""
    _, links = user_links(brand_id, user_id)
    live = {i: link for i, link in links.items() if link.status != DELETED}
    found = _devices(brand_id, list(live))
    rows = [device_user_dto(found[i], link) for i, link in live.items() if i in found]
    rows.sort(key=lambda r: (r["lastAccessAt"] is not None, r["lastAccessAt"] or 0, r["id"]),
              reverse=True)
    return rows


def registrations(brand_id: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    """[{date, quantity}]: devices registered per day or month (soft-deleted ones too: they
    were registered), from a range Query of the brand's two device partitions."""
    start, end, unit = statistics.window(query)
    cond = ids.stamp_range(m.LicensingRecord.gsi1sk, start, end)
    moments = [d.created_date for pk in (m.devices_gsi(brand_id), m.devices_gsi(brand_id)
                                         + "#DELETED")
               for d in m.LicensingRecord.gsi1.query(pk, range_key_condition=cond)
               if isinstance(d, m.DeviceItem)]
    return statistics.series(moments, start, end, unit)


# -- the limit ------------------------------------------------------------------------------------

def feature_code(brand: dict | None) -> str:
    return ((brand or {}).get("setting") or {}).get("deviceFeatureCode") or DEFAULT_FEATURE_CODE


def limit_of(features: list[dict], code: str) -> int | None:
    """How many devices a package's features allow; None = no limit."""
    feature = next((f for f in features if str(f.get("code", "")).upper() == code.upper()
                    and f.get("status", "Active") == "Active"), None)
    if feature is None or feature.get("isUnlimited"):
        return None
    value = feature.get("value")
    if value is None or value < 0:
        return None
    return int(value)


def device_limit(brand: dict, user_id: str) -> int | None:
    package = subs.entitlement(brand["id"], user_id)["package"]
    if package is None:
        return None
    return limit_of(package.get("features") or [], feature_code(brand))


def _newest_first(links: list[m.UserDeviceItem]) -> list[m.UserDeviceItem]:
    return sorted(links, key=lambda link: (link.last_access_at or _EPOCH, link.device_id),
                  reverse=True)


def device_access(brand_id: str, user_id: str, device_code: str,
                  brand: dict | None = None) -> str:
    """"OK" or why the user's device has no access (a key of ACCESS_DETAIL)."""
    device = find_by_code(brand_id, device_code)
    if device is None:
        return "DEVICE_NOT_LINKED"
    _, links = user_links(brand_id, user_id)
    link = links.get(device.id)
    if link is None or link.status == DELETED:
        return "DEVICE_NOT_LINKED"
    if device.status in ("Suspended", "Locked"):
        return "SUSPENDED"
    if device.status != "Active":
        return "INACTIVE"
    if link.status != ONLINE:
        return "TOO_MANY_DEVICES"
    if brand is None:
        brand = identity.get_brand(brand_id)
    limit = device_limit(brand, user_id)
    if limit is not None:
        # The package may have shrunk since the links were made: the newest logins keep access.
        online = [x for x in links.values() if x.status == ONLINE]
        live = _devices(brand_id, [x.device_id for x in online])
        allowed = {x.device_id for x in _newest_first([x for x in online
                                                        if x.device_id in live])[:limit]}
        if device.id not in allowed:
            return "TOO_MANY_DEVICES"
    return "OK"


# -- writing --------------------------------------------------------------------------------------

def create(brand_id: str, body: dict[str, Any], owner_user_id: str | None) -> dict[str, Any]:
    now = settings.now()
    device_id = ids.new_id()
    item = m.DeviceItem(
        m.device_pk(brand_id, device_id), m.DEVICE_SK, id=device_id, brand_id=brand_id,
        type=body["type"], code=body["code"], name=body["name"],
        is_mobile_app=body.get("isMobileApp") or False, tags=body.get("tags"),
        status=body.get("status") or "Active", is_default=body.get("isDefault") or False,
        test_mode=body.get("testMode") or False, phone_number=body.get("phoneNumber"),
        os_device=body.get("osDevice"), app_version_number=body.get("appVersionNumber"),
        iccid=body.get("iccid"), imsi=body.get("imsi"), imei=body.get("imei"),
        sim_card_info=body.get("simCardInfo"), country_code=body.get("countryCode"),
        owner_user_id=owner_user_id, created_date=now, modified_date=now,
        gsi1pk=m.devices_gsi(brand_id), gsi1sk=f"{m.stamp(now)}#{device_id}")
    claim = m.DeviceCodeItem(m.device_code_pk(brand_id, body["code"]), m.UNIQUE_SK,
                             device_id=device_id)
    try:
        with transaction() as tx:
            tx.save(item, condition=m.DeviceItem.pk.does_not_exist())
            tx.save(claim, condition=m.DeviceCodeItem.pk.does_not_exist())
    except ConditionFailed as e:
        if e.failed(1):
            raise Conflict(f"A device with the code '{body['code']}' is already registered in "
                           "this brand; GET v1/devices/by-code/{deviceCode} finds it.",
                           code="DEVICE_CODE_TAKEN", field="code") from None
        raise
    return to_dto(item)


def update(brand_id: str, device_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    item = get_item(brand_id, device_id)
    fields = {"name": m.DeviceItem.name, "phoneNumber": m.DeviceItem.phone_number,
              "tags": m.DeviceItem.tags, "status": m.DeviceItem.status}
    actions = []
    for name, attr in fields.items():
        if name not in changes:
            continue
        value = changes[name]
        if value is None and name == "status":
            continue
        actions.append(attr.set(value) if value is not None else attr.remove())
    actions += [m.DeviceItem.modified_date.set(settings.now()), m.DeviceItem.version.add(1)]
    try:
        with transaction() as tx:
            tx.update(item, actions=actions,
                      condition=(m.DeviceItem.version == item.version)
                      & (m.DeviceItem.is_deleted == False))  # noqa: E712
    except ConditionFailed:
        raise Conflict("The device changed while saving; read it again and retry.",
                       code="DEVICE_CHANGED") from None
    return to_dto(get_item(brand_id, device_id))


def delete(brand_id: str, device_id: str) -> bool:
    """Soft-delete: keep the item, release the code, stop every link's access."""
    item = get_item(brand_id, device_id)
    now = settings.now()
    try:
        with transaction() as tx:
            tx.update(item, actions=[
                m.DeviceItem.is_deleted.set(True), m.DeviceItem.modified_date.set(now),
                m.DeviceItem.gsi1pk.set(m.devices_gsi(brand_id) + "#DELETED"),
                m.DeviceItem.version.add(1)],
                condition=(m.DeviceItem.version == item.version)
                & (m.DeviceItem.is_deleted == False))  # noqa: E712
            tx.delete(m.DeviceCodeItem(m.device_code_pk(brand_id, item.code), m.UNIQUE_SK),
                      condition=m.DeviceCodeItem.device_id == device_id)
    except ConditionFailed:
        raise Conflict("The device changed while deleting; try again.",
                       code="DEVICE_CHANGED") from None
    return True


def _retry_pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * (2 ** min(attempt, 6))))


def link(brand: dict, user_id: str, device_id: str, token: str | None = None,
         session: str | None = None) -> dict[str, Any]:
    """Link (or re-link: a login) the device to the user, within the package's device limit;
    ``token`` (the app's push token) and ``session`` replace the link's when given.

    Returns {device: IDeviceUser, revoked: [deviceId]} (the devices that lost access)."""
    brand_id = brand["id"]
    device = get_item(brand_id, device_id)
    if device.status != "Active":
        raise Forbidden(f"The device is {device.status}; only an Active device can be linked.",
                        code="DEVICE_NOT_ACTIVE")
    limit = device_limit(brand, user_id)
    if limit == 0:
        raise Forbidden("Your package allows no devices.", code="TOO_MANY_DEVICES")
    for attempt in range(ATTEMPTS):
        head, links = user_links(brand_id, user_id)
        now = settings.now()
        others = [x for x in links.values() if x.status == ONLINE and x.device_id != device_id]
        live = _devices(brand_id, [x.device_id for x in others])
        # Links to devices deleted since are let go (they give no access any more).
        stale = [x for x in others if x.device_id not in live]
        others = _newest_first([x for x in others if x.device_id in live])
        revoked = others[limit - 1:] if limit is not None else []
        online_after = len(others) - len(revoked) + 1
        mine = links.get(device_id)
        try:
            with transaction() as tx:
                if head is None:
                    tx.save(m.UserDevicesHeadItem(
                        m.user_devices_pk(brand_id, user_id), m.HEAD_SK, user_id=user_id,
                        version=1, online_count=online_after),
                        condition=m.UserDevicesHeadItem.pk.does_not_exist())
                else:
                    tx.update(head, actions=[m.UserDevicesHeadItem.version.add(1),
                                             m.UserDevicesHeadItem.online_count.set(online_after)],
                              condition=m.UserDevicesHeadItem.version == head.version)
                tx.save(m.UserDeviceItem(
                    m.user_devices_pk(brand_id, user_id), m.user_device_sk(device_id),
                    user_id=user_id, device_id=device_id, status=ONLINE, last_access_at=now,
                    token=token or (mine.token if mine else None),
                    session=session or (mine.session if mine else None),
                    created_date=mine.created_date if mine else now, modified_date=now))
                for x in [*revoked, *stale]:
                    tx.update(x, actions=[
                        m.UserDeviceItem.status.set(OFFLINE if x in revoked else DELETED),
                        m.UserDeviceItem.modified_date.set(now)])
                tx.condition_check(m.DeviceItem, m.device_pk(brand_id, device_id), m.DEVICE_SK,
                                   condition=m.DeviceItem.is_deleted == False)  # noqa: E712
        except ConditionFailed as e:
            if e.failed(2 + len(revoked) + len(stale)):
                raise NotFound("Device not found.", code="DEVICE_NOT_FOUND") from None
            _retry_pause(attempt)
            continue
        _, links = user_links(brand_id, user_id)
        return {"device": device_user_dto(device, links[device_id]),
                "revoked": [x.device_id for x in revoked]}
    raise Conflict("Too many device changes for this user at once; try again.",
                   code="DEVICES_BUSY")


def unlink(brand_id: str, user_id: str, device_id: str) -> bool:
    for attempt in range(ATTEMPTS):
        head, links = user_links(brand_id, user_id)
        mine = links.get(device_id)
        if mine is None or mine.status == DELETED:
            raise NotFound("The device is not linked to this user.",
                           code="USER_DEVICE_NOT_FOUND")
        now = settings.now()
        online = sum(1 for x in links.values() if x.status == ONLINE and x.device_id != device_id)
        try:
            with transaction() as tx:
                if head is None:  # links written before HEAD existed: none in this code
                    tx.save(m.UserDevicesHeadItem(
                        m.user_devices_pk(brand_id, user_id), m.HEAD_SK, user_id=user_id,
                        version=1, online_count=online),
                        condition=m.UserDevicesHeadItem.pk.does_not_exist())
                else:
                    tx.update(head, actions=[m.UserDevicesHeadItem.version.add(1),
                                             m.UserDevicesHeadItem.online_count.set(online)],
                              condition=m.UserDevicesHeadItem.version == head.version)
                tx.update(mine, actions=[m.UserDeviceItem.status.set(DELETED),
                                         m.UserDeviceItem.modified_date.set(now)])
        except ConditionFailed:
            _retry_pause(attempt)
            continue
        return True
    raise Conflict("Too many device changes for this user at once; try again.",
                   code="DEVICES_BUSY")


def refresh_token(brand_id: str, user_id: str, old: str, new: str) -> bool:
    """Replace the push token ``old`` by ``new`` on the user's live links (one app install's
    token rotated), in one transaction conditioned on each link still holding ``old``."""
    _, links = user_links(brand_id, user_id)
    mine = [x for x in links.values() if x.status != DELETED and x.token == old]
    if not mine:
        raise NotFound("None of your linked devices has this token; link the device with "
                       "POST v1/users/{userId}/devices/{deviceId} and its token instead.",
                       code="DEVICE_TOKEN_NOT_FOUND", field="oldToken")
    now = settings.now()
    try:
        with transaction() as tx:
            for x in mine:
                tx.update(x, actions=[m.UserDeviceItem.token.set(new),
                                      m.UserDeviceItem.modified_date.set(now)],
                          condition=m.UserDeviceItem.token == old)
    except ConditionFailed:
        raise Conflict("The device's token changed while saving; try again.",
                       code="DEVICE_CHANGED") from None
    return True


def check_user_access(brand: dict, user_id: str, device_code: str) -> bool:
    if not device_code.strip():
        raise BadRequest("deviceCode must not be empty.", field="deviceCode")
    return device_access(brand["id"], user_id, device_code, brand) == "OK"
