"""A user's current entitlement (the SUBSCRIPTION item) and the brand's licensing policy.

The SUBSCRIPTION item is the truth; the identity UserItem's ``packageId``/``expiryDate`` mirror
it and are written in the same transaction (``users.package_update``). Its ``due`` index entry
points at the next thing a job must do: the next "expiring soon" reminder, the expiry, or the
end of the grace period (``next_due``).

Licensing Flow (reference.md §1): the same package extends from the later of now and the current
expiry; another package replaces the current one now (``licenseChangePolicy`` Replace, JFW's
default) or, with ``Queue``, starts when the current one ends. A license with no duration (a
one-time purchase) gives the package with no end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, NotFound
from chalicelib.identity import service as identity
from chalicelib.licensing import models as m
from chalicelib.licensing.constants import (
    CHANGE_POLICIES,
    DEFAULT_SETTINGS,
    DELIVERY_TYPES,
    PARTIAL_REFUND_POLICIES,
)
from chalicelib.licensing.licenses import utc
from chalicelib.notify import service as notify

S = m.SubscriptionItem
ACTIVE, GRACE, EXPIRED = "Active", "Grace", "Expired"
MAX_GRACE_DAYS = 365
MAX_REMINDER_DAYS = 365


# -- the brand's policy --------------------------------------------------------------------------

def policy(brand: dict) -> dict[str, Any]:
    """The brand's licensing settings, each falling back to its default when unset or invalid."""
    setting = brand.get("setting") or {}
    out = dict(DEFAULT_SETTINGS)
    if setting.get("licenseDeliveryType") in DELIVERY_TYPES:
        out["licenseDeliveryType"] = setting["licenseDeliveryType"]
    if setting.get("licenseChangePolicy") in CHANGE_POLICIES:
        out["licenseChangePolicy"] = setting["licenseChangePolicy"]
    if setting.get("licenseOnPartialRefund") in PARTIAL_REFUND_POLICIES:
        out["licenseOnPartialRefund"] = setting["licenseOnPartialRefund"]
    grace = settings.int_in(setting.get("licenseGraceDays"), 0, MAX_GRACE_DAYS)
    if grace is not None:
        out["licenseGraceDays"] = grace
    days = setting.get("licenseReminderDays")
    if isinstance(days, list | tuple):
        parsed = [settings.int_in(d, 1, MAX_REMINDER_DAYS) for d in days]
        if all(d is not None for d in parsed):
            out["licenseReminderDays"] = sorted({int(d) for d in parsed if d}, reverse=True)
    return out


def save_policy(brand_id: str, values: dict[str, Any]) -> dict[str, Any]:
    brand = identity.update_brand_setting(brand_id, values)
    return policy(brand)


# -- reads ---------------------------------------------------------------------------------------

def get_item(brand_id: str, user_id: str) -> m.SubscriptionItem | None:
    try:
        return S.get(m.user_pk(brand_id, user_id), m.SUBSCRIPTION_SK, consistent_read=True)
    except DoesNotExist:
        return None


def _default_package_id(brand_id: str) -> str | None:
    package = catalog.default_package(brand_id)
    return package["id"] if package else None


def current(brand_id: str, user_id: str) -> dict[str, Any]:
    """{packageId, expiryDate, status (Active | Grace | Expired), licenseId, isDefault,
    queuedLicenseId}: what the user holds now. A user no license ever reached holds what the
    identity record says, else the brand's default package."""
    now = settings.now()
    default_id = _default_package_id(brand_id)
    sub = get_item(brand_id, user_id)
    if sub is not None:
        package_id, expiry, license_id = sub.package_id, sub.expiry_date, sub.license_id
        queued = sub.queued_license_id
        stored = sub.status
    else:
        user = identity.get_user_item(brand_id, user_id)
        package_id, expiry, license_id, queued, stored = (user.package_id, user.expiry_date,
                                                          None, None, ACTIVE)
    if stored == EXPIRED or package_id is None:
        package_id, expiry, status = default_id, None, ACTIVE if default_id else EXPIRED
    elif expiry is not None and expiry <= now:
        status = GRACE if stored == GRACE or _in_grace(brand_id, expiry, now) else EXPIRED
    else:
        status = ACTIVE
    return {"packageId": package_id, "expiryDate": expiry, "status": status,
            "licenseId": license_id, "isDefault": package_id == default_id,
            "queuedLicenseId": queued}


def package_of(brand_id: str, package_id: str | None) -> dict | None:
    """The package (IPackage with features), None when there is none or it was deleted since
    (the user then holds nothing usable)."""
    if not package_id:
        return None
    try:
        return catalog.get_package(brand_id, package_id)
    except ApiError:
        return None


def entitlement(brand_id: str, user_id: str) -> dict[str, Any]:
    """The user's package now (``current``: the SUBSCRIPTION item, else the identity user's
    packageId, else the brand's default package): {package (IPackage with features) | None,
    expiry, status (Active | Grace | Expired), licenseId, queuedLicenseId} (validation.py,
    devices.py and certificates.py read it)."""
    cur = current(brand_id, user_id)
    return {"package": package_of(brand_id, cur.get("packageId")),
            "packageId": cur.get("packageId"), "expiry": utc(cur.get("expiryDate")),
            "status": cur.get("status"), "licenseId": cur.get("licenseId"),
            "queuedLicenseId": cur.get("queuedLicenseId"), "isDefault": bool(cur.get("isDefault"))}


def _in_grace(brand_id: str, expiry: datetime, now: datetime) -> bool:
    grace = policy(identity.get_brand(brand_id))["licenseGraceDays"]
    return now < expiry + timedelta(days=grace)


# -- what applying a license does ----------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    package_id: str | None
    expiry: datetime | None
    queued: bool = False
    starts: datetime | None = None  # when a queued license starts (the current expiry)
    extended: bool = False


def end_of(start: datetime, duration: dict | None) -> datetime | None:
    return catalog.subscription_end(start, duration) if duration else None


def holding(sub: m.SubscriptionItem | None, user: Any) -> tuple[str | None, datetime | None,
                                                                 str]:
    """(packageId, expiry, status) the user holds by the records."""
    if sub is not None:
        return sub.package_id, sub.expiry_date, sub.status
    return user.package_id, user.expiry_date, ACTIVE


def plan_apply(current_package: str | None, current_expiry: datetime | None, status: str,
               package_id: str, duration: dict | None, change_policy: str,
               default_package_id: str | None, now: datetime, grace_days: int = 0) -> Plan:
    """Where the user's package and expiry go when a license for ``package_id`` lasting
    ``duration`` (None: no end) is applied. The same package during its grace period (the
    brand's ``licenseGraceDays`` after the expiry, before the expiry job ends it) extends from
    the expiry, not from now: the grace was a courtesy, and a renewal paid late (invoicing's
    provisional invoice) continues the period it renews."""
    active = (current_package is not None and status != EXPIRED
              and (current_expiry is None or current_expiry > now))
    in_grace = (current_package == package_id and status != EXPIRED
                and current_expiry is not None and current_expiry <= now
                < current_expiry + timedelta(days=grace_days))
    if (active or in_grace) and current_package == package_id:
        if current_expiry is None or duration is None:
            return Plan(package_id, None, extended=True)
        return Plan(package_id, end_of(max(now, current_expiry) if active else current_expiry,
                                       duration), extended=True)
    if (change_policy == "Queue" and active and current_expiry is not None
            and current_package != default_package_id):
        return Plan(package_id, end_of(current_expiry, duration), queued=True,
                    starts=current_expiry)
    return Plan(package_id, end_of(now, duration))


def next_due(expiry: datetime | None, reminder_days: list[int], now: datetime,
             status: str = ACTIVE, grace_days: int = 0) -> datetime | None:
    """The next time a job must look at a subscription: a reminder still ahead, else the
    expiry; in grace, the end of the grace period. None: nothing will happen."""
    if expiry is None or status == EXPIRED:
        return None
    if status == GRACE:
        return expiry + timedelta(days=grace_days)
    ahead = [expiry - timedelta(days=d) for d in reminder_days
             if expiry - timedelta(days=d) > now]
    return min([*ahead, expiry])


def new_state(brand_id: str, user_id: str, prev: m.SubscriptionItem | None, *,
              package_id: str | None, expiry: datetime | None, license_ids: list[str],
              status: str, due: datetime | None, queued: dict | None = None,
              keep_queue: bool = True) -> m.SubscriptionItem:
    """The SUBSCRIPTION item as it will be (save it with ``put``); ``license_ids`` is the
    chain of licenses whose time makes up ``expiry``, the latest last."""
    now = settings.now()
    item = S(m.user_pk(brand_id, user_id), m.SUBSCRIPTION_SK, user_id=user_id, brand_id=brand_id,
             package_id=package_id, expiry_date=expiry, status=status,
             license_id=license_ids[-1] if license_ids else None, license_ids=list(license_ids),
             version=(int(prev.version) + 1) if prev else 1,
             created_date=prev.created_date if prev else now, modified_date=now)
    if queued is not None:
        item.queued_license_id = queued["licenseId"]
        item.queued_package_id = queued["packageId"]
        item.queued_duration = queued.get("duration")
        item.queued_one_time = queued.get("duration") is None
    elif keep_queue and prev is not None and prev.queued_license_id:
        item.queued_license_id = prev.queued_license_id
        item.queued_package_id = prev.queued_package_id
        item.queued_duration = prev.queued_duration
        item.queued_one_time = prev.queued_one_time
    if due is not None:
        key = f"{brand_id}#{user_id}"
        item.due_pk = m.due_shard(key)
        item.due_sk = m.subscription_due_sk(due, brand_id, user_id)
    return item


def put(tx: Any, item: m.SubscriptionItem, prev: m.SubscriptionItem | None) -> None:
    """Save the new state, conditioned on the version read (or on there being none)."""
    if prev is None:
        tx.save(item, condition=S.pk.does_not_exist())
    else:
        tx.save(item, condition=S.version == prev.version)


def mirror(tx: Any, brand_id: str, user_id: str, package_id: str | None,
           expiry: datetime | None) -> None:
    """The identity record's packageId/expiryDate, in the same transaction."""
    item, actions, condition = identity.user_package_update(brand_id, user_id, package_id, expiry)
    tx.update(item, actions=actions, condition=condition)


# -- mail helpers --------------------------------------------------------------------------------

def package_name(brand_id: str, package_id: str | None) -> str | None:
    if not package_id:
        return None
    try:
        return catalog.get_package(brand_id, package_id)["name"]
    except NotFound:
        return None


def user_context(user: Any, expiry: datetime | None = None) -> dict[str, Any]:
    return notify.user_vars(username=user.username, email_address=user.email_address,
                     first_name=user.first_name, last_name=user.last_name,
                     nick_name=user.nick_name, expiry_date=fmt(expiry))


def fmt(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else None
