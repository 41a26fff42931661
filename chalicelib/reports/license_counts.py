"""Where a license counts in the monthly license statistics, and the counters kept so
(subscribed to licensing's ``license-event`` rows in service.py; the recount job in jobs.py).

A license counts in ONE counter: the day it was created (UTC) x package x subscription type x
currency x mode (L live, T test) x type x status, with its amount. Its status is the effective
one (licensing's: NotStarted before startDate, Expired after endDate, else what is stored),
so a license moves between counters when it is applied (Used), deactivated, expired,
revoked (type Refunded, Inactive) or restored; a deleted license counts nowhere.

Every change to a license writes a ``license-event`` row naming it (licensing/changes.py). The
subscriber reads the license as it is now and, when that is newer than what its ``COUNTED`` row
says (a higher license version; at the same version a status further on in time), moves the
counters by -1 / +1 in ONE transaction with the row, conditioned on the row's ``rev``; so rows
delivered twice, late or at once count once. A status that changes with time alone (a
NotStarted license reaching its startDate, an Active one its endDate before the expiry job
stores Expired) is recounted when it is due: the ``COUNTED`` row sits in the sparse ``due``
index until then, and the recount job (every 10 minutes) reads only what is due.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import settings
from chalicelib.licensing import service as licensing
from chalicelib.reports import models as m
from chalicelib.store.tx import ConditionFailed, transaction

log = logging.getLogger("jfw.reports")

C = m.LicenseCounterItem
R = m.CountedLicenseItem
ATTEMPTS = 8
# Statuses a license reaches with time alone, in that order (at one version it only moves on).
TIME_ORDER = {"NotStarted": 0, "Active": 1, "Expired": 2}
LIMIT_PER_SHARD = 1000


def bucket(state: dict[str, Any]) -> dict[str, Any] | None:
    """The counter a license counts in (None: nowhere)."""
    if state["isDeleted"]:
        return None
    created = state["createdDate"]
    mode = "T" if state["testMode"] else "L"
    day = created.strftime("%d")
    return {"month": created.strftime("%Y-%m"), "day": day,
            "sk": m.license_bucket_sk(day, state["packageId"], state["subscriptionTypeId"],
                                      state["currency"], mode, state["type"], state["status"]),
            "packageId": state["packageId"], "subscriptionTypeId": state["subscriptionTypeId"],
            "currency": state["currency"], "mode": mode, "type": state["type"],
            "status": state["status"], "amount": int(state["amountMinor"])}


def next_change(state: dict[str, Any], now: datetime) -> datetime | None:
    """When the license's effective status changes with no write: at startDate (NotStarted),
    at endDate (Active with an end)."""
    if state["isDeleted"]:
        return None
    if state["status"] == "NotStarted":
        return state["startDate"]
    if state["status"] == "Active" and state["endDate"] is not None:
        return state["endDate"]
    return None


# -- following the licenses ----------------------------------------------------------------------

def on_license_event(payload: dict[str, Any]) -> None:
    recount(payload["brandId"], payload.get("licenseIds") or [])


def recount(brand_id: str, license_ids: Iterable[str]) -> int:
    """Count each license as it is now; how many moved a counter."""
    moved = 0
    for state in licensing.license_states(brand_id, license_ids):
        moved += count(brand_id, state)
    return moved


def count(brand_id: str, state: dict[str, Any]) -> bool:
    """Make the counters hold ``state`` of the license, unless they hold a newer one."""
    for attempt in range(ATTEMPTS):
        counted = _counted(brand_id, state["id"])
        if not _newer(state, counted):
            return False
        try:
            _write(brand_id, state, counted)
            return True
        except ConditionFailed:
            pass  # another delivery counted it meanwhile: read again
        except TransactWriteError as e:
            if attempt == ATTEMPTS - 1 or not _conflict(e):
                raise
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))  # noqa: S311 - jitter
        fresh = licensing.license_states(brand_id, [state["id"]])
        if not fresh:
            return False
        state = fresh[0]
    raise RuntimeError(f"license {state['id']}: counters not moved after {ATTEMPTS} tries")


def _newer(state: dict[str, Any], counted: m.CountedLicenseItem | None) -> bool:
    if counted is None:
        return True
    version = int(counted.license_version)
    if state["version"] != version:
        return state["version"] > version
    old = (counted.counted or {}).get("status")
    new_rank, old_rank = TIME_ORDER.get(state["status"]), TIME_ORDER.get(old or "")
    if new_rank is None or old_rank is None:
        return False  # the same version: only time moves a status, and only these
    return new_rank > old_rank


def _conflict(e: TransactWriteError) -> bool:
    return any(r is not None and r.code == "TransactionConflict"
               for r in (e.cancellation_reasons or []))


def _counted(brand_id: str, license_id: str) -> m.CountedLicenseItem | None:
    try:
        return R.get(m.counted_license_pk(brand_id, license_id), m.COUNTED_SK,
                     consistent_read=True)
    except R.DoesNotExist:
        return None


def _write(brand_id: str, state: dict[str, Any], counted: m.CountedLicenseItem | None) -> None:
    new = bucket(state)
    old = counted.counted if counted is not None else None
    when = next_change(state, settings.now())
    row = R(m.counted_license_pk(brand_id, state["id"]), m.COUNTED_SK,
            license_version=state["version"], counted=new,
            rev=int(counted.rev) + 1 if counted is not None else 1)
    if when is not None:
        row.due_pk = m.license_due_shard(state["id"])
        row.due_sk = m.license_due_sk(when, brand_id, state["id"])
    with transaction() as tx:
        tx.save(row, condition=R.pk.does_not_exist() if counted is None
                else R.rev == counted.rev)
        if old and new and old["month"] == new["month"] and old["sk"] == new["sk"] \
                and old["amount"] == new["amount"]:
            return  # the same counter, the same amount: only the row moves on
        for sign, b in ((-1, old), (1, new)):
            if b:
                _move(tx, brand_id, b, sign)


def _move(tx: Any, brand_id: str, b: dict[str, Any], sign: int) -> None:
    actions = [C.kind.set(C), C.day.set(b["day"]), C.package_id.set(b["packageId"]),
               C.currency.set(b["currency"]), C.mode.set(b["mode"]), C.type.set(b["type"]),
               C.status.set(b["status"]), C.licenses.add(sign),
               C.amount_minor.add(sign * b["amount"])]
    if b["subscriptionTypeId"]:
        actions.append(C.subscription_type_id.set(b["subscriptionTypeId"]))
    tx.update(C(m.license_month_pk(brand_id, b["month"]), b["sk"]), actions=actions)


# -- the recount of what time changed (jobs.py) ---------------------------------------------------

def recount_due(now: datetime | None = None) -> dict[str, int]:
    """Recount the licenses whose status time has changed (the due index, ``dueSk`` <= now)."""
    now = now or settings.now()
    cutoff = m.stamp(now) + "#~"
    counts: dict[str, int] = defaultdict(int)
    for shard in m.license_due_shards():
        for item in m.ReportsRecord.due.query(shard, m.ReportsRecord.due_sk <= cutoff,
                                              limit=LIMIT_PER_SHARD):
            counts["due"] += 1
            if not isinstance(item, R):
                continue
            brand_id, license_id = item.due_sk.split("#")[-2:]
            try:
                states = licensing.license_states(brand_id, [license_id])
                if not states:
                    _drop_due(item)
                    counts["gone"] += 1
                elif count(brand_id, states[0]):
                    counts["recounted"] += 1
                else:
                    counts["unchanged"] += 1
            except Exception:  # noqa: BLE001 - one bad item must not stop the others
                log.exception("license recount: %s not recounted", item.pk)
                counts["errors"] += 1
    return dict(counts)


def _drop_due(item: m.CountedLicenseItem) -> None:
    try:
        item.update(actions=[R.due_pk.remove(), R.due_sk.remove(), R.rev.add(1)],
                    condition=R.rev == item.rev)
    except Exception:  # noqa: BLE001 - changed meanwhile: its new state says when it is due
        log.info("license recount: %s changed meanwhile", item.pk)


# -- from scratch ---------------------------------------------------------------------------------

def recompute(brand_id: str) -> dict[tuple[str, str], dict[str, int]]:
    """What the license counters should hold, from the brand's licenses as they are now:
    {(month, sk): {"licenses", "amount"}}."""
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"licenses": 0,
                                                                     "amount": 0})
    for state in licensing.brand_license_states(brand_id):
        b = bucket(state)
        if b:
            out[(b["month"], b["sk"])]["licenses"] += 1
            out[(b["month"], b["sk"])]["amount"] += b["amount"]
    return dict(out)


def held(brand_id: str, months: Iterable[str]) -> dict[tuple[str, str], dict[str, int]]:
    """What the license counters of those months hold, non-zero ones."""
    out = {}
    for month in months:
        for c in C.query(m.license_month_pk(brand_id, month), consistent_read=True):
            if int(c.licenses or 0) or int(c.amount_minor or 0):
                out[(month, c.sk)] = {"licenses": int(c.licenses or 0),
                                      "amount": int(c.amount_minor or 0)}
    return out


def rebuild(brand_id: str) -> int:
    """Count every license of the brand the counters don't hold as it is (licenses made before
    the counters); safe to run again and alongside the outbox."""
    return sum(count(brand_id, state) for state in licensing.brand_license_states(brand_id))
