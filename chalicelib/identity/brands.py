"""Brands: the tenant. A tree (parent / child brands), each reachable by its domains."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http.errors import Conflict, NotFound
from chalicelib.identity.models import BrandItem, DomainItem, brand_pk
from chalicelib.store import ids
from chalicelib.store.base import plain
from chalicelib.store.tx import ConditionFailed, transaction

PASSWORD_POLICY_LEVELS = ("Low", "Medium", "High")

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
}


def to_dto(item: BrandItem) -> dict:
    setting = {**DEFAULT_SETTING, **plain(item.setting)}
    profile = plain(item.profile)
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
        "domains": list(item.domains or []),
    }


def get_item(brand_id: str) -> BrandItem:
    try:
        item = BrandItem.get(brand_pk(brand_id), "BRAND")
    except DoesNotExist:
        raise NotFound("Brand not found.", code="BRAND_NOT_FOUND") from None
    if item.is_deleted:
        raise NotFound("Brand not found.", code="BRAND_NOT_FOUND")
    return item


def get(brand_id: str) -> dict:
    return to_dto(get_item(brand_id))


def find_by_host(host: str) -> dict | None:
    try:
        domain = DomainItem.get(f"DOMAIN#{host}", "DOMAIN")
        item = BrandItem.get(brand_pk(domain.brand_id), "BRAND")
    except DoesNotExist:
        return None
    return None if item.is_deleted else to_dto(item)


def domain_entry(host: str, *, primary: bool, domain_type: str = "Client") -> dict:
    return {"id": ids.new_id(), "type": domain_type, "protocol": "Https", "domain": host,
            "verified": False, "verifiedDate": None, "isDefault": primary, "isPrimary": primary,
            "dnsRecords": []}


def create(*, name: str, abbr: str, domain: str, code: str | None = None,
           description: str | None = None, tags: str | None = None,
           parent_id: str | None = None, is_system: bool = False,
           profile: dict | None = None, setting: dict | None = None,
           brand_id: str | None = None) -> dict:
    """Create a brand and claim its domain, in one transaction (a taken domain is a 409)."""
    now = settings.now()
    brand_id = brand_id or ids.new_id()
    host = domain.lower()
    item = BrandItem(
        brand_pk(brand_id), "BRAND",
        id=brand_id, code=code or abbr.upper(), name=name, abbr=abbr,
        description=description, tags=tags, parent_id=parent_id, is_system=is_system,
        profile=profile or {}, setting={**DEFAULT_SETTING, **(setting or {})},
        domains=[domain_entry(host, primary=True)],
        created_date=now, modified_date=now,
        gsi1pk="BRANDS", gsi1sk=f"{now.isoformat()}#{brand_id}",
    )
    claim = DomainItem(f"DOMAIN#{host}", "DOMAIN", brand_id=brand_id)
    try:
        with transaction() as tx:
            tx.save(item, condition=BrandItem.pk.does_not_exist())
            tx.save(claim, condition=DomainItem.pk.does_not_exist())
    except ConditionFailed as e:
        if e.failed(1):
            raise Conflict(f"The domain '{host}' already belongs to a brand.",
                           code="DOMAIN_TAKEN", field="setting.domain") from None
        raise Conflict("A brand with this id already exists.") from None
    return to_dto(item)
