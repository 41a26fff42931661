"""Users: registration, login, profile. Admin actions live in ``user_admin.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict, NotFound, Unauthorized
from chalicelib.identity import passwords, sessions, throttle, userevents
from chalicelib.identity.models import UniqueItem, UserItem, user_pk
from chalicelib.identity.roles import describe_roles
from chalicelib.notify import service as notify
from chalicelib.store import ids
from chalicelib.store.base import plain
from chalicelib.store.tx import ConditionFailed, transaction

_BLOCKED_MESSAGES = {
    "Locked": "This account is locked; contact the brand's support.",
    "Suspended": "This account is suspended; contact the brand's support.",
    "Deleted": "This account was deleted.",
    "Inactive": "This account is not active yet.",
}


def unique_key(brand_id: str, kind: str, value: str) -> tuple[str, str]:
    return f"B#{brand_id}#{kind}#{value.strip().lower()}", "UNIQUE"


# IUser.expiryDate is a non-nullable date-time: a user without an expiring package (none, or
# the brand's free default) never expires, which is this date.
NO_EXPIRY = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


# What a package looks like is the catalog's to say, and the catalog reads users (a quote needs
# the buyer's package), so identity does not import it: catalog/service.py registers its lookup
# (``set_package_lookup``) when it is imported, as every module that shows users does.
PackageLookup = Callable[[str, set[str]], dict[str, dict]]
_package_lookup: PackageLookup | None = None


def set_package_lookup(lookup: PackageLookup) -> None:
    global _package_lookup
    _package_lookup = lookup


def packages_of(brand_id: str, items: Iterable[UserItem]) -> dict[str, dict]:
    """IPackage of each package the users are on, from one read of the brand's catalogue (none
    when no user has a package)."""
    wanted = {u.package_id for u in items if u.package_id}
    if not wanted:
        return {}
    if _package_lookup is None:
        raise RuntimeError("users' packages need chalicelib.catalog.service imported")
    return _package_lookup(brand_id, wanted)


def to_dto(user: UserItem, roles: list[dict] | None = None,
           packages: dict[str, dict] | None = None) -> dict:
    """IUser. ``roles`` (IRole[]) and ``packages`` (``packages_of``) may be passed in when a
    caller has them already (lists)."""
    if packages is None:
        packages = packages_of(user.brand_id, [user])
    profile = plain(user.profile)
    return {
        "id": user.id,
        "createdDate": user.created_date,
        "modifiedDate": user.modified_date,
        "brandId": user.brand_id,
        "code": user.code,
        "username": user.username,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "nickName": user.nick_name,
        "avatar": profile.get("avatar"),
        "bio": profile.get("bio"),
        "website": profile.get("website"),
        "emailAddress": user.email_address,
        "phoneNumber": user.phone_number,
        "phoneNumberConfirmed": bool(user.phone_number
                                     and user.confirmed_phone == user.phone_number),
        "type": user.type,
        "status": user.status,
        "isEmailAddressVerified": user.is_email_verified,
        "isUserVerified": user.is_user_verified,
        "riskMark": None,
        "roles": roles if roles is not None else _roles_of(user),
        "referralCode": user.referral_code,
        "parentUser": None,
        "testMode": user.test_mode,
        "tags": user.tags,
        "isSystem": user.is_system,
        "packageId": user.package_id,
        "package": packages.get(user.package_id) if user.package_id else None,
        "languageCode": user.language_code,
        "timeZoneId": user.time_zone_id,
        "expiryDate": user.expiry_date or NO_EXPIRY,
        "isUserIntegration": False,
        "lastLoginDate": user.last_login_date,
    }


def _roles_of(user: UserItem) -> list[dict]:
    if not user.role_ids:
        return []
    return describe_roles(user.brand_id, user.role_ids)


def get_item(brand_id: str, user_id: str) -> UserItem:
    try:
        user = UserItem.get(user_pk(brand_id, user_id), "USER")
    except DoesNotExist:
        raise NotFound("User not found.", code="USER_NOT_FOUND") from None
    return user


def package_update(brand_id: str, user_id: str, package_id: str | None,
                   expiry: datetime | None) -> tuple[UserItem, list, Any]:
    """The user's package and expiry as (item, actions, condition) for the caller's transaction
    (licensing mirrors its subscription here); the condition: the user exists."""
    actions = [UserItem.package_id.set(package_id) if package_id else UserItem.package_id.remove(),
               UserItem.expiry_date.set(expiry) if expiry else UserItem.expiry_date.remove(),
               UserItem.modified_date.set(settings.now())]
    return UserItem(user_pk(brand_id, user_id), "USER"), actions, UserItem.pk.exists()


def check_username(username: str | None, email_address: str | None) -> None:
    """A username that looks like an e-mail address must be the user's own address: a login is
    a username or an e-mail, so someone else's address as a username would take over their
    e-mail logins (and squat the address before they register)."""
    if not username or "@" not in username:
        return
    if username.strip().lower() != (email_address or "").strip().lower():
        raise BadRequest("A username with '@' must be the same as the user's own emailAddress; "
                         "choose a username without '@', or use your e-mail address as both.",
                         code="USERNAME_LOOKS_LIKE_EMAIL", field="username")


def find_by_login(brand_id: str, login: str) -> UserItem | None:
    """A user by username or e-mail address, inside one brand (an address first when the login
    looks like one)."""
    kinds = ("EMAIL", "UNAME") if "@" in login else ("UNAME", "EMAIL")
    for kind in kinds:
        try:
            ref = UniqueItem.get(*unique_key(brand_id, kind, login))
        except DoesNotExist:
            continue
        try:
            return UserItem.get(user_pk(brand_id, ref.user_id), "USER")
        except DoesNotExist:
            return None
    return None


def register(brand: dict, *, password: str, username: str | None = None,
             email_address: str | None = None, phone_number: str | None = None,
             first_name: str | None = None, last_name: str | None = None,
             nick_name: str | None = None, referral_code: str | None = None,
             time_zone_id: str | None = None, language_code: str | None = None,
             user_type: str = "EndUser", status: str = "Active") -> dict:
    """Create a user; username, e-mail and referral code are claimed in the same transaction."""
    if not username and not email_address:
        raise BadRequest("Give a username or an emailAddress.", field="username")
    check_username(username, email_address)
    passwords.check_policy(password, brand["setting"].get("passwordPolicyLevel") or "Medium")
    referrer_id = None
    if referral_code:
        referrer = referrer_for_code(brand["id"], referral_code)
        if referrer is None:
            raise BadRequest(f"The referral code '{referral_code}' does not exist.",
                             code="REFERRAL_CODE_INVALID", field="referralCode")
        referrer_id = referrer
    now = settings.now()
    user_id = ids.new_id()
    code = ids.new_code(10)
    user = UserItem(
        user_pk(brand["id"], user_id), "USER",
        id=user_id, brand_id=brand["id"], brand_is_system=bool(brand.get("isSystem")),
        code=code, username=username, email_address=email_address, phone_number=phone_number,
        first_name=first_name, last_name=last_name, nick_name=nick_name,
        type=user_type, status=status, referral_code=ids.new_code(8), referrer_id=referrer_id,
        time_zone_id=time_zone_id or "UTC", language_code=language_code or "en",
        password_hash=passwords.hash_password(password),
        created_date=now, modified_date=now,
        gsi1pk=f"B#{brand['id']}#USERS", gsi1sk=f"{now.isoformat()}#{user_id}",
    )
    claims = []
    if username:
        claims.append(("UNAME", username, "username"))
    if email_address:
        claims.append(("EMAIL", email_address, "emailAddress"))
    claims.append(("REFCODE", user.referral_code, "referralCode"))
    rows = [userevents.registered_row(brand["id"], user_id, referrer_id, user_type)]
    try:
        with transaction() as tx:
            tx.save(user, condition=UserItem.pk.does_not_exist())
            for kind, value, _ in claims:
                tx.save(UniqueItem(*unique_key(brand["id"], kind, value), user_id=user_id),
                        condition=UniqueItem.pk.does_not_exist())
            notify.add(tx, rows)
    except ConditionFailed as e:
        for i, (_, value, field) in enumerate(claims, start=1):
            if e.failed(i):
                raise Conflict(f"The {field} '{value}' is already registered in this brand.",
                               code=f"{field.upper()}_TAKEN", field=field) from None
        raise
    notify.publish(rows)
    return to_dto(user)


def referrer_for_code(brand_id: str, code: str) -> str | None:
    try:
        return UniqueItem.get(*unique_key(brand_id, "REFCODE", code)).user_id
    except DoesNotExist:
        return None


# -- login -------------------------------------------------------------------------------------

def authenticate(brand: dict, login: str, password: str, client_ip: str | None = None) -> dict:
    """Check a password and issue an Auth-Key: {id, username, emailAddress, authKey, expiresIn}.
    Wrong passwords are throttled per account and per client (throttle.py)."""
    brand_id = brand["id"]
    user = find_by_login(brand_id, login)
    guard = (throttle.for_user(brand_id, user.id, client_ip) if user is not None
             else throttle.for_unknown_name(brand_id, login, client_ip))
    guard.check()
    if user is None:
        passwords.verify(passwords.dummy_hash(), password)
        guard.failed()
        raise Unauthorized("Wrong username or password.", code="LOGIN_FAILED")
    if not passwords.verify(user.password_hash, password):
        guard.failed()
        raise Unauthorized("Wrong username or password.", code="LOGIN_FAILED")
    guard.succeeded()
    if user.status != "Active":
        raise Unauthorized(_BLOCKED_MESSAGES.get(user.status, "This account cannot log in."),
                           code=f"USER_{user.status.upper()}")
    now = settings.now()
    user.update(actions=[UserItem.last_login_date.set(now)])
    key = sessions.issue(user)
    return {"id": user.id, "username": user.username, "emailAddress": user.email_address,
            **key}
