"""``POST v1/licenses/validate``: is this license (or this user's package) good right now, and if
not, why (our design; Keygen's validate with reason codes is the model, peers.md).

The subject is a license code, or a user: by an Auth-Key sent in the body (an app validating its
logged-in user), or by ``userId`` alone when the caller's own Auth-Key holds USER.READ (a brand's
back-end). Checks run in this fixed order, and the first that fails gives the code:

1. ``NOT_FOUND``: no such license in the brand (or deleted); the Auth-Key is invalid, expired or
   revoked (suspending or locking an account ends its sessions), or of another user or brand.
2. ``SUSPENDED``: the license was revoked (type Refunded: a refund or a lost dispute), or the
   user is Suspended, Locked or Deleted.
3. ``EXPIRED``: the license's end date passed unused, or the package it gave ended (its expiry
   date passed, after the brand's grace days), or the user's package ended.
4. ``NOT_STARTED``: the license's start date is ahead, or it waits in the user's queue.
5. ``INACTIVE``: the license was deactivated or replaced by another one; the user is Inactive.
6. ``NO_PACKAGE``: the user has no package (and the brand no default package).
7. With ``deviceCode`` (or Keygen's ``fingerprint``): ``DEVICE_NOT_LINKED`` (unknown device, or
   not linked to the license's user; an unused license has no user), ``SUSPENDED`` /
   ``INACTIVE`` for a blocked device, ``TOO_MANY_DEVICES`` when the device lost its access to
   the package's device limit.
8. ``VALID``.

An unused license that could be applied now is ``VALID``. The answer is always 200 with
``{valid, code, detail, ...}``: the reason is data for the app, not an HTTP error.

What the answer tells: an app needs to know whether to unlock, what and until when, so every
caller gets ``packageId``, ``packageCode``, ``features`` ([{code, type, value, isUnlimited}]),
``expiryDate`` and, for a license code, the license without who used it or paid for it (its
fields of the SDK's ``ILicense``). Only a caller holding LICENSE.READ also gets ``userId`` and
the whole license (buyer, payment, owner, notes). Callers without an Auth-Key are throttled per
(brand, source IP) and per brand (``validate_per_*_per_minute``; 429 with Retry-After), so
license codes can't be guessed at speed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import ApiError, Forbidden
from chalicelib.identity import service as identity
from chalicelib.licensing import devices, licenses, subscriptions
from chalicelib.licensing import models as m
from chalicelib.licensing import subscriptions as subs
from chalicelib.licensing.licenses import utc

CODES = ("VALID", "NOT_FOUND", "SUSPENDED", "EXPIRED", "NOT_STARTED", "INACTIVE", "NO_PACKAGE",
         "DEVICE_NOT_LINKED", "TOO_MANY_DEVICES")
BLOCKED_USER = ("Suspended", "Locked", "Deleted")
# The license's fields every caller sees: the SDK's ILicense without who used or paid for it.
PUBLIC_LICENSE_FIELDS = ("id", "createdDate", "modifiedDate", "packageId", "subscriptionTypeId",
                         "code", "type", "amount", "currencyCode", "startDate", "endDate",
                         "status", "usedDate", "testMode", "duration")


def verdict(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"valid": code == "VALID", "code": code, "detail": detail, **extra}


# -- what the user has ----------------------------------------------------------------------------

def features_of(package: dict | None) -> list[dict[str, Any]]:
    """The package's Active features as an app reads them (also the certificates' claim)."""
    features = [{"code": f.get("code"), "type": f.get("type"), "value": f.get("value"),
                 "isUnlimited": bool(f.get("isUnlimited"))}
                for f in (package or {}).get("features") or []
                if f.get("status", "Active") == "Active"]
    return sorted(features, key=lambda f: str(f["code"]))


def _package_fields(package: dict | None, package_id: str | None = None) -> dict[str, Any]:
    return {"packageId": package["id"] if package else package_id,
            "packageCode": package["code"] if package else None,
            "features": features_of(package)}


def _license_ids(brand_id: str, user_id: str, ent: dict[str, Any]) -> set[str]:
    """The licenses whose time makes up the user's current package (one, plus extensions)."""
    sub = subscriptions.get_item(brand_id, user_id)
    found = set(getattr(sub, "license_ids", None) or []) if sub else set()
    return found | ({ent["licenseId"]} if ent["licenseId"] else set())


def _ended(ent: dict[str, Any]) -> bool:
    """The package's expiry (and the brand's grace days) passed, whether or not the expiry job
    has moved the user to the default package yet."""
    return ent["status"] == m.EXPIRED


# -- the checks -----------------------------------------------------------------------------------

def evaluate_user(brand_id: str, user_id: str) -> dict[str, Any]:
    """Steps 2-6 for a user: the verdict plus ``package`` and ``expiry`` (datetime)."""
    try:
        user = identity.get_user_item(brand_id, user_id)
    except ApiError:
        return verdict("NOT_FOUND", "No such user in this brand.", package=None, expiry=None)
    if user.status in BLOCKED_USER:
        return verdict("SUSPENDED", f"The account is {user.status}.", package=None,
                       expiry=None)
    ent = subs.entitlement(brand_id, user_id)
    extra = {"package": ent["package"], "expiry": ent["expiry"]}
    if ent["package"] is not None and _ended(ent):
        return verdict("EXPIRED", f"The package ended on {ent['expiry']:%Y-%m-%d %H:%M} UTC.",
                       **extra)
    if user.status != "Active":
        return verdict("INACTIVE", f"The account is {user.status}.", **extra)
    if ent["package"] is None:
        return verdict("NO_PACKAGE", "The account has no package, and the brand no default "
                                     "package.", **extra)
    return verdict("VALID", "The account's package is in force.", **extra)


def evaluate_license(brand: dict, item: m.LicenseItem) -> tuple[dict[str, Any], str | None]:
    """Steps 2-5 for a license: (verdict, the user whose devices count, if any)."""
    now = settings.now()
    expiry = utc(item.end_date)
    if item.type == m.REFUNDED:
        return verdict("SUSPENDED", "The license was revoked (its payment was refunded or "
                                    "disputed).", expiryDate=expiry), None
    user_id = item.used_by_user_id
    if item.status != m.USED or not user_id:
        status = licenses.effective_status(item, now)
        if status == m.EXPIRED:
            return verdict("EXPIRED", "The license expired unused.", expiryDate=expiry), None
        if status == m.NOT_STARTED:
            return verdict("NOT_STARTED", f"The license can be used from "
                                          f"{item.start_date:%Y-%m-%d %H:%M} UTC.",
                           expiryDate=expiry), None
        if status == m.INACTIVE:
            return verdict("INACTIVE", "The license was deactivated.", expiryDate=expiry), None
        return verdict("VALID", "The license is unused and can be applied.",
                       expiryDate=expiry), None
    try:
        user = identity.get_user_item(brand["id"], user_id)
    except ApiError:
        user = None
    if user is not None and user.status in BLOCKED_USER:
        return verdict("SUSPENDED", f"The license's user is {user.status}.",
                       expiryDate=expiry), user_id
    try:
        ent = subs.entitlement(brand["id"], user_id)
    except ApiError:
        return verdict("INACTIVE", "The license's user no longer exists.",
                       expiryDate=expiry), None
    if item.id in _license_ids(brand["id"], user_id, ent):
        if _ended(ent) or ent["packageId"] != item.package_id:
            # Expired, and maybe already moved back to the default package by the expiry job.
            return verdict("EXPIRED", "The package this license gave has ended.",
                           expiryDate=ent["expiry"] or expiry), user_id
        expiry = ent["expiry"]
        return verdict("VALID", "The license is in use and in force.",
                       expiryDate=expiry), user_id
    if ent["queuedLicenseId"] == item.id:
        return verdict("NOT_STARTED", "The license starts when the user's current package "
                                      "ends.", expiryDate=expiry), user_id
    if ent["isDefault"] or _ended(ent):
        return verdict("EXPIRED", "The package this license gave has ended; the user is back "
                                  "on the default package.", expiryDate=None), user_id
    return verdict("INACTIVE", "The license was used, and another license has replaced it on "
                               "the user's account.", expiryDate=expiry), user_id


def _device_step(brand: dict, user_id: str | None, device_code: str | None,
                 result: dict[str, Any]) -> dict[str, Any]:
    if not device_code or not result["valid"]:
        return result
    if user_id is None:
        return {**result, **verdict("DEVICE_NOT_LINKED", "The license is not in use, so no "
                                                         "device is linked to it.")}
    access = devices.device_access(brand["id"], user_id, device_code, brand)
    if access == "OK":
        return result
    return {**result, **verdict(access, f"Device '{device_code}': "
                                        f"{devices.ACCESS_DETAIL[access]}")}


def validate(brand: dict, body: Any, caller_may_read_users: bool = False,
             full: bool = False) -> dict[str, Any]:
    """The validate route's answer for a ValidateBody; ``full`` (LICENSE.READ) adds who."""
    if body.licenseCode:
        item = licenses.find_by_code(brand["id"], body.licenseCode)
        if item is None:
            return verdict("NOT_FOUND", "No license has this code in this brand.")
        result, user_id = evaluate_license(brand, item)
        result = _device_step(brand, user_id, body.device, result)
        dto = licenses.to_dto(item)
        answer = {**result, **_package_fields(subs.package_of(brand["id"], item.package_id),
                                              item.package_id),
                  "license": dto if full else {k: dto[k] for k in PUBLIC_LICENSE_FIELDS}}
        return {**answer, "userId": user_id} if full else answer
    user_id = _user_of(brand, body, caller_may_read_users)
    if user_id is None:
        return verdict("NOT_FOUND", "The authKey is invalid, expired or revoked (suspending or "
                                    "locking an account ends its sessions), or it is not the "
                                    "user's.")
    found = evaluate_user(brand["id"], user_id)
    result = verdict(found["code"], found["detail"])
    result = _device_step(brand, user_id, body.device, result)
    answer = {**result, **_package_fields(found["package"]), "expiryDate": found["expiry"]}
    return {**answer, "userId": user_id} if full else answer


def throttle_anonymous(brand_id: str, source_ip: str | None) -> None:
    """429 with Retry-After once a source IP, or the brand in all, used its minute's allowance
    of validations without an Auth-Key (identity/ratelimit.py's counters)."""
    s = settings.get()
    window = timedelta(minutes=1)
    limits = (("VALIDATE-IP", source_ip or "unknown", s.validate_per_ip_per_minute),
              ("VALIDATE-BRAND", "*", s.validate_per_brand_per_minute))
    for purpose, key, limit in limits:
        identity.rate_limit_check(brand_id, purpose, key, limit, window,
                        "Too many license validations without an Auth-Key",
                        code="TOO_MANY_VALIDATIONS")
    for purpose, key, _ in limits:
        identity.rate_limit_hit(brand_id, purpose, key, window)


def _user_of(brand: dict, body: Any, caller_may_read_users: bool) -> str | None:
    if body.authKey:
        caller = identity.caller_for_key(body.authKey)
        if caller is None or caller.brand_id != brand["id"]:
            return None
        if body.userId and body.userId != caller.user_id:
            return None
        return caller.user_id
    if caller_may_read_users:
        return body.userId
    raise Forbidden("Validating a user by userId alone needs an Auth-Key with USER.READ; an "
                    "app sends the user's authKey in the body instead.", code="PERMISSION_DENIED")
