"""Applying a license to a user (JFW's Licensing Flow), in ONE transaction:

the license becomes Used (condition: still the version read, still Active), the user's
SUBSCRIPTION item moves (condition: its version), the identity record mirrors it, and the
LICENSE.APPLIED.SUCCESS mail row is written. Two applies of one code: the second fails its
license condition and answers 409. A change to the user's subscription by someone else meanwhile
only retries.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from chalicelib import settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.licensing import changes, licenses
from chalicelib.licensing import models as m
from chalicelib.licensing import subscriptions as subs
from chalicelib.notify import service as notify
from chalicelib.store.tx import ConditionFailed, transaction

log = logging.getLogger("jfw.licensing")

ATTEMPTS = 5
L = m.LicenseItem

_REFUSALS = {
    m.USED: ("This license was already used.", "LICENSE_USED"),
    m.NOT_STARTED: ("This license can't be used before its start date.", "LICENSE_NOT_STARTED"),
    m.EXPIRED: ("This license has expired.", "LICENSE_EXPIRED"),
    m.INACTIVE: ("This license is not active.", "LICENSE_INACTIVE"),
}


def refuse_unusable(item: m.LicenseItem, now: datetime) -> None:
    status = licenses.effective_status(item, now)
    if status != m.ACTIVE:
        message, code = _REFUSALS[status]
        raise Conflict(message, code=code, field="licenseCode")


def target_user(brand_id: str, user_id: str) -> Any:
    user = identity.get_user_item(brand_id, user_id)
    if user.status == "Deleted":
        raise NotFound("User not found.", code="USER_NOT_FOUND")
    return user


def entitlement(tx: Any, brand: dict, user: Any, sub: m.SubscriptionItem | None, *,
                license_id: str, package_id: str, duration: dict | None,
                now: datetime) -> tuple[subs.Plan, m.SubscriptionItem]:
    """Add the subscription (and, unless queued, the identity mirror) to ``tx``."""
    brand_id = brand["id"]
    policy = subs.policy(brand)
    default = catalog.default_package(brand_id)
    cur_package, cur_expiry, cur_status = subs.holding(sub, user)
    plan = subs.plan_apply(cur_package, cur_expiry, cur_status, package_id, duration,
                           policy["licenseChangePolicy"], default["id"] if default else None,
                           now, policy["licenseGraceDays"])
    reminders = policy["licenseReminderDays"]
    if plan.queued:
        if sub is not None and sub.queued_license_id:
            raise Conflict("A license is already waiting to start after the current package "
                           "ends; apply this one after that.", code="LICENSE_QUEUE_FULL",
                           field="licenseCode")
        chain = list(sub.license_ids or []) if sub is not None else []
        new = subs.new_state(brand_id, user.id, sub, package_id=cur_package, expiry=cur_expiry,
                             license_ids=chain, status=subs.ACTIVE,
                             due=subs.next_due(cur_expiry, reminders, now),
                             queued={"licenseId": license_id, "packageId": package_id,
                                     "duration": duration})
        subs.put(tx, new, sub)
        return plan, new
    chain = [*(sub.license_ids or []), license_id] if plan.extended and sub else [license_id]
    new = subs.new_state(brand_id, user.id, sub, package_id=plan.package_id, expiry=plan.expiry,
                         license_ids=chain, status=subs.ACTIVE,
                         due=subs.next_due(plan.expiry, reminders, now))
    subs.put(tx, new, sub)
    subs.mirror(tx, brand_id, user.id, plan.package_id, plan.expiry)
    return plan, new


def license_context(brand_id: str, code: str, plan: subs.Plan, **extra: Any) -> dict[str, Any]:
    return {"code": code, "codes": code, "quantity": 1,
            "package_name": subs.package_name(brand_id, plan.package_id),
            "expiry_date": subs.fmt(plan.expiry), "queued": plan.queued,
            "start_date": subs.fmt(plan.starts), **extra}


def apply_code(brand: dict, code: str, user_id: str) -> bool:
    """Apply the license with ``code`` to the user; the user is told by mail."""
    brand_id = brand["id"]
    for _ in range(ATTEMPTS):
        item = licenses.get_by_code(brand_id, code)
        now = settings.now()
        refuse_unusable(item, now)
        user = target_user(brand_id, user_id)
        sub = subs.get_item(brand_id, user_id)
        rows: list[Any] = []
        try:
            with transaction() as tx:
                tx.update(item, actions=[
                    L.status.set(m.USED), L.used_by_user_id.set(user.id),
                    L.used_by_user_code.set(user.code), L.used_date.set(now),
                    L.version.set(int(item.version) + 1), L.modified_date.set(now),
                    L.due_pk.remove(), L.due_sk.remove()],
                    condition=(L.version == item.version) & (L.status == m.ACTIVE)
                    & (L.is_deleted == False))  # noqa: E712 - a DynamoDB condition
                plan, _ = entitlement(tx, brand, user, sub, license_id=item.id,
                                      package_id=item.package_id, duration=item.duration,
                                      now=now)
                if user.email_address:
                    rows = [notify.mail(brand_id, "LICENSE.APPLIED.SUCCESS", user.email_address,
                                        {"user": subs.user_context(user, plan.expiry),
                                         "license": license_context(brand_id, item.code, plan)},
                                        language_code=user.language_code)]
                    notify.add(tx, rows)
                rows = [*rows, *changes.add(tx, brand_id, [item.id])]
        except ConditionFailed as e:
            if e.failed(0):
                fresh = licenses.find_by_code(brand_id, code)
                if fresh is None or fresh.status == m.USED or not licenses.usable(fresh):
                    raise Conflict("This license was already used.", code="LICENSE_USED",
                                   field="licenseCode") from None
            continue  # the user's subscription moved meanwhile: read again
        notify.publish(rows)
        log.info("license %s applied to user %s (%s)", item.id, user_id,
                 "queued" if plan.queued else "now")
        return True
    raise Conflict("The account kept changing while the license was applied; try again.",
                   code="SUBSCRIPTION_BUSY")


def apply_to_login_name(brand: dict, code: str, login_name: str) -> bool:
    user = identity.find_user_by_login(brand["id"], login_name)
    if user is None or user.status == "Deleted":
        raise NotFound(f"No user '{login_name}' in this brand.", code="USER_NOT_FOUND",
                       field="loginName")
    return apply_code(brand, code, user.id)
