"""Packages: what a brand sells. Exactly one active package per brand is the default, the one users
without a package fall back to; the catalogue head's ``version`` guards every change of it.

Deleting a package is refused while something refers to it (``REFERRERS``: prices now, licenses
later), otherwise it is a soft delete that frees its code and drops its feature links.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import settings
from chalicelib.catalog.catalogue import (
    Catalogue,
    Writes,
    contains,
    keywords_match,
    load,
    package_dto,
    retrying,
    sort_rows,
    switch_default,
)
from chalicelib.catalog.models import (
    FeatureItem,
    PackageFeatureItem,
    PackageItem,
    cat_pk,
    feature_sk,
    package_sk,
)
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.store import ids

FIELDS = {  # JFW name -> item attribute
    "code": "code", "name": "name", "imageURL": "image_url",
    "patternAvatarURL": "pattern_avatar_url", "styles": "styles", "description": "description",
    "tags": "tags", "isFree": "is_free", "tier": "tier", "zOrder": "z_order", "status": "status",
}

# Who may refer to a package: each returns human-readable names of referrers (empty: none).
# Licenses (a later issue) add themselves here with register_referrer.
Referrer = Callable[[Catalogue, str], list[str]]


def _prices_referring(cat: Catalogue, package_id: str) -> list[str]:
    return [f"price '{p.code}'" for p in cat.package_prices(package_id)]


REFERRERS: list[Referrer] = [_prices_referring]


def register_referrer(check: Referrer) -> None:
    REFERRERS.append(check)


def _get(cat: Catalogue, package_id: str) -> PackageItem:
    pkg = cat.packages.get(package_id)
    if pkg is None:
        raise NotFound(f"Package '{package_id}' not found.", code="PACKAGE_NOT_FOUND")
    return pkg


def code_taken(code: str) -> Conflict:
    return Conflict(f"A package with the code '{code}' already exists in this brand.",
                    code="PACKAGE_CODE_TAKEN", field="code")


# -- reads ---------------------------------------------------------------------------------------

def get_package(brand_id: str, package_id: str, public: bool = False) -> dict:
    return package_of(load(brand_id), package_id, public)


def package_of(cat: Catalogue, package_id: str, public: bool = False) -> dict:
    """``get_package`` on a catalogue the caller has read already."""
    pkg = _get(cat, package_id)
    if public and pkg.status != "Active":
        raise NotFound(f"Package '{package_id}' not found.", code="PACKAGE_NOT_FOUND")
    return package_dto(cat, pkg, public)


def default_package(brand_id: str) -> dict | None:
    cat = load(brand_id)
    pkg_id = cat.head.default_package_id if cat.head else None
    if pkg_id and pkg_id in cat.packages:
        return package_dto(cat, cat.packages[pkg_id])
    return None


def list_packages(brand_id: str, query: dict[str, Any] | None = None,
                  public: bool = False) -> list[dict]:
    q = query or {}
    cat = load(brand_id)
    rows = []
    for pkg in cat.packages.values():
        if public and pkg.status != "Active":
            continue
        if q.get("status") and pkg.status != q["status"]:
            continue
        if "isDefault" in q and pkg.is_default != q["isDefault"]:
            continue
        if "isFree" in q and pkg.is_free != q["isFree"]:
            continue
        if not all(contains(getattr(pkg, attr), q.get(name)) for name, attr in
                   (("name", "name"), ("code", "code"), ("description", "description"),
                    ("tags", "tags"))):
            continue
        row = package_dto(cat, pkg, public)
        if keywords_match(row, q.get("keywords"), ("code", "name", "description", "tags")):
            rows.append(row)
    return sort_rows(rows, q, ("id", "createdDate", "zOrder", "name", "code", "tier"))


# -- writes --------------------------------------------------------------------------------------

def _switch_default(w: Writes, cat: Catalogue, new_id: str) -> None:
    switch_default(w, cat, new_id, "default_package_id", PackageItem, package_sk, cat.packages)


def create_package(brand_id: str, data: dict[str, Any]) -> dict:
    status = data.get("status") or "Active"
    if data.get("isDefault") and status != "Active":
        raise BadRequest("The default package must be Active.", field="isDefault")
    package_id = ids.new_id()

    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        pk = cat_pk(brand_id)
        if any(p.code.lower() == data["code"].lower() for p in cat.packages.values()):
            raise code_taken(data["code"])
        has_default = bool(cat.head and cat.head.default_package_id in cat.packages)
        # The first active package becomes the default: a brand always has one to fall back to.
        make_default = bool(data.get("isDefault")) or (not has_default and status == "Active")
        now = settings.now()
        pkg = PackageItem(pk, package_sk(package_id), id=package_id, is_default=make_default,
                          created_date=now, modified_date=now,
                          **{attr: data[name] for name, attr in FIELDS.items()
                             if data.get(name) is not None})
        w = Writes()
        w.save(pkg, condition=PackageItem.pk.does_not_exist())
        w.claim(brand_id, "PKG", data["code"], package_id, code_taken(data["code"]))
        if make_default:
            _switch_default(w, cat, package_id)
        w.commit()
        cat.packages[package_id] = pkg
        return package_dto(cat, pkg)

    return retrying(attempt)


def update_package(brand_id: str, package_id: str, data: dict[str, Any]) -> dict:
    """Update the fields sent (JFW's PUT sends the whole body; fields left out keep their value).

    ``isDefault: true`` makes this the default (the old one is unset in the same transaction);
    ``isDefault: false`` on the default, or deactivating it, is refused: make another default
    first. ``isFree: true`` is refused while the package has prices above 0.
    """

    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        pkg = _get(cat, package_id)
        old_code = pkg.code
        pk = cat_pk(brand_id)
        status = data.get("status") or pkg.status
        is_default_now = pkg.is_default
        wants_default = data.get("isDefault")
        if wants_default is False and is_default_now:
            raise Conflict(f"Package '{pkg.code}' is the brand's default; make another package "
                           "the default first.", code="PACKAGE_IS_DEFAULT", field="isDefault")
        if status != "Active" and (is_default_now or wants_default):
            raise Conflict(f"Package '{pkg.code}' is (or would be) the brand's default and must "
                           "stay Active; make another package the default first.",
                           code="PACKAGE_IS_DEFAULT", field="status")
        new_code = data.get("code")
        code_changes = bool(new_code) and new_code.lower() != pkg.code.lower()
        if code_changes and any(p.code.lower() == new_code.lower()
                                for p in cat.packages.values()):
            raise code_taken(new_code)
        if data.get("isFree") and not pkg.is_free:
            paid = [p.code for p in cat.package_prices(package_id) if p.amount_minor > 0]
            if paid:
                raise Conflict(f"A free package can't have prices above 0; delete or change "
                               f"these first: {', '.join(paid)}.", code="FREE_PACKAGE_HAS_PRICES",
                               field="isFree")
        now = settings.now()
        actions = [PackageItem.modified_date.set(now)]
        for name, attr in FIELDS.items():
            if name in data and data[name] is not None:
                actions.append(getattr(PackageItem, attr).set(data[name]))
                setattr(pkg, attr, data[name])
            elif name in data and name not in ("code", "name", "status", "isFree", "tier",
                                               "zOrder"):
                actions.append(getattr(PackageItem, attr).remove())
                setattr(pkg, attr, None)
        condition = (PackageItem.is_deleted == False)  # noqa: E712
        if status != "Active":
            condition &= PackageItem.is_default == False  # noqa: E712
        if data.get("isFree"):
            condition &= PackageItem.paid_price_count == 0
        make_default = bool(wants_default) and not is_default_now
        if make_default:
            actions.append(PackageItem.is_default.set(True))
            pkg.is_default = True
            if "status" not in data:  # a concurrent deactivation must not make it default
                condition &= PackageItem.status == "Active"
        w = Writes()
        w.update(PackageItem(pk, package_sk(package_id)), actions=actions, condition=condition)
        if code_changes:
            w.claim(brand_id, "PKG", new_code, package_id, code_taken(new_code))
            w.release(brand_id, "PKG", old_code)
        if make_default:
            _switch_default(w, cat, package_id)
        w.commit()
        pkg.modified_date = now
        return package_dto(cat, pkg)

    return retrying(attempt)


def delete_package(brand_id: str, package_id: str) -> bool:
    """Soft-delete: refused while it is the default or anything refers to it."""

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        pkg = _get(cat, package_id)
        if pkg.is_default:
            raise Conflict(f"Package '{pkg.code}' is the brand's default; make another package "
                           "the default first.", code="PACKAGE_IS_DEFAULT")
        refs = [r for check in REFERRERS for r in check(cat, package_id)]
        if refs:
            raise Conflict(f"Package '{pkg.code}' can't be deleted: {', '.join(refs)} refer to "
                           "it. Delete those first.", code="PACKAGE_IN_USE")
        pk = cat_pk(brand_id)
        w = Writes()
        w.update(PackageItem(pk, package_sk(package_id)),
                 actions=[PackageItem.is_deleted.set(True),
                          PackageItem.modified_date.set(settings.now())],
                 condition=(PackageItem.is_deleted == False)  # noqa: E712
                 & (PackageItem.is_default == False)  # noqa: E712
                 & (PackageItem.price_count == 0))
        w.release(brand_id, "PKG", pkg.code)
        for link in cat.package_links(package_id):
            w.delete(PackageFeatureItem(pk, link.sk), condition=PackageFeatureItem.pk.exists())
            if link.feature_id in cat.features:
                w.update(FeatureItem(pk, feature_sk(link.feature_id)),
                         actions=[FeatureItem.package_count.add(-1)],
                         condition=FeatureItem.pk.exists())
        w.commit()
        return True

    return retrying(attempt)
