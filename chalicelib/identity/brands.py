"""Brands: the tenant. A tree (parent / child brands), each reachable by its domains.

Storage (identity table): the brand ``B#<id>`` / ``BRAND`` carries ``path`` (its ancestors' ids,
root first, so "is X inside Y" needs no extra read), ``childCount`` (live children: delete
refuses while it is not 0, atomically) and ``version`` (every write is conditional on the
version it read: no lost updates). Each domain is claimed by ``DOMAIN#<host>`` / ``DOMAIN`` in
the same transaction that adds it. Live brands are listed by gsi1 ``BRANDS``; a soft-deleted
brand moves to gsi1 ``BRANDS#DELETED``, keeps its data and releases its domains.

``within`` (a brand id, or None for the platform) limits what a caller may reach: that brand
and its descendants. Anything outside is "not found", the same as missing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from chalicelib import settings
from chalicelib.http.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from chalicelib.http.paging import page
from chalicelib.identity.models import BrandItem, DomainItem, brand_pk
from chalicelib.notify import service as notify
from chalicelib.store import ids
from chalicelib.store.base import plain
from chalicelib.store.tx import ConditionFailed, transaction

PASSWORD_POLICY_LEVELS = ("Low", "Medium", "High")
DOMAIN_TYPES = ("CPanel", "Admin", "Client", "Protocol", "Documentation")
MAX_DOMAINS = 20
LISTED, DELETED = "BRANDS", "BRANDS#DELETED"
_ATTEMPTS = 3  # optimistic-concurrency retries before a write gives up with a 409

DEFAULT_SETTING = {
    "domainWhiteListURLs": None,
    "googleAnalyticsAccount": None,
    "reCaptchaKey": None,
    "currencyCode": "USD",
    "cdnURL": None,
    "cdnFolder": None,
    "passwordPolicyLevel": "Medium",
    "systemEmail": None,
    "systemEmailTitle": None,
    "emailSupport": None,
    "emailSupportTitle": None,
    # Our addition (payments/checkout/risk.py): how many payments a buyer may have started in
    # the last hour before the next one is Medium / High risk (High is held for review); 0: no
    # rule.
    "riskVelocityMedium": 3,
    "riskVelocityHigh": 6,
}

PROFILE_FIELDS = ("slogan", "logoURL", "faviconURL", "primaryColor", "primaryColorHover",
                  "secondaryColor", "tertiaryColor")
SORTABLE = ("code", "name", "abbr", "status", "modifiedDate")
KEYWORD_FIELDS = ("code", "name", "abbr", "description", "tags")

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
HOST_RULE = ("a host name such as brand.example.com (letters, digits, hyphens and dots; "
             "no scheme, port or path)")


def check_host(value: str) -> str:
    """The host, lower-cased; ValueError when it is not a host name."""
    host = value.strip().rstrip(".").lower()
    if len(host) > 253 or not _HOST.match(host):
        raise ValueError(f"must be {HOST_RULE}")
    return host


# -- the host -> brand cache -------------------------------------------------------------------

# Brands change rarely and every request needs one: a warm Lambda keeps host -> brand for a short
# while. A brand's own writes clear the entry; another container sees a change within the TTL.
BRAND_CACHE_SECONDS = 30.0
_brand_cache: dict[str, tuple[float, dict]] = {}


def clear_cache() -> None:
    _brand_cache.clear()


def forget_hosts(hosts: Iterable[str]) -> None:
    """A brand changed: its hosts are read afresh on their next request in this container."""
    for host in hosts:
        _brand_cache.pop(host, None)


def by_host(host: str) -> dict:
    """The live, Active brand of a request's host (cached); 404 / 403 naming ``Brand-URL``."""
    hit = _brand_cache.get(host)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    brand = find_by_host(host)
    if brand is None:
        raise NotFound(f"No brand is registered for the domain '{host}'.", code="BRAND_NOT_FOUND",
                       field="Brand-URL")
    if brand["status"] != "Active":
        raise Forbidden(f"The brand for '{host}' is inactive.", code="BRAND_INACTIVE")
    _brand_cache[host] = (time.monotonic() + BRAND_CACHE_SECONDS, brand)
    return brand


# -- reading -----------------------------------------------------------------------------------

def to_dto(item: BrandItem) -> dict:
    setting = {**DEFAULT_SETTING, **plain(item.setting)}
    setting["coinCurrencyCode"] = setting.get("currencyCode")
    profile = plain(item.profile)
    # IBrandProfile.slogan is a non-empty string: the brand's name until one is set.
    profile["slogan"] = profile.get("slogan") or item.name
    return {
        "id": item.id,
        "createdDate": item.created_date,
        "modifiedDate": item.modified_date,
        "parentId": item.parent_id,
        "code": item.code,
        "name": item.name,
        "abbr": item.abbr,
        "description": item.description,
        "tags": item.tags,
        "status": item.status,
        "isDefault": item.is_default,
        "isSystem": item.is_system,
        "profile": profile,
        "setting": setting,
        "domains": [plain(d) for d in item.domains or []],
    }


def is_within(item: BrandItem, within: str | None) -> bool:
    """Is ``item`` the brand ``within`` or one of its descendants (None: the whole platform)?"""
    return within is None or item.id == within or within in (item.path or [])


def get_item(brand_id: str, *, within: str | None = None) -> BrandItem:
    try:
        item = BrandItem.get(brand_pk(brand_id), "BRAND", consistent_read=True)
    except DoesNotExist:
        raise NotFound("Brand not found.", code="BRAND_NOT_FOUND") from None
    if item.is_deleted or not is_within(item, within):
        raise NotFound("Brand not found.", code="BRAND_NOT_FOUND")
    return item


def get(brand_id: str, *, within: str | None = None) -> dict:
    return to_dto(get_item(brand_id, within=within))


def find_by_host(host: str) -> dict | None:
    try:
        domain = DomainItem.get(f"DOMAIN#{host}", "DOMAIN")
        item = BrandItem.get(brand_pk(domain.brand_id), "BRAND")
    except DoesNotExist:
        return None
    return None if item.is_deleted else to_dto(item)


def domain_exists(host: str) -> bool:
    try:
        DomainItem.get(f"DOMAIN#{host}", "DOMAIN")
    except DoesNotExist:
        return False
    return True


def list_brands(query: dict[str, Any], *, within: str | None = None) -> dict[str, Any]:
    """One Query of gsi1 ``BRANDS``; outside the platform, only ``within`` and its subtree."""
    condition = None
    if within is not None:
        condition = (BrandItem.id == within) | BrandItem.path.contains(within)
    items = [to_dto(i) for i in BrandItem.gsi1.query(LISTED, filter_condition=condition)]
    exact = {"code": "code", "abbr": "abbr", "status": "status", "parentId": "parentId"}
    partial = ("name", "description", "tags")
    for param, field in exact.items():
        if param in query:
            want = str(query[param]).lower()
            items = [b for b in items if str(b.get(field) or "").lower() == want]
    for field in partial:
        if field in query:
            want = str(query[field]).lower()
            items = [b for b in items if want in str(b.get(field) or "").lower()]
    return page(items, query, sortable=SORTABLE, keyword_fields=KEYWORD_FIELDS)


# -- creating ----------------------------------------------------------------------------------

def domain_entry(host: str, *, primary: bool, domain_type: str = "Client") -> dict:
    return {"id": ids.new_id(), "type": domain_type, "protocol": "Https", "domain": host,
            "verified": False, "verifiedDate": None, "isDefault": primary, "isPrimary": primary,
            "dnsRecords": []}


def create(*, name: str, abbr: str, domain: str, code: str | None = None,
           description: str | None = None, tags: str | None = None,
           parent_id: str | None = None, is_system: bool = False,
           profile: dict | None = None, setting: dict | None = None,
           brand_id: str | None = None) -> dict:
    """Create a brand and claim its domain, in one transaction (a taken domain is a 409).

    A child brand also counts itself on its parent, on the condition that the parent is still
    live, so a parent can't be deleted while a child is being created under it.
    """
    try:
        host = check_host(domain)
    except ValueError as e:
        raise BadRequest(f"setting.domain {e}.", field="setting.domain") from None
    parent = None
    if parent_id:
        try:
            parent = get_item(parent_id)
        except NotFound:
            raise BadRequest(f"The parent brand '{parent_id}' does not exist.",
                             code="PARENT_BRAND_NOT_FOUND", field="parentId") from None
    now = settings.now()
    brand_id = brand_id or ids.new_id()
    item = BrandItem(
        brand_pk(brand_id), "BRAND",
        id=brand_id, code=code or abbr.upper(), name=name, abbr=abbr,
        description=description, tags=tags, parent_id=parent.id if parent else None,
        path=[*(parent.path or []), parent.id] if parent else [],
        is_system=is_system,
        profile=profile or {}, setting={**DEFAULT_SETTING, **(setting or {})},
        domains=[domain_entry(host, primary=True)],
        created_date=now, modified_date=now,
        gsi1pk=LISTED, gsi1sk=f"{now.isoformat()}#{brand_id}",
    )
    claim = DomainItem(f"DOMAIN#{host}", "DOMAIN", brand_id=brand_id)
    try:
        with transaction() as tx:
            tx.save(item, condition=BrandItem.pk.does_not_exist())
            tx.save(claim, condition=DomainItem.pk.does_not_exist())
            if parent is not None:
                tx.update(parent, actions=[BrandItem.child_count.add(1)],
                          condition=BrandItem.is_deleted == False,  # noqa: E712
                          add_version_condition=False)
    except ConditionFailed as e:
        # Puts come first in the transaction (brand, claim), then the parent's update.
        if e.failed(1):
            raise Conflict(f"The domain '{host}' already belongs to a brand.",
                           code="DOMAIN_TAKEN", field="setting.domain") from None
        if e.failed(2):
            raise BadRequest(f"The parent brand '{parent_id}' does not exist.",
                             code="PARENT_BRAND_NOT_FOUND", field="parentId") from None
        raise Conflict("A brand with this id already exists.") from None
    _forget([host])
    return to_dto(item)


# -- changing ----------------------------------------------------------------------------------

def update_info(brand_id: str, values: dict[str, Any], *, within: str | None = None) -> dict:
    """Name, abbr, description, tags: the keys present in ``values`` are set."""
    allowed = {"name", "abbr", "description", "tags"}

    def change(item: BrandItem) -> list[Action]:
        return [getattr(BrandItem, k).set(v) if v is not None else getattr(BrandItem, k).remove()
                for k, v in values.items() if k in allowed]

    return to_dto(_update(brand_id, within, change))


def update_setting(brand_id: str, values: dict[str, Any], *, within: str | None = None) -> dict:
    """Merge ``values`` into the brand's setting (other keys, e.g. ones other areas own, stay).
    A ``systemEmail`` must be a sender SES has verified (the address or its domain)."""
    if "passwordPolicyLevel" in values and values["passwordPolicyLevel"] not in \
            PASSWORD_POLICY_LEVELS:
        raise BadRequest("passwordPolicyLevel must be one of Low, Medium, High.",
                         field="passwordPolicyLevel")
    if values.get("systemEmail"):
        check_sender(values["systemEmail"])

    def change(item: BrandItem) -> list[Action]:
        merged = {**plain(item.setting), **values}
        # A cleared setting falls back to its default (passwordPolicyLevel: Medium).
        return [BrandItem.setting.set({k: v for k, v in merged.items() if v is not None})]

    return to_dto(_update(brand_id, within, change))


class MailServiceUnavailable(ApiError):
    status, code = 503, "MAIL_SERVICE_UNAVAILABLE"


def check_sender(address: str) -> None:
    """BadRequest naming how to verify ``address`` unless SES may send as it: mail from an
    unverified sender is refused by SES, and every mail of the brand would end in the DLQ."""
    try:
        if notify.sender_verified(address):
            return
    except (BotoCoreError, ClientError) as e:
        raise MailServiceUnavailable(f"SES could not be asked whether {address} is a verified "
                                     f"sender ({e}); nothing was changed, try again.",
                                     field="systemEmail") from None
    domain = address.rpartition("@")[2]
    raise BadRequest(
        f"{address} is not a verified sender in SES ({settings.get().region}): SES would refuse "
        f"every mail from it. Verify its domain (`aws ses verify-domain-identity --domain "
        f"{domain}` and add the DKIM records it prints; on deploy, `-c mailIdentities={domain}`)"
        f" or the address itself (`aws ses verify-email-identity --email-address {address}`), "
        "then set it again.", code="SENDER_NOT_VERIFIED", field="systemEmail")


def update_profile(brand_id: str, values: dict[str, Any], *, within: str | None = None) -> dict:
    def change(item: BrandItem) -> list[Action]:
        merged = {**plain(item.profile), **values}
        return [BrandItem.profile.set({k: v for k, v in merged.items() if v is not None})]

    return to_dto(_update(brand_id, within, change))


def add_domain(brand_id: str, domain: str, domain_type: str = "Client", *,
               within: str | None = None) -> dict:
    """Add a domain to a brand; it is claimed in the same transaction (taken: 409)."""
    try:
        host = check_host(domain)
    except ValueError as e:
        raise BadRequest(f"domain {e}.", field="domain") from None
    if domain_type not in DOMAIN_TYPES:
        raise BadRequest(f"type must be one of {', '.join(DOMAIN_TYPES)}.", field="type")
    for _ in range(_ATTEMPTS):
        item = get_item(brand_id, within=within)
        domains = [plain(d) for d in item.domains or []]
        if any(d.get("domain") == host for d in domains):
            raise Conflict(f"The domain '{host}' already belongs to this brand.",
                           code="DOMAIN_TAKEN", field="domain")
        if len(domains) >= MAX_DOMAINS:
            raise BadRequest(f"A brand can have at most {MAX_DOMAINS} domains; remove one first.",
                             code="TOO_MANY_DOMAINS", field="domain")
        entry = domain_entry(host, primary=False, domain_type=domain_type)
        try:
            with transaction() as tx:
                tx.save(DomainItem(f"DOMAIN#{host}", "DOMAIN", brand_id=item.id),
                        condition=DomainItem.pk.does_not_exist())
                tx.update(item, actions=[BrandItem.domains.set([*domains, entry]),
                                         BrandItem.modified_date.set(settings.now())])
        except ConditionFailed as e:
            if e.failed(0):
                raise Conflict(f"The domain '{host}' already belongs to a brand.",
                               code="DOMAIN_TAKEN", field="domain") from None
            continue  # the brand changed since we read it: read again
        _forget([host, *_hosts(domains)])
        return entry
    raise _busy()


def remove_domain(brand_id: str, domain_id: str, *, within: str | None = None) -> bool:
    """Remove one of a brand's domains and release its claim; the primary one stays."""
    for _ in range(_ATTEMPTS):
        item = get_item(brand_id, within=within)
        domains = [plain(d) for d in item.domains or []]
        target = next((d for d in domains if d.get("id") == domain_id), None)
        if target is None:
            raise NotFound("The brand has no domain with this id.", code="DOMAIN_NOT_FOUND",
                           field="domainId")
        if target.get("isPrimary"):
            raise Conflict("The primary domain can't be removed; it identifies the brand.",
                           code="DOMAIN_IS_PRIMARY", field="domainId")
        try:
            with transaction() as tx:
                tx.delete(DomainItem(f"DOMAIN#{target['domain']}", "DOMAIN"),
                          condition=DomainItem.brand_id == item.id)
                tx.update(item, actions=[
                    BrandItem.domains.set([d for d in domains if d is not target]),
                    BrandItem.modified_date.set(settings.now())])
        except ConditionFailed:
            continue
        _forget(_hosts(domains))
        return True
    raise _busy()


def delete(brand_id: str, *, within: str | None = None) -> bool:
    """Soft-delete: the brand is flagged and kept, leaves the listing and releases its domains.

    Refused for the system brand, for the caller's own brand (``within``), and while it has
    live child brands; the child count is a condition of the same write, so a child created
    at the same moment can't be orphaned.
    """
    for _ in range(_ATTEMPTS):
        item = get_item(brand_id, within=within)
        if item.is_system:
            raise Conflict("The system brand can't be deleted.", code="BRAND_IS_SYSTEM")
        if within is not None and item.id == within:
            raise Forbidden("You can't delete your own brand; ask the platform's administrator.",
                            code="BRAND_IS_YOURS")
        if item.child_count:
            raise Conflict(f"The brand has {item.child_count} child brand(s); delete them first.",
                           code="BRAND_HAS_CHILDREN")
        parent = _parent_or_none(item)
        domains = [plain(d) for d in item.domains or []]
        now = settings.now()
        try:
            with transaction() as tx:
                for d in domains:
                    tx.delete(DomainItem(f"DOMAIN#{d['domain']}", "DOMAIN"),
                              condition=DomainItem.brand_id == item.id)
                tx.update(item, actions=[BrandItem.is_deleted.set(True),
                                         BrandItem.gsi1pk.set(DELETED),
                                         BrandItem.modified_date.set(now)],
                          condition=BrandItem.child_count == 0)
                if parent is not None:
                    tx.update(parent, actions=[BrandItem.child_count.add(-1)],
                              condition=BrandItem.child_count > 0, add_version_condition=False)
        except ConditionFailed:
            continue
        _forget(_hosts(domains))
        return True
    raise _busy()


# -- helpers -----------------------------------------------------------------------------------

def _update(brand_id: str, within: str | None,
            change: Callable[[BrandItem], list[Action]]) -> BrandItem:
    """Read, change, write on the version read; re-read and retry if someone wrote first."""
    for _ in range(_ATTEMPTS):
        item = get_item(brand_id, within=within)
        actions = change(item)
        actions.append(BrandItem.modified_date.set(settings.now()))
        try:
            item.update(actions=actions)
        except UpdateError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        _forget(_hosts(item.domains or []))
        return item
    raise _busy()


def _parent_or_none(item: BrandItem) -> BrandItem | None:
    if not item.parent_id:
        return None
    try:
        return BrandItem.get(brand_pk(item.parent_id), "BRAND", consistent_read=True)
    except DoesNotExist:
        return None


def _hosts(domains: Iterable[Any]) -> list[str]:
    return [plain(d).get("domain") for d in domains if plain(d).get("domain")]


def _forget(hosts: Iterable[str]) -> None:
    forget_hosts(hosts)


def _busy() -> Conflict:
    return Conflict("The brand was changed by someone else at the same time; try again.",
                    code="BRAND_CHANGED")


# Notify sends each mail in its brand's name and asks identity for the brand this way.
notify.set_brand_lookup(get)
