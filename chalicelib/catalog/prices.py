"""Prices: package x subscription type x currency.

Pricing models (JFW's Pricing Flow): ``Subscription`` (access for the subscription type's
duration), ``OneTime`` (no subscription type: access with no end; a Subscription price sent without
a type gets the brand's default one), and freemium: a package with
``isFree`` that users get without paying, so it may not have a price above 0. ``Usage`` is
reserved for metered prices billed by invoicing (a later issue) and refused until then.

The amount is stored as integer minor units; money.to_minor refuses (400) one that is negative,
over the ceiling or with more decimals than the currency has. Each price counts itself on its
package (``priceCount``, ``paidPriceCount``) and subscription type (``priceCount``) in the same
transaction, so deleting a package or type that a price refers to, or making a package with paid
prices free, is refused atomically.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from chalicelib import money, settings
from chalicelib.catalog import constants as C
from chalicelib.catalog.catalogue import (
    Catalogue,
    Writes,
    contains,
    keywords_match,
    load,
    price_dto,
    price_visible,
    retrying,
    sort_rows,
)
from chalicelib.catalog.models import (
    PackageItem,
    PriceItem,
    SubscriptionTypeItem,
    cat_pk,
    package_sk,
    price_sk,
    subtype_sk,
)
from chalicelib.http import paging
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.store import ids

_TEXT = {"code": "code", "name": "name", "checkoutLink": "checkout_link",
         "description": "description", "tags": "tags", "zOrder": "z_order"}
_NULLABLE = ("checkoutLink", "description", "tags")


def code_taken(code: str) -> Conflict:
    return Conflict(f"A price with the code '{code}' already exists in this brand.",
                    code="PRICE_CODE_TAKEN", field="code")


def _get(cat: Catalogue, price_id: str) -> PriceItem:
    p = cat.prices.get(price_id)
    if p is None:
        raise NotFound(f"Price '{price_id}' not found.", code="PRICE_NOT_FOUND")
    return p


# -- reads ---------------------------------------------------------------------------------------

def get_price(brand_id: str, price_id: str, public: bool = False) -> dict:
    return price_of(load(brand_id), price_id, public)


def price_of(cat: Catalogue, price_id: str, public: bool = False) -> dict:
    """``get_price`` on a catalogue the caller has read already."""
    p = _get(cat, price_id)
    if public and not price_visible(cat, p):
        raise NotFound(f"Price '{price_id}' not found.", code="PRICE_NOT_FOUND")
    return price_dto(cat, p)


def prices_for_package(brand_id: str, package_id: str, public: bool = False) -> list[dict]:
    cat = load(brand_id)
    pkg = cat.packages.get(package_id)
    if pkg is None or (public and pkg.status != "Active"):
        raise NotFound(f"Package '{package_id}' not found.", code="PACKAGE_NOT_FOUND")
    rows = [price_dto(cat, p) for p in cat.package_prices(package_id)
            if not public or price_visible(cat, p)]
    return sorted(rows, key=lambda r: (r["zOrder"], r["code"]))


def list_prices(brand_id: str, query: dict[str, Any] | None = None,
                public: bool = False) -> list[dict]:
    """A plain array (JFW), filtered and sorted; ``pageNumber``/``pageSize`` cut it when sent
    (http/paging.cut: the same bounds as every paged list)."""
    q = query or {}
    cat = load(brand_id)
    rows = []
    for p in cat.prices.values():
        if public and not price_visible(cat, p):
            continue
        if q.get("packageId") and p.package_id != q["packageId"]:
            continue
        if q.get("subscriptionTypeId") and p.subscription_type_id != q["subscriptionTypeId"]:
            continue
        if q.get("currency") and p.currency != q["currency"].upper():
            continue
        if q.get("pricingModel") and p.pricing_model != q["pricingModel"]:
            continue
        if "zOrder" in q and int(p.z_order) != q["zOrder"]:
            continue
        if not all(contains(getattr(p, attr), q.get(name)) for name, attr in
                   (("code", "code"), ("name", "name"), ("description", "description"),
                    ("checkoutLink", "checkout_link"), ("tags", "tags"))):
            continue
        row = price_dto(cat, p)
        if "amount" in q and row["amount"] != Decimal(str(q["amount"])):
            continue
        if keywords_match(row, q.get("keywords"), ("code", "name", "description", "tags")):
            rows.append(row)
    rows = sort_rows(rows, q, ("id", "createdDate", "zOrder", "name", "code", "amount"))
    return paging.cut(rows, q)


# -- writes --------------------------------------------------------------------------------------

def _resolve(cat: Catalogue, package_id: str, subtype_id: str | None, model: str,
             minor: int) -> str | None:
    """Check the references and the pricing rules against the snapshot; returns the
    subscription type (a Subscription price sent without one gets the brand's default)."""
    pkg = cat.packages.get(package_id)
    if pkg is None:
        raise BadRequest(f"Package '{package_id}' does not exist in this brand.",
                         code="PACKAGE_NOT_FOUND", field="packageId")
    if model == "Subscription":
        if not subtype_id:
            subtype_id = cat.head.default_subscription_type_id if cat.head else None
        if not subtype_id:
            raise BadRequest("A Subscription price needs a subscriptionTypeId (how long access "
                             "lasts); use pricingModel OneTime for access with no end.",
                             field="subscriptionTypeId")
        if subtype_id not in cat.subtypes:
            raise BadRequest(f"Subscription type '{subtype_id}' does not exist in this brand.",
                             code="SUBSCRIPTION_TYPE_NOT_FOUND", field="subscriptionTypeId")
    if pkg.is_free and minor > 0:
        raise BadRequest(f"Package '{pkg.code}' is free: its prices must be 0.",
                         code="FREE_PACKAGE_PRICE", field="amount")
    return subtype_id


def _model_and_subtype(data: dict[str, Any], current: PriceItem | None) -> tuple[str, str | None]:
    model = data.get("pricingModel") or (current.pricing_model if current else "Subscription")
    if model in C.FUTURE_PRICING_MODELS:
        raise BadRequest(f"pricingModel {model} is not available yet.", field="pricingModel")
    if model not in C.PRICING_MODELS:
        raise BadRequest(f"pricingModel must be one of {', '.join(C.PRICING_MODELS)}.",
                         field="pricingModel")
    if "subscriptionTypeId" in data:
        subtype_id = data["subscriptionTypeId"]
    else:
        subtype_id = current.subscription_type_id if current else None
    if model == "OneTime":
        if "subscriptionTypeId" in data and data["subscriptionTypeId"]:
            raise BadRequest("A OneTime price gives access with no end; leave "
                             "subscriptionTypeId empty.", field="subscriptionTypeId")
        subtype_id = None
    return model, subtype_id


def _amount(data: dict[str, Any], current: PriceItem | None) -> tuple[int, str]:
    currency = (data.get("currency") or (current.currency if current else "")).upper()
    if "amount" in data and data["amount"] is not None:
        amount = data["amount"]
    elif current is not None:
        amount = money.to_decimal(int(current.amount_minor), current.currency)
    else:
        raise BadRequest("amount is required.", field="amount")
    return money.to_minor(amount, currency), currency


def _count_changes(w: Writes, cat: Catalogue, old: PriceItem | None, new: PriceItem) -> None:
    """Move the price's counts from its old package/type to its new ones (same transaction)."""
    pk = cat_pk(cat.brand_id)
    count: Counter[str] = Counter()
    paid: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for item, sign in ((old, -1), (new, 1)):
        if item is None:
            continue
        count[item.package_id] += sign
        paid[item.package_id] += sign * (item.amount_minor > 0)
        if item.subscription_type_id:
            types[item.subscription_type_id] += sign
    for package_id in dict.fromkeys([*count, *paid]):
        if not count[package_id] and not paid[package_id]:
            continue
        condition = PackageItem.is_deleted == False  # noqa: E712
        if package_id == new.package_id and new.amount_minor > 0:
            condition &= PackageItem.is_free == False  # noqa: E712
        w.update(PackageItem(pk, package_sk(package_id)),
                 actions=[PackageItem.price_count.add(count[package_id]),
                          PackageItem.paid_price_count.add(paid[package_id])],
                 condition=condition)
    for subtype_id, n in types.items():
        if n:
            w.update(SubscriptionTypeItem(pk, subtype_sk(subtype_id)),
                     actions=[SubscriptionTypeItem.price_count.add(n)],
                     condition=SubscriptionTypeItem.is_deleted == False)  # noqa: E712


def create_price(brand_id: str, data: dict[str, Any]) -> dict:
    model, subtype_id = _model_and_subtype(data, None)
    minor, currency = _amount(data, None)
    price_id = ids.new_id()

    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        st_id = _resolve(cat, data["packageId"], subtype_id, model, minor)
        if any(p.code.lower() == data["code"].lower() for p in cat.prices.values()):
            raise code_taken(data["code"])
        now = settings.now()
        item = PriceItem(cat_pk(brand_id), price_sk(price_id), id=price_id,
                         package_id=data["packageId"], subscription_type_id=st_id,
                         pricing_model=model, amount_minor=minor, currency=currency,
                         created_date=now, modified_date=now,
                         **{attr: data[name] for name, attr in _TEXT.items()
                            if data.get(name) is not None})
        w = Writes()
        w.save(item, condition=PriceItem.pk.does_not_exist())
        w.claim(brand_id, "PRICE", data["code"], price_id, code_taken(data["code"]))
        _count_changes(w, cat, None, item)
        w.commit()
        cat.prices[price_id] = item
        return price_dto(cat, item)

    return retrying(attempt)


def update_price(brand_id: str, price_id: str, data: dict[str, Any]) -> dict:
    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        old = _get(cat, price_id)
        model, subtype_id = _model_and_subtype(data, old)
        minor, currency = _amount(data, old)
        package_id = data.get("packageId") or old.package_id
        subtype_id = _resolve(cat, package_id, subtype_id, model, minor)
        new_code = data.get("code") or old.code
        code_changes = new_code.lower() != old.code.lower()
        if code_changes and any(p.code.lower() == new_code.lower() for p in cat.prices.values()):
            raise code_taken(new_code)
        fields = {attr: getattr(old, attr) for attr in _TEXT.values()}
        for name, attr in _TEXT.items():
            if name in data and (data[name] is not None or name in _NULLABLE):
                fields[attr] = data[name]
        item = PriceItem(cat_pk(brand_id), price_sk(price_id), id=price_id,
                         package_id=package_id, subscription_type_id=subtype_id,
                         pricing_model=model, amount_minor=minor, currency=currency,
                         created_date=old.created_date, modified_date=settings.now(), **fields)
        w = Writes()
        w.save(item, condition=PriceItem.is_deleted == False)  # noqa: E712
        if code_changes:
            w.claim(brand_id, "PRICE", new_code, price_id, code_taken(new_code))
            w.release(brand_id, "PRICE", old.code)
        _count_changes(w, cat, old, item)
        w.commit()
        cat.prices[price_id] = item
        return price_dto(cat, item)

    return retrying(attempt)


def delete_price(brand_id: str, price_id: str) -> bool:
    """Soft-delete (payments will refer to prices); frees the code and the package/type."""

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        old = _get(cat, price_id)
        pk = cat_pk(brand_id)
        w = Writes()
        w.update(PriceItem(pk, price_sk(price_id)),
                 actions=[PriceItem.is_deleted.set(True),
                          PriceItem.modified_date.set(settings.now())],
                 condition=PriceItem.is_deleted == False)  # noqa: E712
        w.release(brand_id, "PRICE", old.code)
        w.update(PackageItem(pk, package_sk(old.package_id)),
                 actions=[PackageItem.price_count.add(-1),
                          PackageItem.paid_price_count.add(-int(old.amount_minor > 0))],
                 condition=PackageItem.pk.exists())
        if old.subscription_type_id:
            w.update(SubscriptionTypeItem(pk, subtype_sk(old.subscription_type_id)),
                     actions=[SubscriptionTypeItem.price_count.add(-1)],
                     condition=SubscriptionTypeItem.pk.exists())
        w.commit()
        return True

    return retrying(attempt)
