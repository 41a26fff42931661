"""Features and their links to packages (IFeatureOfPackage).

A link says how a package grants a feature: ``Function`` (on/off: value 1 or 0) or ``Limitation``
(a count ``value`` >= 0, or ``isUnlimited`` with no value) reset by ``resetPolicy``
(``Custom`` every ``customIntervalDays``). A feature counts the packages it is linked to
(``packageCount``), so deleting a linked feature is refused atomically.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib import settings
from chalicelib.catalog.catalogue import (
    Catalogue,
    Writes,
    contains,
    feature_dto,
    iter_ids,
    load,
    package_dto,
    retrying,
)
from chalicelib.catalog.models import (
    FeatureItem,
    PackageFeatureItem,
    PackageItem,
    cat_pk,
    feature_sk,
    link_sk,
    package_sk,
)
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.http.paging import page
from chalicelib.store import ids

FIELDS = {
    "code": "code", "name": "name", "unit": "unit", "defaultValue": "default_value",
    "helpURL": "help_url", "image": "image", "styles": "styles", "description": "description",
    "tags": "tags", "notes": "notes", "eventId": "event_id", "zOrder": "z_order",
    "status": "status",
}
_REQUIRED = ("code", "name", "status", "zOrder", "defaultValue")

MAX_LINKS_PER_CALL = 40


def code_taken(code: str) -> Conflict:
    return Conflict(f"A feature with the code '{code}' already exists in this brand.",
                    code="FEATURE_CODE_TAKEN", field="code")


def _get(cat: Catalogue, feature_id: str) -> FeatureItem:
    f = cat.features.get(feature_id)
    if f is None:
        raise NotFound(f"Feature '{feature_id}' not found.", code="FEATURE_NOT_FOUND")
    return f


def _package(cat: Catalogue, package_id: str) -> PackageItem:
    p = cat.packages.get(package_id)
    if p is None:
        raise NotFound(f"Package '{package_id}' not found.", code="PACKAGE_NOT_FOUND")
    return p


# -- the link rule -------------------------------------------------------------------------------

def normalise_link(spec: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Check a link body and return the values to store. ``where`` prefixes field names
    (``"2."`` for the third entry of an array body)."""
    kind = spec.get("type")
    value = spec.get("value")
    unlimited = bool(spec.get("isUnlimited"))
    policy = spec.get("resetPolicy")
    interval = spec.get("customIntervalDays")
    if kind == "Function":
        if unlimited:
            raise BadRequest("isUnlimited applies to Limitation features; a Function feature is "
                             "on (value 1) or off (value 0).", field=f"{where}isUnlimited")
        value = 1 if value is None else value
        if value not in (0, 1):
            raise BadRequest("A Function feature's value is 1 (on) or 0 (off).",
                             field=f"{where}value")
        if policy not in (None, "Lifetime") or interval is not None:
            raise BadRequest("resetPolicy and customIntervalDays apply to Limitation features "
                             "only.", field=f"{where}resetPolicy")
        policy = None
    elif kind == "Limitation":
        if unlimited:
            if value not in (None, -1):
                raise BadRequest("Leave value empty when isUnlimited is true.",
                                 field=f"{where}value")
            value = None
        elif value is None or value < 0:
            raise BadRequest("A Limitation feature needs a value of 0 or more, or "
                             "isUnlimited: true.", field=f"{where}value")
        policy = policy or "Lifetime"
        if policy == "Custom":
            if interval is None or interval < 1:
                raise BadRequest("resetPolicy Custom needs customIntervalDays of 1 or more.",
                                 field=f"{where}customIntervalDays")
        elif interval is not None:
            raise BadRequest("customIntervalDays applies only to resetPolicy Custom.",
                             field=f"{where}customIntervalDays")
    else:
        raise BadRequest("type must be Function or Limitation.", field=f"{where}type")
    return {"type": kind, "title": spec.get("title"), "value": value, "is_unlimited": unlimited,
            "reset_policy": policy,
            "custom_interval_days": interval if policy == "Custom" else None}


def _write_links(cat: Catalogue, links: list[tuple[str, str, dict]]) -> None:
    """Create or replace links (package id, feature id, normalised spec) in one transaction."""
    pk = cat_pk(cat.brand_id)
    now = settings.now()
    w = Writes()
    added: Counter[str] = Counter()
    for package_id, feature_id, spec in links:
        old = cat.links.get(package_id, {}).get(feature_id)
        item = PackageFeatureItem(pk, link_sk(package_id, feature_id), package_id=package_id,
                                  feature_id=feature_id,
                                  created_date=old.created_date if old else now,
                                  modified_date=now, **spec)
        if old:
            w.save(item, condition=PackageFeatureItem.pk.exists())
        else:
            w.save(item, condition=PackageFeatureItem.pk.does_not_exist())
            added[feature_id] += 1
    alive = FeatureItem.is_deleted == False  # noqa: E712
    for feature_id in dict.fromkeys(f for _, f, _ in links):
        if added[feature_id]:
            w.update(FeatureItem(pk, feature_sk(feature_id)),
                     actions=[FeatureItem.package_count.add(added[feature_id])], condition=alive)
        else:
            w.check(FeatureItem, pk, feature_sk(feature_id), alive)
    for package_id in dict.fromkeys(p for p, _, _ in links):
        w.check(PackageItem, pk, package_sk(package_id),
                PackageItem.is_deleted == False)  # noqa: E712
    w.commit()


def _remove_links(cat: Catalogue, pairs: list[tuple[str, str]]) -> None:
    pk = cat_pk(cat.brand_id)
    w = Writes()
    removed: Counter[str] = Counter()
    for package_id, feature_id in pairs:
        if feature_id in cat.links.get(package_id, {}):
            w.delete(PackageFeatureItem(pk, link_sk(package_id, feature_id)),
                     condition=PackageFeatureItem.pk.exists())
            removed[feature_id] += 1
    for feature_id, n in removed.items():
        w.update(FeatureItem(pk, feature_sk(feature_id)),
                 actions=[FeatureItem.package_count.add(-n)], condition=FeatureItem.pk.exists())
    w.commit()


def _check_batch(entries: list, key: str) -> None:
    if not entries:
        raise BadRequest("Send at least one entry.", field="body")
    if len(entries) > MAX_LINKS_PER_CALL:
        raise BadRequest(f"Send at most {MAX_LINKS_PER_CALL} entries per call.", field="body")
    seen = [e[key] for e in entries]
    dup = next((x for x in seen if seen.count(x) > 1), None)
    if dup:
        raise BadRequest(f"{key} '{dup}' appears twice.", field=key)


# -- package side --------------------------------------------------------------------------------

def package_features(brand_id: str, package_id: str, public: bool = False) -> list[dict]:
    cat = load(brand_id)
    pkg = _package(cat, package_id)
    if public and pkg.status != "Active":
        raise NotFound(f"Package '{package_id}' not found.", code="PACKAGE_NOT_FOUND")
    return package_dto(cat, pkg, public)["features"]


def add_package_features(brand_id: str, package_id: str, entries: list[dict[str, Any]]) -> bool:
    _check_batch(entries, "featureId")
    specs = [normalise_link(e, f"{i}.") for i, e in enumerate(entries)]

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        _package(cat, package_id)
        for i, e in enumerate(entries):
            if e["featureId"] not in cat.features:
                raise BadRequest(f"Feature '{e['featureId']}' does not exist in this brand.",
                                 code="FEATURE_NOT_FOUND", field=f"{i}.featureId")
        _write_links(cat, [(package_id, e["featureId"], s) for e, s in zip(entries, specs,
                                                                             strict=True)])
        return True

    return retrying(attempt)


def update_package_feature(brand_id: str, package_id: str, feature_id: str,
                           spec: dict[str, Any]) -> bool:
    norm = normalise_link(spec)

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        _package(cat, package_id)
        if feature_id not in cat.links.get(package_id, {}):
            raise NotFound(f"Feature '{feature_id}' is not linked to package '{package_id}'.",
                           code="PACKAGE_FEATURE_NOT_FOUND")
        _write_links(cat, [(package_id, feature_id, norm)])
        return True

    return retrying(attempt)


def remove_package_features(brand_id: str, package_id: str, feature_ids: list[str]) -> bool:
    wanted = list(iter_ids(feature_ids))
    if not wanted:
        raise BadRequest("Give the features to remove: ?featureIds[0]=...", field="featureIds")

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        _package(cat, package_id)
        _remove_links(cat, [(package_id, f) for f in wanted])
        return True

    return retrying(attempt)


# -- feature side --------------------------------------------------------------------------------

def feature_packages(brand_id: str, feature_id: str, public: bool = False) -> list[dict]:
    cat = load(brand_id)
    f = _get(cat, feature_id)
    if public and f.status != "Active":
        raise NotFound(f"Feature '{feature_id}' not found.", code="FEATURE_NOT_FOUND")
    rows = [package_dto(cat, cat.packages[link.package_id], public)
            for link in cat.feature_links(feature_id) if link.package_id in cat.packages
            and (not public or cat.packages[link.package_id].status == "Active")]
    return sorted(rows, key=lambda r: (r["zOrder"], r["code"]))


def add_feature_packages(brand_id: str, feature_id: str, entries: list[dict[str, Any]]) -> bool:
    _check_batch(entries, "packageId")
    specs = [normalise_link(e, f"{i}.") for i, e in enumerate(entries)]

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        _get(cat, feature_id)
        for i, e in enumerate(entries):
            if e["packageId"] not in cat.packages:
                raise BadRequest(f"Package '{e['packageId']}' does not exist in this brand.",
                                 code="PACKAGE_NOT_FOUND", field=f"{i}.packageId")
        _write_links(cat, [(e["packageId"], feature_id, s) for e, s in zip(entries, specs,
                                                                             strict=True)])
        return True

    return retrying(attempt)


def remove_feature_packages(brand_id: str, feature_id: str, package_ids: list[str]) -> bool:
    wanted = list(iter_ids(package_ids))
    if not wanted:
        raise BadRequest("Give the packages to remove: ?packageIds[0]=...", field="packageIds")

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        _get(cat, feature_id)
        _remove_links(cat, [(p, feature_id) for p in wanted])
        return True

    return retrying(attempt)


# -- features ------------------------------------------------------------------------------------

def get_feature(brand_id: str, feature_id: str, public: bool = False) -> dict:
    cat = load(brand_id)
    f = _get(cat, feature_id)
    if public and f.status != "Active":
        raise NotFound(f"Feature '{feature_id}' not found.", code="FEATURE_NOT_FOUND")
    return feature_dto(f)


def list_features(brand_id: str, query: dict[str, Any] | None = None,
                  public: bool = False) -> dict:
    q = query or {}
    cat = load(brand_id)
    linked = (set(cat.links.get(q["packageId"], {})) if q.get("packageId") else None)
    rows = []
    for f in cat.features.values():
        if public and f.status != "Active":
            continue
        if q.get("status") and f.status != q["status"]:
            continue
        if linked is not None and f.id not in linked:
            continue
        if q.get("eventId") and f.event_id != q["eventId"]:
            continue
        if all(contains(getattr(f, attr), q.get(name)) for name, attr in
               (("code", "code"), ("name", "name"), ("description", "description"),
                ("tags", "tags"), ("notes", "notes"))):
            rows.append(feature_dto(f))
    return page(rows, q, sortable=["zOrder", "name", "code"],
                keyword_fields=["code", "name", "description", "tags"])


def create_feature(brand_id: str, data: dict[str, Any]) -> dict:
    feature_id = ids.new_id()

    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        if any(f.code.lower() == data["code"].lower() for f in cat.features.values()):
            raise code_taken(data["code"])
        now = settings.now()
        item = FeatureItem(cat_pk(brand_id), feature_sk(feature_id), id=feature_id,
                           created_date=now, modified_date=now,
                           **{attr: data[name] for name, attr in FIELDS.items()
                              if data.get(name) is not None})
        w = Writes()
        w.save(item, condition=FeatureItem.pk.does_not_exist())
        w.claim(brand_id, "FEAT", data["code"], feature_id, code_taken(data["code"]))
        w.commit()
        return feature_dto(item)

    return retrying(attempt)


def update_feature(brand_id: str, feature_id: str, data: dict[str, Any]) -> dict:
    def attempt() -> dict:
        cat = load(brand_id, consistent=True)
        f = _get(cat, feature_id)
        old_code = f.code
        new_code = data.get("code")
        code_changes = bool(new_code) and new_code.lower() != old_code.lower()
        if code_changes and any(x.code.lower() == new_code.lower()
                                for x in cat.features.values()):
            raise code_taken(new_code)
        now = settings.now()
        actions = [FeatureItem.modified_date.set(now)]
        for name, attr in FIELDS.items():
            if name not in data:
                continue
            if data[name] is not None:
                actions.append(getattr(FeatureItem, attr).set(data[name]))
                setattr(f, attr, data[name])
            elif name not in _REQUIRED:
                actions.append(getattr(FeatureItem, attr).remove())
                setattr(f, attr, None)
        w = Writes()
        w.update(FeatureItem(cat_pk(brand_id), feature_sk(feature_id)), actions=actions,
                 condition=FeatureItem.is_deleted == False)  # noqa: E712
        if code_changes:
            w.claim(brand_id, "FEAT", new_code, feature_id, code_taken(new_code))
            w.release(brand_id, "FEAT", old_code)
        w.commit()
        f.modified_date = now
        return feature_dto(f)

    return retrying(attempt)


def delete_feature(brand_id: str, feature_id: str) -> bool:
    """Soft-delete (quota usage keeps its history); refused while packages grant it."""

    def attempt() -> bool:
        cat = load(brand_id, consistent=True)
        f = _get(cat, feature_id)
        users = [cat.packages[x.package_id].code for x in cat.feature_links(feature_id)
                 if x.package_id in cat.packages]
        if users:
            raise Conflict(f"Feature '{f.code}' can't be deleted: packages "
                           f"{', '.join(sorted(users))} grant it. Remove it from them first.",
                           code="FEATURE_IN_USE")
        w = Writes()
        w.update(FeatureItem(cat_pk(brand_id), feature_sk(feature_id)),
                 actions=[FeatureItem.is_deleted.set(True),
                          FeatureItem.modified_date.set(settings.now())],
                 condition=(FeatureItem.is_deleted == False)  # noqa: E712
                 & (FeatureItem.package_count == 0))
        w.release(brand_id, "FEAT", f.code)
        w.commit()
        return True

    return retrying(attempt)
