"""A brand's catalogue as one snapshot (one Query), the DTOs built from it, and the write helper.

Every read of the catalogue is ONE Query of the ``B#<brand>#CAT`` partition (packages, features,
their links, subscription types, prices and the head): a brand's catalogue is small (hundreds of
items, well under a 1 MB page), and one round trip is cheaper than several GetItems. Writes read
the snapshot (consistent), validate against it, and commit ONE transaction whose conditions fail
if the snapshot went stale; a stale write is retried from a fresh read (``retrying``).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from pynamodb.exceptions import TransactWriteError

from chalicelib import money, settings
from chalicelib.catalog import constants as C
from chalicelib.catalog.models import (
    HEAD_SK,
    CatalogCodeItem,
    CatalogEntry,
    CatalogHead,
    FeatureItem,
    PackageFeatureItem,
    PackageItem,
    PriceItem,
    SubscriptionTypeItem,
    cat_pk,
    code_key,
    subtype_sk,
)
from chalicelib.http.errors import ApiError, BadRequest, Conflict
from chalicelib.store.base import connection
from chalicelib.store.tx import ConditionFailed, transaction

T = TypeVar("T")


@dataclass
class Catalogue:
    brand_id: str
    head: CatalogHead | None = None
    packages: dict[str, PackageItem] = field(default_factory=dict)
    features: dict[str, FeatureItem] = field(default_factory=dict)
    subtypes: dict[str, SubscriptionTypeItem] = field(default_factory=dict)
    prices: dict[str, PriceItem] = field(default_factory=dict)
    # package id -> feature id -> link
    links: dict[str, dict[str, PackageFeatureItem]] = field(default_factory=dict)
    # Every subscription type id ever stored, deleted ones included (seeding check).
    subtype_ids: set[str] = field(default_factory=set)
    # A snapshot kept for readers (``query``) is never changed, so each package's DTO is built
    # from it once (``package_dto``); a writer's own snapshot is not kept and builds afresh.
    kept: bool = False
    dtos: dict[tuple[str, bool], dict] = field(default_factory=dict)

    @classmethod
    def of(cls, brand_id: str, items: list[CatalogEntry]) -> Catalogue:
        cat = cls(brand_id)
        for it in items:
            if isinstance(it, SubscriptionTypeItem):
                cat.subtype_ids.add(it.id)
            if isinstance(it, CatalogHead):
                cat.head = it
            elif isinstance(it, PackageItem) and not it.is_deleted:
                cat.packages[it.id] = it
            elif isinstance(it, FeatureItem) and not it.is_deleted:
                cat.features[it.id] = it
            elif isinstance(it, SubscriptionTypeItem) and not it.is_deleted:
                cat.subtypes[it.id] = it
            elif isinstance(it, PriceItem) and not it.is_deleted:
                cat.prices[it.id] = it
            elif isinstance(it, PackageFeatureItem):
                cat.links.setdefault(it.package_id, {})[it.feature_id] = it
        return cat

    @property
    def version(self) -> int:
        return int(self.head.version) if self.head else 0

    def package_prices(self, package_id: str) -> list[PriceItem]:
        return [p for p in self.prices.values() if p.package_id == package_id]

    def subtype_prices(self, subtype_id: str) -> list[PriceItem]:
        return [p for p in self.prices.values() if p.subscription_type_id == subtype_id]

    def feature_links(self, feature_id: str) -> list[PackageFeatureItem]:
        return [ls[feature_id] for ls in self.links.values() if feature_id in ls]

    def package_links(self, package_id: str) -> list[PackageFeatureItem]:
        return list(self.links.get(package_id, {}).values())


def query(brand_id: str, consistent: bool = False) -> Catalogue:
    """The snapshot, exactly as stored (no seeding): one Query, paged by PynamoDB past 1 MB.

    A read for a reply (not ``consistent``) is served from the last snapshot this process read
    when the head's version, read consistently (one small GetItem), is still the snapshot's:
    every catalogue write raises the version in its own transaction (``Writes.commit``), so a
    kept snapshot is never older than a write that committed before the GetItem. The snapshot
    is kept only when the head read before its Query has the version the Query saw: a write
    landing between them makes the next read fetch again. Writers read ``consistent`` and get
    a fresh snapshot of their own, never the kept one (their validation may change its items).
    """
    if consistent:
        return _query(brand_id, consistent=True)
    kept = _SNAPSHOTS.get(brand_id)
    conn = connection()
    head = _head(brand_id)
    if kept is not None and kept[0] is conn and head is not None and kept[1].version == head:
        return kept[1]
    cat = _query(brand_id, consistent=True)
    if head is not None and cat.head is not None and cat.version == head:
        with _KEEPING:
            if len(_SNAPSHOTS) >= _KEEP:
                _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
            cat.kept = True
            _SNAPSHOTS[brand_id] = (conn, cat)
    return cat


# brand id -> (the connection it was read with, the snapshot); a new connection (tests, a
# changed endpoint) starts afresh. Bounded: the oldest brand read goes first.
_SNAPSHOTS: dict[str, tuple[Any, Catalogue]] = {}
_KEEP = 256
_KEEPING = threading.Lock()


def _head(brand_id: str) -> int | None:
    try:
        head = CatalogHead.get(cat_pk(brand_id), HEAD_SK, consistent_read=True,
                               attributes_to_get=["version"])
    except CatalogHead.DoesNotExist:
        return None
    return int(head.version or 0)


def _query(brand_id: str, consistent: bool) -> Catalogue:
    return Catalogue.of(brand_id, list(CatalogEntry.query(cat_pk(brand_id),
                                                          consistent_read=consistent)))


def load(brand_id: str, consistent: bool = False) -> Catalogue:
    """The brand's catalogue; the first read of a brand seeds JFW's predefined durations.

    A Query is read-committed per item, so a read racing the seeding transaction can see the
    head without all the predefined types (they are never hard-deleted, so a missing one means
    the seeding is in flight): read again then.
    """
    cat = query(brand_id, consistent)
    for n in range(5):
        if cat.head is None:
            seed(brand_id)
        elif _seeded(cat):
            return cat
        else:
            time.sleep(0.002 * (n + 1))
        cat = query(brand_id, consistent=True)
    return cat


def _seeded(cat: Catalogue) -> bool:
    return all(predefined_id(d) in cat.subtype_ids for d in C.PREDEFINED_DAYS)


# -- seeding -------------------------------------------------------------------------------------

def predefined_id(days: int) -> str:
    return f"D{days}"


def seed(brand_id: str) -> None:
    """Write the head and JFW's predefined subscription types, once per brand.

    Idempotent and race-safe: every put is conditioned on the item not existing, so concurrent
    first reads give one seeding; the head's existence marks a seeded brand (a predefined type
    an admin deletes later is not re-created).
    """
    now = settings.now()
    pk = cat_pk(brand_id)
    default_id = predefined_id(C.DEFAULT_PREDEFINED_DAYS)
    try:
        with transaction() as tx:
            tx.save(CatalogHead(pk, HEAD_SK, default_subscription_type_id=default_id, version=0,
                                created_date=now, modified_date=now),
                    condition=CatalogHead.pk.does_not_exist())
            for z, days in enumerate(C.PREDEFINED_DAYS, start=1):
                sid = predefined_id(days)
                name = f"{days} day" if days == 1 else f"{days} days"
                tx.save(SubscriptionTypeItem(
                    pk, subtype_sk(sid), id=sid, name=name, unit="Day", quantity=days,
                    z_order=z, status="Active", is_default=sid == default_id,
                    is_predefined=True, created_date=now, modified_date=now),
                    condition=SubscriptionTypeItem.pk.does_not_exist())
                tx.save(CatalogCodeItem(*code_key(brand_id, "SUBTYPE", name), kind="SUBTYPE",
                                        object_id=sid),
                        condition=CatalogCodeItem.pk.does_not_exist())
    except ConditionFailed:
        pass  # another request seeded this brand first


# -- writes --------------------------------------------------------------------------------------

class Stale(Exception):
    """A condition failed because the snapshot the write was built on changed: read again."""


@dataclass
class _Op:
    kind: str
    args: tuple
    kwargs: dict
    error: ApiError | None


class Writes:
    """Operations of one transaction, each with the error to raise if its condition fails
    (None: the snapshot was stale, so the caller retries from a fresh read)."""

    def __init__(self) -> None:
        self.ops: list[_Op] = []

    def save(self, item: Any, condition: Any = None, error: ApiError | None = None) -> None:
        self.ops.append(_Op("save", (item,), {"condition": condition}, error))

    def update(self, item: Any, actions: list, condition: Any = None,
               error: ApiError | None = None) -> None:
        self.ops.append(_Op("update", (item,), {"actions": actions, "condition": condition},
                            error))

    def delete(self, item: Any, condition: Any = None, error: ApiError | None = None) -> None:
        self.ops.append(_Op("delete", (item,), {"condition": condition}, error))

    def check(self, model: type, hash_key: str, range_key: str, condition: Any,
              error: ApiError | None = None) -> None:
        self.ops.append(_Op("condition_check", (model, hash_key),
                            {"range_key": range_key, "condition": condition}, error))

    def claim(self, brand_id: str, kind: str, code: str, object_id: str,
              error: ApiError) -> None:
        self.save(CatalogCodeItem(*code_key(brand_id, kind, code), kind=kind,
                                  object_id=object_id),
                  condition=CatalogCodeItem.pk.does_not_exist(), error=error)

    def release(self, brand_id: str, kind: str, code: str) -> None:
        self.delete(CatalogCodeItem(*code_key(brand_id, kind, code)))

    def commit(self) -> None:
        if not self.ops:
            return
        self._raise_version()
        if len(self.ops) > 100:
            raise Conflict("This change touches more than 100 catalogue items; make it in "
                           "smaller steps.", code="CATALOG_CHANGE_TOO_LARGE")
        try:
            with transaction() as tx:
                for op in self.ops:
                    getattr(tx, op.kind)(*op.args, **op.kwargs)
        except ConditionFailed as e:
            for i, op in enumerate(self.ops):
                if e.failed(i) and op.error is not None:
                    raise op.error from None
            raise Stale from None
        except TransactWriteError as e:
            reasons = [r.code if r else None for r in (e.cancellation_reasons or [])]
            if "TransactionConflict" in reasons:
                raise Stale from None
            raise


    def _raise_version(self) -> None:
        """Every write to a brand's catalogue partition raises its head's version in the same
        transaction (``query`` keeps snapshots by it); a write that already updates the head
        (``switch_default``) raises it itself."""
        pks = {_pk_of(op) for op in self.ops}
        brands = {pk[2:-4] for pk in pks if pk.startswith("B#") and pk.endswith("#CAT")}
        for brand_id in brands:
            head = (cat_pk(brand_id), HEAD_SK)
            if any(_key_of(op) == head for op in self.ops):
                continue
            self.ops.append(_Op("update", (CatalogHead(*head),), {
                "actions": [CatalogHead.version.add(1)],
                "condition": CatalogHead.pk.exists()}, None))


def _pk_of(op: _Op) -> str:
    return _key_of(op)[0]


def _key_of(op: _Op) -> tuple[str, str]:
    if op.kind == "condition_check":
        return op.args[1], op.kwargs["range_key"]
    return op.args[0].pk, op.args[0].sk


ATTEMPTS = 8


def retrying(attempt: Callable[[], T]) -> T:
    """Run a read-validate-write ``attempt`` until its transaction commits on a fresh snapshot."""
    for n in range(ATTEMPTS):
        try:
            return attempt()
        except Stale:
            time.sleep(random.uniform(0, 0.005 * (2 ** n)))
    raise Conflict("The catalogue changed several times while saving this; try again.",
                   code="CATALOG_BUSY")


def switch_default(w: Writes, cat: Catalogue, new_id: str, head_attr: str,
                   item_cls: Any, sk: Callable[[str], str], members: dict) -> None:
    """Make ``new_id`` the default (package or subscription type) in the same transaction: the
    head's ``head_attr`` moves (conditioned on its version, so two concurrent switches can't
    both win) and the old default is unset."""
    pk = cat_pk(cat.brand_id)
    old = getattr(cat.head, head_attr) if cat.head else None
    w.update(CatalogHead(pk, HEAD_SK),
             actions=[getattr(CatalogHead, head_attr).set(new_id), CatalogHead.version.add(1),
                      CatalogHead.modified_date.set(settings.now())],
             condition=CatalogHead.version == cat.version)
    if old and old != new_id and old in members:
        w.update(item_cls(pk, sk(old)), actions=[item_cls.is_default.set(False)],
                 condition=item_cls.is_default == True)  # noqa: E712


# -- DTOs ----------------------------------------------------------------------------------------

def package_dto(cat: Catalogue, p: PackageItem, public: bool = False) -> dict:
    """IPackage with its features and prices; from a kept snapshot, built once and handed out
    as a copy (its features and prices too) that the caller may change."""
    if not cat.kept:
        return _package_dto(cat, p, public)
    row = cat.dtos.get((p.id, public))
    if row is None:
        row = cat.dtos[(p.id, public)] = _package_dto(cat, p, public)
    return {**row, "features": [dict(f) for f in row["features"]],
            "prices": [dict(x) for x in row["prices"]]}


def _package_dto(cat: Catalogue, p: PackageItem, public: bool) -> dict:
    features = [link_dto(cat, link) for link in cat.package_links(p.id)
                if link.feature_id in cat.features
                and (not public or cat.features[link.feature_id].status == "Active")]
    features.sort(key=lambda f: (f["zOrder"], f["code"]))
    prices = [price_dto(cat, x) for x in cat.package_prices(p.id)
              if not public or price_visible(cat, x)]
    prices.sort(key=lambda x: (x["zOrder"], x["code"]))
    a = p.attribute_values  # read as the descriptors do, without their cost (bench/owntime.py)
    return {
        "id": a.get("id"),
        "createdDate": a.get("created_date"),
        "modifiedDate": a.get("modified_date"),
        "code": a.get("code"),
        "name": a.get("name"),
        "imageURL": a.get("image_url"),
        "patternAvatarURL": a.get("pattern_avatar_url"),
        "styles": a.get("styles"),
        "description": a.get("description"),
        "tags": a.get("tags"),
        "isFree": a.get("is_free"),
        "tier": int(a["tier"]),
        "zOrder": int(a["z_order"]),
        "features": features,
        "prices": prices,
        "isDefault": a.get("is_default"),
        "status": a.get("status"),
    }


def feature_dto(f: FeatureItem) -> dict:
    a = f.attribute_values
    return {
        "id": a.get("id"),
        "createdDate": a.get("created_date"),
        "modifiedDate": a.get("modified_date"),
        "parentBrandId": None,
        "eventId": a.get("event_id"),
        "code": a.get("code"),
        "name": a.get("name"),
        "unit": a.get("unit"),
        "defaultValue": int(a["default_value"]),
        "helpURL": a.get("help_url"),
        "image": a.get("image"),
        "styles": a.get("styles"),
        "description": a.get("description"),
        "tags": a.get("tags"),
        "notes": a.get("notes"),
        "zOrder": int(a["z_order"]),
        "status": a.get("status"),
    }


def link_dto(cat: Catalogue, link: PackageFeatureItem) -> dict:
    """IFeatureOfPackage: the feature plus how this package grants it."""
    return {
        **feature_dto(cat.features[link.feature_id]),
        "featureId": link.feature_id,
        "packageId": link.package_id,
        "type": link.type,
        "title": link.title,
        "value": None if link.value is None else int(link.value),
        "isUnlimited": link.is_unlimited,
        "resetPolicy": link.reset_policy,
        "customIntervalDays": (None if link.custom_interval_days is None
                               else int(link.custom_interval_days)),
    }


def subtype_dto(s: SubscriptionTypeItem) -> dict:
    return {
        "id": s.id,
        "createdDate": s.created_date,
        "modifiedDate": s.modified_date,
        "name": s.name,
        "unit": s.unit,
        "quantity": int(s.quantity),
        "tags": s.tags,
        "zOrder": int(s.z_order),
        "status": s.status,
        "isDefault": s.is_default,
        "isPredefined": s.is_predefined,
        "description": s.description,
    }


def price_dto(cat: Catalogue, p: PriceItem) -> dict:
    """IPrice plus ``pricingModel`` and the internal ``amountMinor`` (the API drops the latter)."""
    a = p.attribute_values
    pkg = cat.packages.get(a.get("package_id"))
    st = cat.subtypes.get(a.get("subscription_type_id")) if a.get("subscription_type_id") else None
    return {
        "id": a.get("id"),
        "createdDate": a.get("created_date"),
        "modifiedDate": a.get("modified_date"),
        "code": a.get("code"),
        "name": a.get("name"),
        "amount": money.to_decimal(int(a["amount_minor"]), a.get("currency")),
        "amountMinor": int(a["amount_minor"]),
        "currency": a.get("currency"),
        "pricingModel": a.get("pricing_model"),
        "description": a.get("description"),
        "checkoutLink": a.get("checkout_link"),
        "tags": a.get("tags"),
        "packageId": a.get("package_id"),
        "packageName": pkg.name if pkg else None,
        "subscriptionTypeId": a.get("subscription_type_id"),
        "subscriptionName": st.name if st else None,
        "zOrder": int(a["z_order"]),
    }


def price_visible(cat: Catalogue, p: PriceItem) -> bool:
    """A price a public (anonymous or end-user) reader sees: its package and type are active."""
    pkg = cat.packages.get(p.package_id)
    if pkg is None or pkg.status != "Active":
        return False
    if p.subscription_type_id:
        st = cat.subtypes.get(p.subscription_type_id)
        return st is not None and st.status == "Active"
    return True


# -- list helpers --------------------------------------------------------------------------------

def contains(value: Any, needle: str | None) -> bool:
    return needle is None or needle.lower() in str(value or "").lower()


def keywords_match(row: dict, words: str | None, fields: tuple[str, ...]) -> bool:
    if not words:
        return True
    return all(any(w in str(row.get(f) or "").lower() for f in fields)
               for w in words.lower().split())


def sort_rows(rows: list[dict], query: dict, allowed: tuple[str, ...],
              default: str = "zOrder") -> list[dict]:
    """Catalogue lists sort by ``zOrder`` ascending unless told otherwise (pricing pages show
    packages in the brand's order); an explicit ``sortDataField`` sorts descending by default,
    as JFW does."""
    field_ = query.get("sortDataField") or default
    if field_ not in allowed:
        raise BadRequest(f"sortDataField must be one of {', '.join(allowed)}.",
                         field="sortDataField")
    order = query.get("sortOrder") or ("asc" if "sortDataField" not in query else "desc")

    def key(r: dict) -> Any:
        v = r.get(field_)
        return (v is not None, v if isinstance(v, (int, float, Decimal)) else str(v or ""),
                str(r.get("createdDate") or ""), r["id"])

    return sorted(rows, key=key, reverse=order == "desc")


def iter_ids(values: list[str] | None) -> Iterator[str]:
    seen: set[str] = set()
    for v in values or []:
        if v not in seen:
            seen.add(v)
            yield v
