"""A brand's black list (JFW's Security -> Black List): buyers that may not check out.

Types (JFW publishes only the name of the list; these are ours, documented in the OpenAPI):
- ``Email``: an address (``bad@example.com``), or a whole domain (``@example.com``; ``*@`` is
  read as ``@``). Compared case-insensitively.
- ``IP``: an address or a CIDR network (``203.0.113.0/24``), IPv4 or IPv6; matched against the
  request's source IP (API Gateway's ``identity.sourceIp``).
- ``Country``: an ISO 3166-1 alpha-2 code, matched against the ``CloudFront-Viewer-Country``
  header. Only the edge may set it: deploy behind CloudFront (which overwrites any value a client
  sends); a request without the header is not checked by country.

Items (models.py): one per entry, keyed by brand, type and value (the key makes an entry
unique); the whole list is one Query of gsi1. An entry's id is its type and value,
base64url-encoded, so reading one by id is one GetItem; changing the type or
value of an entry moves it to a new id (one transaction).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.http.paging import page
from chalicelib.payments import models as m
from chalicelib.payments.constants import BLACK_LIST_STATUSES, BLACK_LIST_TYPES
from chalicelib.payments.models import BlackListItem
from chalicelib.store.tx import ConditionFailed, transaction

TYPES = BLACK_LIST_TYPES
STATUSES = BLACK_LIST_STATUSES
COUNTRY_HEADER = "cloudfront-viewer-country"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^@[^@\s]+\.[^@\s]+$")


# -- values and ids ------------------------------------------------------------------------------

def normalise(kind: str, value: str) -> str:
    """The stored form of a value, or 400 saying what a valid one looks like."""
    v = (value or "").strip()
    if kind == "Email":
        v = v.lower()
        if v.startswith("*@"):
            v = v[1:]
        if _EMAIL.match(v) or _DOMAIN.match(v):
            return v
        raise BadRequest("An Email entry is an address (name@example.com) or a whole domain "
                         "(@example.com).", code="BLACKLIST_VALUE_INVALID", field="value")
    if kind == "IP":
        try:
            if "/" in v:
                net = ipaddress.ip_network(v, strict=False)
                return str(net.network_address) if net.num_addresses == 1 else str(net)
            return str(ipaddress.ip_address(v))
        except ValueError:
            raise BadRequest("An IP entry is an IPv4/IPv6 address or a CIDR network "
                             "(203.0.113.0/24).", code="BLACKLIST_VALUE_INVALID",
                             field="value") from None
    if kind == "Country":
        if re.fullmatch(r"[A-Za-z]{2}", v):
            return v.upper()
        raise BadRequest("A Country entry is an ISO 3166-1 alpha-2 code such as US or DE.",
                         code="BLACKLIST_VALUE_INVALID", field="value")
    raise BadRequest(f"type must be one of {', '.join(TYPES)}.", field="type")


def entry_id(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode("ascii").rstrip("=")


def _parse_id(entry: str) -> tuple[str, str] | None:
    try:
        text = base64.urlsafe_b64decode(entry + "=" * (-len(entry) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    kind, sep, value = text.partition(":")
    return (kind, value) if sep and kind in TYPES and value else None


def to_dto(item: BlackListItem) -> dict[str, Any]:
    return {"id": entry_id(item.type, item.value), "brandId": item.brand_id, "type": item.type,
            "value": item.value, "description": item.description, "notes": item.notes,
            "status": item.status, "createdDate": item.created_date,
            "modifiedDate": item.modified_date}


# -- CRUD ----------------------------------------------------------------------------------------

def _item(brand_id: str, entry: str) -> BlackListItem:
    parsed = _parse_id(entry)
    missing = NotFound(f"Black list entry {entry} was not found.", code="BLACKLIST_NOT_FOUND")
    if parsed is None:
        raise missing
    try:
        return BlackListItem.get(m.black_list_pk(brand_id, *parsed), m.BLACKLIST_SK,
                                 consistent_read=True)
    except BlackListItem.DoesNotExist:
        raise missing from None


def entries(brand_id: str) -> list[BlackListItem]:
    return list(BlackListItem.gsi1.query(m.black_list_gsi(brand_id)))


def list_entries(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    rows = [to_dto(i) for i in entries(brand_id)
            if (not query.get("type") or i.type == query["type"])
            and (not query.get("status") or i.status == query["status"])]
    return page(rows, query, sortable=("type", "value", "status"),
                keyword_fields=("value", "description", "notes"))


def get(brand_id: str, entry: str) -> dict[str, Any]:
    return to_dto(_item(brand_id, entry))


def _taken(kind: str, value: str) -> Conflict:
    return Conflict(f"{kind} {value} is already on the black list.", code="BLACKLIST_EXISTS",
                    field="value")


def create(brand_id: str, data: dict[str, Any]) -> dict[str, Any]:
    kind = data["type"]
    value = normalise(kind, data["value"])
    now = settings.now()
    item = BlackListItem(m.black_list_pk(brand_id, kind, value), m.BLACKLIST_SK,
                         gsi1pk=m.black_list_gsi(brand_id),
                         gsi1sk=f"{kind}#{value}", brand_id=brand_id, type=kind, value=value,
                         description=data.get("description"), notes=data.get("notes"),
                         status=data.get("status") or "Active", created_date=now,
                         modified_date=now)
    try:
        item.save(condition=BlackListItem.pk.does_not_exist())
    except PutError as e:
        if "ConditionalCheckFailed" in str(e.cause_response_code or e):
            raise _taken(kind, value) from None
        raise
    return to_dto(item)


def update(brand_id: str, entry: str, data: dict[str, Any]) -> dict[str, Any]:
    current = _item(brand_id, entry)
    kind = data.get("type") or current.type
    value = normalise(kind, data["value"]) if data.get("value") else current.value
    now = settings.now()
    fields = {"description": data.get("description", current.description),
              "notes": data.get("notes", current.notes),
              "status": data.get("status") or current.status}
    if (kind, value) == (current.type, current.value):
        actions = [getattr(BlackListItem, k).set(v) if v is not None
                   else getattr(BlackListItem, k).remove() for k, v in fields.items()]
        current.update(actions=[*actions, BlackListItem.modified_date.set(now)],
                       condition=BlackListItem.pk.exists())
        return to_dto(current)
    moved = BlackListItem(m.black_list_pk(brand_id, kind, value), m.BLACKLIST_SK,
                          gsi1pk=m.black_list_gsi(brand_id),
                          gsi1sk=f"{kind}#{value}", brand_id=brand_id, type=kind, value=value,
                          created_date=current.created_date, modified_date=now, **fields)
    try:
        with transaction() as tx:
            tx.delete(current, condition=BlackListItem.pk.exists())
            tx.save(moved, condition=BlackListItem.pk.does_not_exist())
    except ConditionFailed as e:
        if e.failed(1):
            raise _taken(kind, value) from None
        raise NotFound(f"Black list entry {entry} was not found.",
                       code="BLACKLIST_NOT_FOUND") from None
    return to_dto(moved)


def delete(brand_id: str, entry: str) -> bool:
    item = _item(brand_id, entry)
    try:
        item.delete(condition=BlackListItem.pk.exists())
    except DeleteError:
        raise NotFound(f"Black list entry {entry} was not found.",
                       code="BLACKLIST_NOT_FOUND") from None
    return True


# -- checking a buyer ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Buyer:
    email: str | None
    ip: str | None
    country: str | None


def buyer_of(email: str | None, headers: dict[str, str], source_ip: str | None) -> Buyer:
    country = (headers.get(COUNTRY_HEADER) or "").strip().upper() or None
    return Buyer(email=(email or "").strip().lower() or None, ip=source_ip, country=country)


def _ip_in(ip: str, value: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
        return address in ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False


def _domain(email: str | None) -> str | None:
    return email.rsplit("@", 1)[1] if email and "@" in email else None


def blocked_by(items: list[BlackListItem], buyer: Buyer) -> tuple[str, str] | None:
    """``(type, value)`` of the Active entry that blocks ``buyer``, or None."""
    domain = _domain(buyer.email)
    for item in items:
        if item.status != "Active":
            continue
        if item.type == "Email" and buyer.email and (
                item.value == buyer.email or (item.value.startswith("@")
                                              and domain == item.value[1:])):
            return item.type, item.value
        if item.type == "IP" and buyer.ip and _ip_in(buyer.ip, item.value):
            return item.type, item.value
        if item.type == "Country" and buyer.country and item.value == buyer.country:
            return item.type, item.value
    return None


def check(brand_id: str, buyer: Buyer) -> list[BlackListItem]:
    """403 when the buyer is blocked; else the brand's list (risk.py reads it for proximity).
    One Query."""
    items = entries(brand_id)
    hit = blocked_by(items, buyer)
    if hit is not None:
        what = {"Email": "e-mail address", "IP": "network address",
                "Country": "country"}[hit[0]]
        raise Forbidden(f"Purchases from your {what} are blocked by this brand; contact its "
                        "support if you think this is a mistake.", code="BUYER_BLOCKED")
    return items


def near_misses(items: list[BlackListItem], buyer: Buyer) -> list[str]:
    """Signals that the buyer is close to a blocked one (not blocked): the same e-mail domain
    as a blocked address, or the same /24 (IPv4) or /64 (IPv6) network as a blocked IP."""
    out = []
    domain = _domain(buyer.email)
    for item in items:
        if item.status != "Active":
            continue
        if item.type == "Email" and domain and not item.value.startswith("@") and \
                _domain(item.value) == domain:
            out.append(f"e-mail domain {domain} of a blocked address")
        elif item.type == "IP" and buyer.ip and "/" not in item.value:
            try:
                address = ipaddress.ip_address(item.value)
                prefix = 24 if address.version == 4 else 64
                net = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
                if ipaddress.ip_address(buyer.ip) in net:
                    out.append(f"network {net} of a blocked address")
            except ValueError:
                continue
    return list(dict.fromkeys(out))
