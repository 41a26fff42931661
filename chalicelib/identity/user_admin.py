"""User administration inside one brand: list, read, edit, status, type, password, roles,
referrals.

Who may act on whom: nobody locks, deletes, demotes or re-roles themselves (400), and nobody acts
on a user whose type outranks theirs (403): EndUser < Partner < Admin < SuperAdmin < a SuperAdmin
of the platform (system) brand. Only a platform SuperAdmin grants SuperAdmin.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import settings
from chalicelib.http import envelope, paging
from chalicelib.http import statistics as stats
from chalicelib.http.context import Caller
from chalicelib.http.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.identity import access, passwords, roles
from chalicelib.identity.constants import USER_TYPES
from chalicelib.identity.models import RoleItem, UniqueItem, UserItem, user_pk
from chalicelib.identity.permissions import BUILT_IN_ROLES
from chalicelib.identity.users import (
    check_username,
    get_item,
    packages_of,
    referrer_for_code,
    to_dto,
    unique_key,
)
from chalicelib.store.base import plain
from chalicelib.store.tx import ConditionFailed, transaction

RANK = {"EndUser": 0, "Partner": 1, "Admin": 2, "SuperAdmin": 3}
PLATFORM_RANK = 4

# action -> (the statuses it applies to, the status it leads to). Anything else is a 409.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({"Inactive"}), "Active"),
    "deactivate": (frozenset({"Active"}), "Inactive"),
    "lock": (frozenset({"Active", "Inactive"}), "Locked"),
    "unlock": (frozenset({"Locked"}), "Active"),
    "suspend": (frozenset({"Active", "Inactive", "Locked"}), "Suspended"),
    "unsuspend": (frozenset({"Suspended"}), "Active"),
    "delete": (frozenset({"Inactive", "Active", "Locked", "Suspended"}), "Deleted"),
}
# Entering one of these moves sessionEpoch, so every Auth-Key already issued dies at once and
# stays dead after a later unlock/activate.
ENDS_SESSIONS = frozenset({"Inactive", "Locked", "Suspended", "Deleted"})
MAX_IDS = 100


# -- who may act on whom ------------------------------------------------------------------------

def caller_rank(caller: Caller) -> int:
    return PLATFORM_RANK if caller.is_platform_admin else RANK.get(caller.user_type, 0)


def _rank(user: UserItem) -> int:
    if user.type == "SuperAdmin" and user.brand_is_system:
        return PLATFORM_RANK
    return RANK.get(user.type, 0)


def _is_self(caller: Caller, user: UserItem) -> bool:
    return caller.user_id == user.id and caller.brand_id == user.brand_id


def _guard(caller: Caller, user: UserItem, verb: str, *, allow_self: bool = False) -> None:
    if _is_self(caller, user) and not allow_self:
        raise BadRequest(f"You can't {verb} your own account; ask another administrator.",
                         code="SELF_ACTION_FORBIDDEN")
    if _rank(user) > caller_rank(caller):
        raise Forbidden(f"Your user type ({caller.user_type}) can't {verb} a {user.type}.",
                        code="TARGET_OUTRANKS_CALLER")


def _live(user: UserItem) -> UserItem:
    if user.status == "Deleted":
        raise Conflict("This user was deleted; a deleted user can't be changed.",
                       code="USER_DELETED")
    return user


def _changed_meanwhile() -> Conflict:
    return Conflict("The user was changed meanwhile; reload and try again.",
                    code="CONCURRENT_UPDATE")


def _is_condition_failure(e: UpdateError) -> bool:
    return e.cause_response_code == "ConditionalCheckFailedException"


# -- reading ------------------------------------------------------------------------------------

_CONTAINS = ("username", "emailAddress", "phoneNumber", "firstName", "lastName", "nickName")
_EXACT = {"code": "code", "referralCode": "referralCode", "userType": "type", "status": "status",
          "languageCode": "languageCode", "timeZoneId": "timeZoneId", "packageId": "packageId"}
_FLAGS = ("testMode", "isEmailAddressVerified", "isUserVerified", "isSystem")
KEYWORD_FIELDS = ("username", "emailAddress", "firstName", "lastName", "nickName", "code",
                  "phoneNumber")
SORTABLE = ("id", "createdDate", "code", "username", "status")


def list_users(brand_id: str, query: dict[str, Any]) -> dict:
    """One Query of the brand's users, then JFW's filters, sort and page. Deleted users only
    show when ``status=Deleted`` asks for them."""
    role_map = roles.roles_by_id(brand_id)
    items = []
    for item in UserItem.gsi1.query(f"B#{brand_id}#USERS"):
        if item.status == "Deleted" and query.get("status") != "Deleted":
            continue
        if query.get("ids") and item.id not in query["ids"]:
            continue
        if query.get("roleId") and query["roleId"] not in (item.role_ids or []):
            continue
        items.append(item)
    packages = packages_of(brand_id, items)
    rows = []
    for item in items:
        dto = to_dto(item, [role_map[r] for r in item.role_ids if r in role_map], packages)
        if _matches(dto, query):
            rows.append(dto)
    return paging.page(rows, query, sortable=SORTABLE, keyword_fields=KEYWORD_FIELDS)


def _matches(dto: dict, q: dict[str, Any]) -> bool:
    for name in _CONTAINS:
        if q.get(name) and q[name].lower() not in str(dto.get(name) or "").lower():
            return False
    for name, key in _EXACT.items():
        if q.get(name) and str(q[name]).lower() != str(dto.get(key) or "").lower():
            return False
    return all(name not in q or dto.get(name) is q[name] for name in _FLAGS)


def get_user(brand_id: str, user_id: str) -> dict:
    return to_dto(get_item(brand_id, user_id))


def by_username(brand_id: str, username: str) -> dict:
    try:
        claim = UniqueItem.get(*unique_key(brand_id, "UNAME", username))
    except DoesNotExist:
        raise NotFound(f"No user has the username '{username}'.",
                       code="USER_NOT_FOUND") from None
    return get_user(brand_id, claim.user_id)


def by_ids(brand_id: str, user_ids: list[str]) -> list[dict]:
    """The users among ``user_ids`` that exist in this brand, in the order asked."""
    wanted = list(dict.fromkeys(user_ids))
    if len(wanted) > MAX_IDS:
        raise BadRequest(f"Ask for at most {MAX_IDS} ids at a time.", field="ids")
    found = {u.id: u for u in UserItem.batch_get([(user_pk(brand_id, i), "USER")
                                                   for i in wanted])}
    role_map = roles.roles_by_id(brand_id) if any(u.role_ids for u in found.values()) else {}
    packages = packages_of(brand_id, found.values())
    return [to_dto(found[i], [role_map[r] for r in found[i].role_ids if r in role_map], packages)
            for i in wanted if i in found]


def user_base(user: UserItem, role_map: dict[str, dict],
              packages: dict[str, dict] | None = None) -> dict:
    """IUserBase."""
    package = (packages or {}).get(user.package_id or "")
    return {"id": user.id, "createdDate": user.created_date, "code": user.code,
            "avatar": plain(user.profile).get("avatar"),
            "packageId": user.package_id, "packageCode": package["code"] if package else None,
            "emailAddress": user.email_address, "nickName": user.nick_name,
            "roles": [role_map[r]["code"] for r in user.role_ids if r in role_map]}


def statistics(brand_id: str, query: dict[str, Any]) -> list[dict]:
    """GET v1/users/statistics: users registered per day or month (deleted ones included: they
    registered), from one Query of the brand's users by creation time."""
    start, end, kind = stats.window(query)
    created = UserItem.gsi1.query(
        f"B#{brand_id}#USERS",
        UserItem.gsi1sk.between(start.isoformat(), end.isoformat() + "~"))
    return stats.series((u.created_date for u in created), start, end, kind)


# -- editing ------------------------------------------------------------------------------------

_PLAIN_FIELDS = {"nickName": UserItem.nick_name, "firstName": UserItem.first_name,
                 "lastName": UserItem.last_name, "phoneNumber": UserItem.phone_number}
_DEFAULTED = {"languageCode": (UserItem.language_code, "en"),
              "timeZoneId": (UserItem.time_zone_id, "UTC")}
_PROFILE_FIELDS = ("phoneNumber1", "avatar", "bio", "website")


# IUser fields PUT v1/users/{id} never edits. A user editing their own profile who sends one of
# them with a new value gets a 403 naming it; the current value sent back (a client echoing the
# user it read) passes. Administrators change them through their own routes.
NOT_OWNER_EDITABLE = ("type", "userType", "status", "roles", "roleIds", "brandId", "packageId",
                      "package", "expiryDate", "isSystem", "testMode", "isEmailAddressVerified",
                      "isUserVerified", "referralCode", "code", "parentUser", "riskMark", "tags",
                      "isUserIntegration", "password", "passwordHash")


def _refuse_privileged(user: UserItem, extra: dict[str, Any]) -> None:
    current = json.loads(envelope.dumps(to_dto(user)))
    for name in NOT_OWNER_EDITABLE:
        if name not in extra or extra[name] is None:
            continue
        if json.loads(envelope.dumps(extra[name])) != current.get(name):
            raise Forbidden(f"You can't change your own {name}; only the profile fields "
                            "(username, emailAddress, names, languageCode, timeZoneId, phone "
                            "numbers, avatar, bio, website) are yours to edit.",
                            code="FIELD_NOT_EDITABLE", field=name)


def update_user(caller: Caller, brand_id: str, user_id: str, body: Any, *,
                as_owner: bool = False) -> dict:
    """PUT v1/users/{id}. A new username or e-mail is claimed, and the old claim released, in the
    same transaction as the user; a taken one is a 409 and nothing changes. ``as_owner``: the
    caller edits their own profile without USER.UPDATE."""
    user = _live(get_item(brand_id, user_id))
    _guard(caller, user, "edit", allow_self=True)
    if as_owner:
        _refuse_privileged(user, body.model_extra or {})
    given = (body.model_fields_set - set(body.model_extra or {})) | {"username"}
    values = body.model_dump()
    check_username(values["username"], values["emailAddress"] if "emailAddress" in given
                   else user.email_address)
    actions = [UserItem.modified_date.set(settings.now())]
    for name, attr in _PLAIN_FIELDS.items():
        if name in given:
            actions.append(roles.set_or_remove(attr, values[name]))
    for name, (attr, default) in _DEFAULTED.items():
        if name in given:
            actions.append(attr.set(values[name] or default))
    if given & set(_PROFILE_FIELDS):
        profile = plain(user.profile)
        profile.update({k: values[k] for k in _PROFILE_FIELDS if k in given})
        actions.append(UserItem.profile.set({k: v for k, v in profile.items() if v is not None}))
    claims: list[tuple[str, str, str]] = []
    releases: list[tuple[str, str]] = []
    for kind, name, attr, old in (("UNAME", "username", UserItem.username, user.username),
                                  ("EMAIL", "emailAddress", UserItem.email_address,
                                   user.email_address)):
        if name not in given:
            continue
        new = values[name]
        actions.append(roles.set_or_remove(attr, new))
        if (old or "").strip().lower() == (new or "").strip().lower():
            continue
        if new:
            claims.append((kind, new, name))
        if old:
            releases.append((kind, old))
        if kind == "EMAIL":
            actions.append(UserItem.is_email_verified.set(False))
    condition = (UserItem.status == user.status) & _same(UserItem.username, user.username) \
        & _same(UserItem.email_address, user.email_address)
    try:
        with transaction() as tx:
            tx.update(user, actions, condition=condition)
            for kind, value, _ in claims:
                tx.save(UniqueItem(*unique_key(brand_id, kind, value), user_id=user.id),
                        condition=UniqueItem.pk.does_not_exist())
            for kind, value in releases:
                tx.delete(UniqueItem(*unique_key(brand_id, kind, value)),
                          condition=UniqueItem.user_id == user.id)
    except ConditionFailed as e:
        # Reasons come in the order operations were added (store/tx.py): the update, then
        # the claims.
        for i, (_, value, name) in enumerate(claims, start=1):
            if e.failed(i):
                raise Conflict(f"The {name} '{value}' is already registered in this brand.",
                               code=f"{name.upper()}_TAKEN", field=name) from None
        raise _changed_meanwhile() from None
    return get_user(brand_id, user_id)


def _same(attr: Any, value: Any) -> Any:
    return attr.does_not_exist() if value is None else attr == value


def change_status(caller: Caller, brand_id: str, user_id: str, action: str) -> bool:
    user = get_item(brand_id, user_id)
    _guard(caller, user, action)
    allowed, new = TRANSITIONS[action]
    if user.status not in allowed:
        raise Conflict(f"Can't {action} a user who is {user.status}; {action} applies to users "
                       f"who are {' or '.join(sorted(allowed))}.", code="STATUS_TRANSITION")
    actions = [UserItem.status.set(new), UserItem.modified_date.set(settings.now())]
    if new in ENDS_SESSIONS:
        actions.append(UserItem.session_epoch.add(1))
    _update(user, actions, UserItem.status == user.status)
    return True


def _update(user: UserItem, actions: list, condition: Any) -> None:
    try:
        user.update(actions=actions, condition=condition)
    except UpdateError as e:
        if _is_condition_failure(e):
            raise _changed_meanwhile() from None
        raise


def change_type(caller: Caller, brand_id: str, user_id: str, user_type: str) -> bool:
    canonical = {t.lower(): t for t in USER_TYPES}.get(user_type.lower())
    if canonical is None:
        raise BadRequest(f"Unknown user type '{user_type}'; use one of {', '.join(USER_TYPES)}.",
                         code="UNKNOWN_USER_TYPE", field="type")
    user = _live(get_item(brand_id, user_id))
    _guard(caller, user, "change the type of")
    if canonical == "SuperAdmin" and not caller.is_platform_admin:
        raise Forbidden("Only a SuperAdmin of the platform can make someone a SuperAdmin.",
                        code="TYPE_ESCALATION")
    if RANK[canonical] > caller_rank(caller):
        raise Forbidden(f"You can't grant a user type above your own ({caller.user_type}).",
                        code="TYPE_ESCALATION")
    if user.type != canonical:
        _update(user, [UserItem.type.set(canonical), UserItem.modified_date.set(settings.now())],
                UserItem.type == user.type)
    return True


def set_password(caller: Caller, brand: dict, user_id: str, new: str, confirm: str) -> bool:
    """An administrator sets a password: every Auth-Key the user had stops working."""
    user = _live(get_item(brand["id"], user_id))
    if _is_self(caller, user):
        raise BadRequest("Change your own password with PUT v1/users/change-password, which asks "
                         "for the current one.", code="SELF_ACTION_FORBIDDEN")
    _guard(caller, user, "set the password of")
    if new != confirm:
        raise BadRequest("confirmPassword must equal newPassword.", code="PASSWORD_MISMATCH",
                         field="confirmPassword")
    passwords.check_policy(new, brand["setting"].get("passwordPolicyLevel") or "Medium",
                           field="newPassword")
    _update(user, [UserItem.password_hash.set(passwords.hash_password(new)),
                   UserItem.session_epoch.add(1), UserItem.modified_date.set(settings.now())],
            UserItem.pk.exists())
    return True


# -- roles of a user ------------------------------------------------------------------------------

def user_roles(brand_id: str, user_id: str) -> list[dict]:
    return roles.describe_roles(brand_id, get_item(brand_id, user_id).role_ids)


def user_permissions(brand_id: str, user_id: str) -> list[str]:
    """Effective permission codes: the user type's role, assigned roles (as access.py sees it)."""
    user = get_item(brand_id, user_id)
    if user.status != "Active":
        return []
    as_caller = Caller(user_id=user.id, brand_id=user.brand_id, user_type=user.type,
                       username=user.username, session_id="",
                       is_platform_admin=_rank(user) == PLATFORM_RANK,
                       role_ids=list(user.role_ids or []))
    return sorted(access.effective_permissions(as_caller, brand_id))


def change_user_roles(caller: Caller, holder: frozenset[str], brand_id: str, user_id: str,
                      role_ids: list[str], *, grant: bool) -> bool:
    user = _live(get_item(brand_id, user_id))
    _guard(caller, user, "change the roles of")
    if not role_ids:
        raise BadRequest("Give the roles as roleIds[0]=..&roleIds[1]=...", field="roleIds")
    wanted = list(dict.fromkeys(role_ids))
    if grant:
        found = roles.resolve_roles(brand_id, wanted)
        roles.require_grantable({c for r in found for c in r["permissions"]}, holder)
    _write_roles(brand_id, [user], wanted, grant=grant)
    return True


def add_role_to_users(caller: Caller, holder: frozenset[str], brand_id: str, role_id: str,
                      user_ids: list[str]) -> bool:
    """POST v1/roles/{id}/users: give one role to several users, in one transaction."""
    role = roles.get_role(brand_id, role_id)
    wanted = list(dict.fromkeys(user_ids))
    found = {u.id: u for u in UserItem.batch_get([(user_pk(brand_id, i), "USER")
                                                   for i in wanted])}
    missing = [i for i in wanted if i not in found or found[i].status == "Deleted"]
    if missing:
        raise BadRequest(f"Unknown or deleted user id(s): {', '.join(missing)}.",
                         code="USER_NOT_FOUND", field="userIds")
    for u in found.values():
        _guard(caller, u, "change the roles of")
    roles.require_grantable(role["permissions"], holder)
    _write_roles(brand_id, [found[i] for i in wanted], [role_id], grant=True)
    return True


def _write_roles(brand_id: str, targets: list[UserItem], role_ids: list[str], *,
                 grant: bool) -> None:
    """Each user's new role list, conditional on the list it was read with; granted custom roles
    must still exist when the transaction commits."""
    now = settings.now()
    changes = []
    for user in targets:
        old = list(user.role_ids or [])
        new = list(dict.fromkeys(old + role_ids)) if grant else [
            r for r in old if r not in role_ids]
        if new != old:
            changes.append((user, old, new))
    if not changes:
        return
    try:
        with transaction() as tx:
            for user, old, new in changes:
                tx.update(user, [UserItem.role_ids.set(new), UserItem.modified_date.set(now)],
                          condition=(UserItem.role_ids == old) & (UserItem.status != "Deleted"))
            for r in role_ids if grant else []:
                if r not in BUILT_IN_ROLES:
                    tx.condition_check(RoleItem, *roles.role_key(brand_id, r),
                                       condition=RoleItem.pk.exists())
    except ConditionFailed:
        raise Conflict("A user or role changed meanwhile; reload and try again.",
                       code="CONCURRENT_UPDATE") from None


# -- referrals (JFW's Invite Friends) -----------------------------------------------------------

def referees(brand_id: str, user_id: str) -> list[dict]:
    """IUserBase of every user this user referred."""
    get_item(brand_id, user_id)
    found = list(UserItem.gsi1.query(f"B#{brand_id}#USERS",
                                     filter_condition=UserItem.referrer_id == user_id))
    role_map = roles.roles_by_id(brand_id) if any(u.role_ids for u in found) else {}
    found = [u for u in found if u.status != "Deleted"]
    packages = packages_of(brand_id, found)
    return [user_base(u, role_map, packages) for u in found]


def apply_referral(brand_id: str, user_id: str, code: str) -> bool:
    """Link a user to the referrer who owns ``code``: once, never to themselves."""
    user = _live(get_item(brand_id, user_id))
    if user.referrer_id:
        raise Conflict("This user already has a referrer; it can be set only once.",
                       code="REFERRER_ALREADY_SET")
    referrer_id = referrer_for_code(brand_id, code)
    if referrer_id is None:
        raise BadRequest(f"The referral code '{code}' does not exist.",
                         code="REFERRAL_CODE_INVALID", field="referralCode")
    if referrer_id == user.id:
        raise BadRequest("A user can't use their own referral code.",
                         code="REFERRAL_CODE_OWN", field="referralCode")
    referrer = get_item(brand_id, referrer_id)
    if referrer.referrer_id == user.id:
        raise BadRequest("This code belongs to a user this user referred; referrals can't go "
                         "in a circle.", code="REFERRAL_CYCLE", field="referralCode")
    if referrer.status == "Deleted":
        raise BadRequest(f"The referral code '{code}' belongs to a deleted user.",
                         code="REFERRAL_CODE_INVALID", field="referralCode")
    try:
        user.update(actions=[UserItem.referrer_id.set(referrer_id),
                             UserItem.modified_date.set(settings.now())],
                    condition=UserItem.referrer_id.does_not_exist())
    except UpdateError as e:
        if _is_condition_failure(e):
            raise Conflict("This user already has a referrer; it can be set only once.",
                           code="REFERRER_ALREADY_SET") from None
        raise
    return True


def referral_code_exists(brand_id: str, code: str) -> bool:
    return referrer_for_code(brand_id, code) is not None

