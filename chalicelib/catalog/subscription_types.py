"""Subscription types: how long a subscription price gives access (``unit`` x ``quantity``).

Every brand starts with JFW's predefined durations (1, 3, 7, 14, 30, 90 (the default), 180 and
365 days), seeded by ``catalogue.load`` the first time the brand's catalogue is read or written.
Exactly one type is the default (the catalogue head's ``defaultSubscriptionTypeId``). Names are
unique per brand. Deleting is refused while prices use the type; otherwise a soft delete.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime, timedelta
from typing import Any

from chalicelib import settings
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
    subtype_dto,
    switch_default,
)
from chalicelib.catalog.models import (
    SubscriptionTypeItem,
    cat_pk,
    subtype_sk,
)
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.store import ids

FIELDS = {
    "name": "name", "unit": "unit", "quantity": "quantity", "tags": "tags",
    "description": "description", "zOrder": "z_order", "status": "status",
}
_REQUIRED = ("name", "unit", "quantity", "zOrder", "status")


# -- durations -----------------------------------------------------------------------------------

def add_months(start: datetime, months: int) -> datetime:
    """Calendar months from ``start``; a day the target month lacks becomes its last day
    (Jan 31 + 1 month = Feb 28, or 29 in a leap year; Mar 31 + 1 month = Apr 30)."""
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    return start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))


def subscription_end(start: datetime, subtype: dict | None) -> datetime | None:
    """When access bought at ``start`` ends; None = no end (a one-time price has no type).

    Hour, Day and Week add exact durations; Month and Year count calendar months from ``start``
    (see ``add_months`` for the month-end rule; Feb 29 + 1 year = Feb 28).
    """
    if subtype is None:
        return None
    unit = subtype["unit"]
    quantity = int(subtype.get("quantity") or 1)
    if unit == "Hour":
        return start + timedelta(hours=quantity)
    if unit == "Day":
        return start + timedelta(days=quantity)
    if unit == "Week":
        return start + timedelta(weeks=quantity)
    if unit == "Month":
        return add_months(start, quantity)
    if unit == "Year":
        return add_months(start, 12 * quantity)
    raise ValueError(f"unknown subscription type unit {unit!r}")


def subscription_duration(start: datetime, subtype: dict | None) -> timedelta | None:
    """The length of access bought at ``start`` (Month/Year lengths depend on ``start``)."""
    end = subscription_end(start, subtype)
    return None if end is None else end - start


# -- reads ---------------------------------------------------------------------------------------

def _get(cat: Catalogue, subtype_id: str) -> SubscriptionTypeItem:
    s = cat.subtypes.get(subtype_id)
    if s is None:
        raise NotFound(f"Subscription type '{subtype_id}' not found.",
                       code="SUBSCRIPTION_TYPE_NOT_FOUND")
    return s


def name_taken(name: str) -> Conflict:
    return Conflict(f"A subscription type named '{name}' already exists in this brand.",
                    code="SUBSCRIPTION_TYPE_NAME_TAKEN", field="name")


def get_subscription_type(brand_id: str, subtype_id: str, public: bool = False) -> dict:
    cat = load(brand_id)
    s = _get(cat, subtype_id)
    if public and s.status != "Active":
        raise NotFound(f"Subscription type '{subtype_id}' not found.",
                       code="SUBSCRIPTION_TYPE_NOT_FOUND")
    return subtype_dto(s)


def list_subscription_types(brand_id: str, query: dict[str, Any] | None = None,
                            public: bool = False) -> list[dict]:
    q = query or {}
    cat = load(brand_id)
    rows = []
    for s in cat.subtypes.values():
        if public and s.status != "Active":
            continue
        if q.get("status") and s.status != q["status"]:
            continue
        if q.get("unit") and s.unit != q["unit"]:
            continue
        if not all(contains(getattr(s, attr), q.get(name)) for name, attr in
                   (("name", "name"), ("tags", "tags"), ("description", "description"))):
            continue
        row = subtype_dto(s)
        if keywords_match(row, q.get("keywords"), ("name", "description", "tags")):
            rows.append(row)
    return sort_rows(rows, q, ("id", "createdDate", "zOrder", "name", "quantity"))


def subscription_type_prices(brand_id: str, subtype_id: str, public: bool = False) -> list[dict]:
    cat = load(brand_id)
    s = _get(cat, subtype_id)
    if public and s.status != "Active":
        raise NotFound(f"Subscription type '{subtype_id}' not found.",
                       code="SUBSCRIPTION_TYPE_NOT_FOUND")
    rows = [price_dto(cat, p) for p in cat.subtype_prices(subtype_id)
            if not public or price_visible(cat, p)]
    return sorted(rows, key=lambda r: (r["zOrder"], r["code"]))


# -- writes --------------------------------------------------------------------------------------

def _switch_default(w: Writes, cat: Catalogue, new_id: str) -> None:
    switch_default(w, cat, new_id, "default_subscription_type_id", SubscriptionTypeItem,
                   subtype_sk, cat.subtypes)


def create_subscription_type(brand_id: str, data: dict[str, Any]) -> dict:
    status = data.get("status") or "Active"
    if data.get("isDefault") and status != "Active":
        raise BadRequest("The default subscription type must be Active.", field="isDefault")
    subtype_id = ids.new_id()

    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        if any(s.name.lower() == data["name"].lower() for s in cat.subtypes.values()):
            raise name_taken(data["name"])
        now = settings.now()
        item = SubscriptionTypeItem(
            cat_pk(brand_id), subtype_sk(subtype_id), id=subtype_id,
            is_default=bool(data.get("isDefault")), created_date=now, modified_date=now,
            **{attr: data[name] for name, attr in FIELDS.items() if data.get(name) is not None})
        w = Writes()
        w.save(item, condition=SubscriptionTypeItem.pk.does_not_exist())
        w.claim(brand_id, "SUBTYPE", data["name"], subtype_id, name_taken(data["name"]))
        if item.is_default:
            _switch_default(w, cat, subtype_id)
        w.commit()
        return subtype_dto(item)

    return retrying(attempt)


def update_subscription_type(brand_id: str, subtype_id: str, data: dict[str, Any]) -> dict:
    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        s = _get(cat, subtype_id)
        old_name = s.name
        status = data.get("status") or s.status
        wants_default = data.get("isDefault")
        if wants_default is False and s.is_default:
            raise Conflict(f"'{s.name}' is the brand's default subscription type; make another "
                           "one the default first.", code="SUBSCRIPTION_TYPE_IS_DEFAULT",
                           field="isDefault")
        if status != "Active" and (s.is_default or wants_default):
            raise Conflict(f"'{s.name}' is (or would be) the default subscription type and must "
                           "stay Active.", code="SUBSCRIPTION_TYPE_IS_DEFAULT", field="status")
        new_name = data.get("name")
        renames = bool(new_name) and new_name.lower() != old_name.lower()
        if renames and any(x.name.lower() == new_name.lower() for x in cat.subtypes.values()):
            raise name_taken(new_name)
        now = settings.now()
        actions = [SubscriptionTypeItem.modified_date.set(now)]
        for name, attr in FIELDS.items():
            if name not in data:
                continue
            if data[name] is not None:
                actions.append(getattr(SubscriptionTypeItem, attr).set(data[name]))
                setattr(s, attr, data[name])
            elif name not in _REQUIRED:
                actions.append(getattr(SubscriptionTypeItem, attr).remove())
                setattr(s, attr, None)
        condition = SubscriptionTypeItem.is_deleted == False  # noqa: E712
        if status != "Active":
            condition &= SubscriptionTypeItem.is_default == False  # noqa: E712
        make_default = bool(wants_default) and not s.is_default
        if make_default:
            actions.append(SubscriptionTypeItem.is_default.set(True))
            s.is_default = True
            if "status" not in data:
                condition &= SubscriptionTypeItem.status == "Active"
        w = Writes()
        w.update(SubscriptionTypeItem(cat_pk(brand_id), subtype_sk(subtype_id)),
                 actions=actions, condition=condition)
        if renames:
            w.claim(brand_id, "SUBTYPE", new_name, subtype_id, name_taken(new_name))
            w.release(brand_id, "SUBTYPE", old_name)
        if make_default:
            _switch_default(w, cat, subtype_id)
        w.commit()
        s.modified_date = now
        return subtype_dto(s)

    return retrying(attempt)


def delete_subscription_type(brand_id: str, subtype_id: str) -> bool:
    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        s = _get(cat, subtype_id)
        if s.is_default:
            raise Conflict(f"'{s.name}' is the brand's default subscription type; make another "
                           "one the default first.", code="SUBSCRIPTION_TYPE_IS_DEFAULT")
        refs = [f"price '{p.code}'" for p in cat.subtype_prices(subtype_id)]
        if refs:
            raise Conflict(f"Subscription type '{s.name}' can't be deleted: {', '.join(refs)} "
                           "refer to it. Delete those first.", code="SUBSCRIPTION_TYPE_IN_USE")
        w = Writes()
        w.update(SubscriptionTypeItem(cat_pk(brand_id), subtype_sk(subtype_id)),
                 actions=[SubscriptionTypeItem.is_deleted.set(True),
                          SubscriptionTypeItem.modified_date.set(settings.now())],
                 condition=(SubscriptionTypeItem.is_deleted == False)  # noqa: E712
                 & (SubscriptionTypeItem.is_default == False)  # noqa: E712
                 & (SubscriptionTypeItem.price_count == 0))
        w.release(brand_id, "SUBTYPE", s.name)
        w.commit()
        return True

    return retrying(attempt)
