"""Quota usage: how much of each feature of their package a user has used in the current period.

Storage: ``B#<brand>#U#<userId>#QUOTA`` / ``<featureId>#<periodKey>`` with ``used`` (catalog
table). A new period is a new row, so nothing has to be reset; rows of past calendar periods
expire (TTL) a year after their period ends. Consuming is one conditional UpdateItem
(``used = if_not_exists(used, 0) + amount`` if ``used <= limit - amount``), so concurrent
consumers never go beyond the limit.

A user's package is their ``packageId`` while it has not expired, else the brand's default
package. Periods are in UTC: Daily from midnight, Weekly from Monday (ISO week), Monthly from the
1st, Yearly from 1 January; Custom in windows of ``customIntervalDays`` counted from the user's
creation; Lifetime is one period from the user's creation. ``periodEndDate`` is exclusive (the
start of the next period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import settings
from chalicelib.catalog import packages
from chalicelib.catalog.features import package_features
from chalicelib.catalog.models import QuotaUsageItem, quota_pk
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.identity import service as identity

WARNING_RATIO_PERCENT = 80
KEEP_PAST_PERIODS = timedelta(days=400)


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime
    end: datetime | None


def period_for(policy: str | None, now: datetime, user_created: datetime,
               custom_days: int | None = None) -> Period:
    """The period ``now`` falls in (see the module docstring). A Custom policy without a
    positive ``customIntervalDays`` counts as Lifetime."""
    now = now.astimezone(UTC)
    day = datetime(now.year, now.month, now.day, tzinfo=UTC)
    if policy == "Daily":
        return Period(f"D{day:%Y-%m-%d}", day, day + timedelta(days=1))
    if policy == "Weekly":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Period(f"W{year}-W{week:02d}", start, start + timedelta(days=7))
    if policy == "Monthly":
        start = day.replace(day=1)
        end = (start.replace(year=start.year + 1, month=1) if start.month == 12
               else start.replace(month=start.month + 1))
        return Period(f"M{start:%Y-%m}", start, end)
    if policy == "Yearly":
        start = day.replace(month=1, day=1)
        return Period(f"Y{start:%Y}", start, start.replace(year=start.year + 1))
    origin = user_created.astimezone(UTC)
    if policy == "Custom" and custom_days and int(custom_days) > 0:
        size = timedelta(days=int(custom_days))
        index = max(0, (now - origin) // size)
        start = origin + index * size
        return Period(f"C{int(custom_days)}-{index}", start, start + size)
    return Period("LIFETIME", origin, None)


def status_for(used: int, limit: int | None, unlimited: bool) -> str:
    if unlimited or limit is None:
        return "Normal"
    if used >= limit:
        return "Exceeded"
    if used * 100 >= limit * WARNING_RATIO_PERCENT:
        return "Warning"
    return "Normal"


# -- the user's package and its features ------------------------------------------------------

def current_package(brand_id: str, package_id: str | None, expiry: datetime | None
                    ) -> dict | None:
    """The package a user holds now: theirs until it expires, else the brand's default."""
    if package_id and (expiry is None or expiry > settings.now()):
        try:
            return packages.get_package(brand_id, package_id)
        except NotFound:
            pass
    return packages.default_package(brand_id)


def _features(brand_id: str, package: dict | None) -> list[dict]:
    if package is None:
        return []
    features = package.get("features")
    if features is None:
        features = package_features(brand_id, package["id"])
    return [f for f in features if f.get("type") in ("Function", "Limitation")]


def _feature_id(feature: dict) -> str:
    return feature.get("featureId") or feature["id"]


def _limit(feature: dict) -> int | None:
    if feature.get("type") != "Limitation" or feature.get("isUnlimited"):
        return None
    return int(feature.get("value") or 0)


def _user(brand_id: str, user_id: str) -> Any:
    return identity.get_user_item(brand_id, user_id)


# -- reading -----------------------------------------------------------------------------------

def usages(brand_id: str, user_id: str) -> list[dict[str, Any]]:
    """JFW's IQuotaUsage for every Function and Limitation feature of the user's package."""
    user = _user(brand_id, user_id)
    package = current_package(brand_id, user.package_id, user.expiry_date)
    now = settings.now()
    rows = []
    for feature in _features(brand_id, package):
        period = _period(feature, now, user.created_date)
        rows.append((feature, period))
    keys = [(quota_pk(brand_id, user_id), _sk(_feature_id(f), p.key)) for f, p in rows]
    found = {(i.pk, i.sk): i for i in QuotaUsageItem.batch_get(keys)} if keys else {}
    return [_dto(f, p, found.get(k)) for (f, p), k in zip(rows, keys, strict=True)]


def check(brand_id: str, user_id: str, *, feature_id: str | None = None,
          feature_code: str | None = None, amount: int = 1) -> dict[str, Any]:
    """May the user use ``amount`` of a feature now: ``allowed`` plus the usage behind it."""
    if not feature_id and not feature_code:
        raise BadRequest("Give featureId or featureCode.", field="featureCode")
    if amount < 1:
        raise BadRequest("amount must be 1 or more.", field="amount")
    user = _user(brand_id, user_id)
    package = current_package(brand_id, user.package_id, user.expiry_date)
    feature = _find(brand_id, package, feature_id, feature_code)
    if feature is None:
        return {"allowed": False, "reason": "FEATURE_NOT_IN_PACKAGE", "userId": user_id,
                "featureId": feature_id, "featureCode": feature_code,
                "packageId": package["id"] if package else None}
    period = _period(feature, settings.now(), user.created_date)
    usage = _dto(feature, period, _get(brand_id, user_id, _feature_id(feature), period.key))
    if feature["type"] == "Function":
        on = feature.get("value") is None or int(feature["value"]) != 0
        allowed, reason = (True, None) if on else (False, "FEATURE_OFF")
    elif usage["isUnlimited"] or usage["remainingAmount"] >= amount:
        allowed, reason = True, None
    else:
        allowed, reason = False, "QUOTA_EXCEEDED"
    return {"allowed": allowed, "reason": reason, "userId": user_id,
            "featureId": _feature_id(feature), "featureCode": feature.get("code"),
            "type": feature["type"], "packageId": package["id"] if package else None, **{
                k: usage[k] for k in ("usedAmount", "limitAmount", "remainingAmount",
                                      "isUnlimited", "periodKey", "periodStartDate",
                                      "periodEndDate", "status")}}


# -- consuming ---------------------------------------------------------------------------------

def consume(brand_id: str, user_id: str, *, feature_id: str | None = None,
            feature_code: str | None = None, amount: int = 1) -> dict[str, Any]:
    """Use ``amount`` of a Limitation feature, atomically; beyond the limit is a 409
    ``QUOTA_EXCEEDED`` and changes nothing."""
    if amount < 1:
        raise BadRequest("amount must be 1 or more.", field="amount")
    user = _user(brand_id, user_id)
    package = current_package(brand_id, user.package_id, user.expiry_date)
    feature = _find(brand_id, package, feature_id, feature_code)
    what = feature_code or feature_id
    if feature is None:
        name = package["name"] if package else "(none: the brand has no default package)"
        raise Conflict(f"The user's package {name} does not include the feature '{what}'.",
                       code="FEATURE_NOT_IN_PACKAGE", field="featureCode" if feature_code
                       else "featureId")
    if feature["type"] != "Limitation":
        raise BadRequest(f"The feature '{what}' is a Function (on/off): check it, there is "
                         "nothing to consume.", code="FEATURE_NOT_CONSUMABLE",
                         field="featureCode" if feature_code else "featureId")
    now = settings.now()
    fid = _feature_id(feature)
    period = _period(feature, now, user.created_date)
    limit = _limit(feature)
    if limit is not None and amount > limit:
        raise _exceeded(what, used=_used(_get(brand_id, user_id, fid, period.key)),
                        limit=limit, amount=amount)
    item = QuotaUsageItem(quota_pk(brand_id, user_id), _sk(fid, period.key))
    actions = [
        QuotaUsageItem.used.set((QuotaUsageItem.used | 0) + amount),
        QuotaUsageItem.user_id.set(user_id),
        QuotaUsageItem.feature_id.set(fid),
        QuotaUsageItem.period_key.set(period.key),
        QuotaUsageItem.period_start.set(period.start),
        QuotaUsageItem.created_date.set(QuotaUsageItem.created_date | now),
        QuotaUsageItem.modified_date.set(now),
    ]
    if period.end is not None:
        actions += [QuotaUsageItem.period_end.set(period.end),
                    QuotaUsageItem.ttl.set(int((period.end + KEEP_PAST_PERIODS).timestamp()))]
    condition = None
    if limit is not None:
        condition = (QuotaUsageItem.used.does_not_exist()
                     | (QuotaUsageItem.used <= limit - amount))
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as e:
        if getattr(e, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        raise _exceeded(what, used=_used(_get(brand_id, user_id, fid, period.key)),
                        limit=limit or 0, amount=amount) from None
    return _dto(feature, period, item)


def _exceeded(what: str | None, *, used: int, limit: int, amount: int) -> Conflict:
    left = max(0, limit - used)
    return Conflict(f"Quota exceeded for '{what}': {used} of {limit} used, {left} left, "
                    f"{amount} asked for.", code="QUOTA_EXCEEDED", field="amount")


# -- helpers -----------------------------------------------------------------------------------

def _find(brand_id: str, package: dict | None, feature_id: str | None,
          feature_code: str | None) -> dict | None:
    for f in _features(brand_id, package):
        if feature_id and _feature_id(f) == feature_id:
            return f
        if not feature_id and feature_code and (f.get("code") or "").lower() == \
                feature_code.strip().lower():
            return f
    return None


def _period(feature: dict, now: datetime, user_created: datetime) -> Period:
    return period_for(feature.get("resetPolicy") or "Lifetime", now, user_created,
                      feature.get("customIntervalDays"))


def _sk(feature_id: str, period_key: str) -> str:
    return f"{feature_id}#{period_key}"


def _get(brand_id: str, user_id: str, feature_id: str, period_key: str) -> QuotaUsageItem | None:
    try:
        return QuotaUsageItem.get(quota_pk(brand_id, user_id), _sk(feature_id, period_key))
    except DoesNotExist:
        return None


def _used(item: QuotaUsageItem | None) -> int:
    return int(item.used or 0) if item is not None else 0


def _dto(feature: dict, period: Period, item: QuotaUsageItem | None) -> dict[str, Any]:
    fid = _feature_id(feature)
    function = feature.get("type") == "Function"
    unlimited = bool(feature.get("isUnlimited")) and not function
    limit = _limit(feature)
    used = _used(item)
    return {
        "id": f"{fid}-{period.key}",
        "feature": feature,
        "usedAmount": used,
        "limitAmount": limit,
        "remainingAmount": None if limit is None else max(0, limit - used),
        "isUnlimited": unlimited,
        "periodKey": None if function else period.key,
        "periodStartDate": None if function else period.start,
        "periodEndDate": None if function else period.end,
        "status": "Normal" if function else status_for(used, limit, unlimited),
        "modifiedDate": item.modified_date if item is not None else None,
    }
