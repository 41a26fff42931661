"""The expiry job (schedule ``license-expiry``): reads only what is due, from the sparse ``due``
index (shards ``LICDUE#0..7``, ``dueSk`` <= now), never the table.

For a SUBSCRIPTION that is due:
- before its expiry: the "expiring soon" mail (LICENSE.EXPIRING.SOON) for the nearest brand
  offset (``licenseReminderDays``) that has come, once: a ``REMINDER#<expiry>#<days>`` marker
  (saved only if absent) goes in the same transaction as the mail row and the move of ``dueSk``
  to the next reminder or the expiry. No reminders while a queued license waits to follow.
- at its expiry: a queued license starts (package and expiry from it, counted from the old
  expiry); else, with ``licenseGraceDays``, the user keeps the package until the grace ends
  (status Grace); then the user moves to the brand's default package (expiryDate cleared) and
  gets LICENSE.EXPIRED.SUCCESS.
For a LICENSE that is due: its window (endDate) passed unused -> status Expired.

Every write is conditioned on the version read, so a second run, or a copy running at the same
time, finds nothing left to do or loses its condition and does nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from chalicelib import settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import NotFound
from chalicelib.identity import service as identity
from chalicelib.licensing import changes
from chalicelib.licensing import models as m
from chalicelib.licensing import subscriptions as subs
from chalicelib.notify import service as notify
from chalicelib.store.tx import ConditionFailed, transaction

log = logging.getLogger("jfw.licensing")

S = m.SubscriptionItem
L = m.LicenseItem
LIMIT_PER_SHARD = 1000


class _Run:
    """Per-run caches: a brand and its catalogue are read once per run, not per item."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.brands: dict[str, dict] = {}
        self.catalogues: dict[str, Any] = {}
        self.counts: Counter[str] = Counter()

    def brand(self, brand_id: str) -> dict:
        if brand_id not in self.brands:
            self.brands[brand_id] = identity.get_brand(brand_id)
        return self.brands[brand_id]

    def _catalogue(self, brand_id: str) -> Any:
        if brand_id not in self.catalogues:
            self.catalogues[brand_id] = catalog.load(brand_id)
        return self.catalogues[brand_id]

    def package_name(self, brand_id: str, package_id: str | None) -> str | None:
        package = self._catalogue(brand_id).packages.get(package_id) if package_id else None
        return package.name if package is not None else None

    def default(self, brand_id: str) -> dict | None:
        """{id, name} of the brand's default package."""
        cat = self._catalogue(brand_id)
        default_id = cat.head.default_package_id if cat.head else None
        package = cat.packages.get(default_id) if default_id else None
        return {"id": package.id, "name": package.name} if package is not None else None


def run(now: datetime | None = None) -> dict[str, int]:
    state = _Run(now or settings.now())
    cutoff = m.stamp(state.now) + "#~"
    for shard in m.due_shards():
        for item in m.LicensingRecord.due.query(shard, m.LicensingRecord.due_sk <= cutoff,
                                                limit=LIMIT_PER_SHARD):
            state.counts["due"] += 1
            try:
                if isinstance(item, S):
                    state.counts[subscription(item, state)] += 1
                elif isinstance(item, L):
                    state.counts[expire_license(item, state.now)] += 1
                else:
                    state.counts["other"] += 1
            except Exception:  # noqa: BLE001 - one bad item must not stop the others
                log.exception("expiry: %s %s not processed", type(item).__name__, item.pk)
                state.counts["errors"] += 1
    return dict(state.counts)


# -- licenses ------------------------------------------------------------------------------------

def expire_license(item: m.LicenseItem, now: datetime) -> str:
    actions: list[Any] = [L.due_pk.remove(), L.due_sk.remove(),
                          L.version.set(int(item.version) + 1)]
    expired = (item.status == m.ACTIVE and not item.is_deleted and item.end_date is not None
               and item.end_date <= now)
    if expired:
        actions += [L.status.set(m.EXPIRED), L.modified_date.set(now)]
    elif item.status == m.ACTIVE and item.end_date is not None and not item.is_deleted:
        return "license-not-yet"  # moved by an update meanwhile; its dueSk says when
    try:
        with transaction() as tx:
            tx.update(item, actions=actions, condition=L.version == item.version)
            rows = changes.add(tx, item.brand_id, [item.id])
    except ConditionFailed:
        return "conflict"
    notify.publish(rows)
    return "license-expired" if expired else "stale"


# -- subscriptions -------------------------------------------------------------------------------

def _same(sub: m.SubscriptionItem, due: datetime | None, **changes: Any) -> m.SubscriptionItem:
    return subs.new_state(
        sub.brand_id, sub.user_id, sub, package_id=changes.get("package_id", sub.package_id),
        expiry=changes.get("expiry", sub.expiry_date),
        license_ids=changes.get("license_ids", list(sub.license_ids or [])),
        status=changes.get("status", sub.status), due=due,
        keep_queue=changes.get("keep_queue", True))


def _commit(sub: m.SubscriptionItem, new: m.SubscriptionItem, *, mirror: bool = False,
            marker: m.ReminderItem | None = None, rows: list[Any] | None = None) -> bool:
    try:
        with transaction() as tx:
            subs.put(tx, new, sub)
            if marker is not None:
                tx.save(marker, condition=m.ReminderItem.pk.does_not_exist())
            if mirror:
                subs.mirror(tx, sub.brand_id, sub.user_id, new.package_id, new.expiry_date)
            notify.add(tx, rows or [])
    except ConditionFailed:
        return False
    notify.publish(rows or [])
    return True


def _user(brand_id: str, user_id: str) -> Any:
    try:
        return identity.get_user_item(brand_id, user_id)
    except NotFound:
        return None


def subscription(sub: m.SubscriptionItem, state: _Run) -> str:
    now = state.now
    brand = state.brand(sub.brand_id)
    policy = subs.policy(brand)
    reminders, grace = policy["licenseReminderDays"], policy["licenseGraceDays"]
    expiry = sub.expiry_date
    if expiry is None or sub.status == subs.EXPIRED:
        return "stale" if _commit(sub, _same(sub, None)) else "conflict"
    if now < expiry:
        return _remind(sub, state, reminders)
    if sub.queued_license_id:
        return _start_queued(sub, state, reminders)
    if grace and sub.status != subs.GRACE and now < expiry + timedelta(days=grace):
        ok = _commit(sub, _same(sub, expiry + timedelta(days=grace), status=subs.GRACE))
        return "grace" if ok else "conflict"
    return _expire(sub, state)


def _remind(sub: m.SubscriptionItem, state: _Run, reminders: list[int]) -> str:
    now, expiry = state.now, sub.expiry_date
    assert expiry is not None
    due = subs.next_due(expiry, reminders, now)
    passed = [d for d in reminders if expiry - timedelta(days=d) <= now]
    if not passed or sub.queued_license_id:
        return "rescheduled" if _commit(sub, _same(sub, due)) else "conflict"
    days = min(passed)
    marker = m.ReminderItem(m.user_pk(sub.brand_id, sub.user_id), m.reminder_sk(expiry, days),
                            user_id=sub.user_id, offset_days=days, expiry_date=expiry,
                            created_date=now)
    user = _user(sub.brand_id, sub.user_id)
    rows = []
    if user is not None and user.status != "Deleted":
        context = {"user": subs.user_context(user, expiry),
                   "license": {"package_name": state.package_name(sub.brand_id, sub.package_id),
                               "expiry_date": subs.fmt(expiry), "days_left": days}}
        rows = [notify.mail(sub.brand_id, "LICENSE.EXPIRING.SOON", user.email_address, context,
                            language_code=user.language_code)] if user.email_address else []
        rows += notify.texts_for(sub.brand_id, "LICENSE.EXPIRING.SOON", user, context)
    if _commit(sub, _same(sub, due), marker=marker, rows=rows):
        return "reminded"
    # Lost a condition: a copy of the job sent it, or the subscription changed meanwhile. A
    # marker left from before (the expiry came back to a date already reminded of) only
    # moves the due time on.
    try:
        m.ReminderItem.get(marker.pk, marker.sk, consistent_read=True)
    except m.ReminderItem.DoesNotExist:
        return "conflict"
    return "already-reminded" if _commit(sub, _same(sub, due)) else "conflict"


def _start_queued(sub: m.SubscriptionItem, state: _Run, reminders: list[int]) -> str:
    expiry = subs.end_of(sub.expiry_date, sub.queued_duration)  # type: ignore[arg-type]
    new = subs.new_state(sub.brand_id, sub.user_id, sub, package_id=sub.queued_package_id,
                         expiry=expiry, license_ids=[sub.queued_license_id],
                         status=subs.ACTIVE, due=subs.next_due(expiry, reminders, state.now),
                         keep_queue=False)
    return "queued-started" if _commit(sub, new, mirror=True) else "conflict"


def _expire(sub: m.SubscriptionItem, state: _Run) -> str:
    default = state.default(sub.brand_id)
    new = _same(sub, None, package_id=default["id"] if default else None, expiry=None,
                license_ids=[], status=subs.EXPIRED, keep_queue=False)
    user = _user(sub.brand_id, sub.user_id)
    rows = []
    if user is not None and user.email_address and user.status != "Deleted":
        rows = [notify.mail(sub.brand_id, "LICENSE.EXPIRED.SUCCESS", user.email_address, {
            "user": subs.user_context(user),
            "license": {"package_name": state.package_name(sub.brand_id, sub.package_id),
                        "expiry_date": subs.fmt(sub.expiry_date),
                        "default_package_name": default["name"] if default else None}},
            language_code=user.language_code)]
    ok = _commit(sub, new, mirror=user is not None, rows=rows)
    return "expired" if ok else "conflict"
