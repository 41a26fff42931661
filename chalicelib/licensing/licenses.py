"""Licenses: create (bulk), read, list, change, activate/deactivate, delete (soft), check.

A license's stored ``status`` is Active, Inactive, Used or Expired; what callers see
(``effective_status``) also says NotStarted before ``startDate`` and Expired after ``endDate``
(``startDate``..``endDate`` is the window in which the code can be applied). How long the
package lasts once applied comes from the subscription type (``duration``, copied onto the
license when it is made, so a later change of the type does not change licenses already sold).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.http.paging import page
from chalicelib.licensing import changes, codes
from chalicelib.licensing import models as m
from chalicelib.licensing.constants import MAX_BULK_QUANTITY
from chalicelib.notify import service as notify
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

L = m.LicenseItem
CHUNK = 49  # licenses per transaction (2 items each, and the license-event row: 99 of 100)
SORTABLE = ("id", "createdDate", "code", "type", "amount", "description", "tags", "status")
KEYWORD_FIELDS = ("code", "description", "tags")
DEFAULT_REACTIVATION_WINDOW = timedelta(days=30)


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- status and shape ----------------------------------------------------------------------------

def effective_status(item: m.LicenseItem, now: datetime | None = None) -> str:
    if item.status in (m.USED, m.INACTIVE, m.EXPIRED):
        return item.status
    now = now or settings.now()
    if item.start_date and item.start_date > now:
        return m.NOT_STARTED
    if item.end_date and item.end_date <= now:
        return m.EXPIRED
    return m.ACTIVE


def usable(item: m.LicenseItem, now: datetime | None = None) -> bool:
    return not item.is_deleted and effective_status(item, now) == m.ACTIVE


def to_dto(item: m.LicenseItem, now: datetime | None = None) -> dict[str, Any]:
    """ILicense, plus where it came from (source, sourceId, paymentId) and who holds it."""
    return {
        "id": item.id,
        "createdDate": item.created_date,
        "modifiedDate": item.modified_date,
        "packageId": item.package_id,
        "subscriptionTypeId": item.subscription_type_id,
        "code": item.code,
        "type": item.type,
        "amount": money.to_decimal(int(item.amount_minor), item.currency),
        "currencyCode": item.currency,
        "description": item.description,
        "startDate": item.start_date,
        "endDate": item.end_date,
        "tags": item.tags,
        "status": effective_status(item, now),
        "usedByUserId": item.used_by_user_id,
        "usedByUserCode": item.used_by_user_code,
        "usedDate": item.used_date,
        "testMode": item.test_mode,
        "source": item.source,
        "sourceId": item.source_id,
        "paymentId": item.payment_id,
        "refLicense": item.ref_license,
        "createdBy": item.created_by,
        "ownerUserId": item.assigned_user_id,
        "duration": item.duration,
    }


def due_actions(item: m.LicenseItem, status: str, end: datetime | None) -> list[Any]:
    """Keep the license in the ``due`` index while it waits to expire unused."""
    if status == m.ACTIVE and end is not None:
        return [L.due_pk.set(m.due_shard(item.id)),
                L.due_sk.set(m.license_due_sk(end, item.brand_id, item.id))]
    return [L.due_pk.remove(), L.due_sk.remove()]


# -- reads ---------------------------------------------------------------------------------------

def get_item(brand_id: str, license_id: str) -> m.LicenseItem:
    try:
        item = L.get(m.license_pk(brand_id, license_id), m.LICENSE_SK)
    except (DoesNotExist, ValueError):
        item = None
    if item is None or item.is_deleted:
        raise NotFound(f"License {license_id} was not found.", code="LICENSE_NOT_FOUND")
    return item


def state(item: m.LicenseItem, now: datetime | None = None) -> dict[str, Any]:
    """What a report counts of a license (``license-event`` subscribers read it), at
    ``version``: ``status`` is the effective one at ``now``."""
    return {"id": item.id, "version": int(item.version or 0), "createdDate": item.created_date,
            "packageId": item.package_id, "subscriptionTypeId": item.subscription_type_id,
            "type": item.type, "status": effective_status(item, now),
            "storedStatus": item.status, "amountMinor": int(item.amount_minor or 0),
            "currency": item.currency, "testMode": bool(item.test_mode),
            "isDeleted": bool(item.is_deleted), "startDate": item.start_date,
            "endDate": item.end_date}


def states(brand_id: str, license_ids: Iterable[str]) -> list[dict[str, Any]]:
    """``state`` of each license that exists (consistent reads, batched by 100)."""
    wanted = list(dict.fromkeys(license_ids))
    now = settings.now()
    out = []
    for first in range(0, len(wanted), 100):
        keys = [(m.license_pk(brand_id, i), m.LICENSE_SK) for i in wanted[first:first + 100]]
        out += [state(item, now) for item in L.batch_get(keys, consistent_read=True)]
    return out


def brand_states(brand_id: str) -> Iterator[dict[str, Any]]:
    """``state`` of every license of the brand (one Query of gsi1, paged as it is read): for a
    report's recomputation, never a request path."""
    now = settings.now()
    for item in L.gsi1.query(m.licenses_gsi(brand_id)):
        if isinstance(item, L):
            yield state(item, now)


def find_by_code(brand_id: str, code: str) -> m.LicenseItem | None:
    code = codes.normalise(code)
    if not code:
        return None
    try:
        ref = m.LicenseCodeItem.get(m.license_code_pk(brand_id, code), m.UNIQUE_SK)
        item = L.get(m.license_pk(brand_id, ref.license_id), m.LICENSE_SK)
    except (DoesNotExist, ValueError):
        return None
    return None if item.is_deleted else item


def get_by_code(brand_id: str, code: str) -> m.LicenseItem:
    item = find_by_code(brand_id, code)
    if item is None:
        raise NotFound("No license has this code in this brand; check the code.",
                       code="LICENSE_NOT_FOUND", field="licenseCode")
    return item


def get(brand_id: str, license_id: str) -> dict:
    return to_dto(get_item(brand_id, license_id))


def check(brand_id: str, code: str) -> bool:
    """Whether the code exists in this brand and can be applied now."""
    item = find_by_code(brand_id, code)
    return item is not None and usable(item)


def _all(brand_id: str) -> Iterable[m.LicenseItem]:
    for item in L.gsi1.query(m.licenses_gsi(brand_id)):
        if isinstance(item, L) and not item.is_deleted:
            yield item


def _matches(item: m.LicenseItem, row: dict, q: dict[str, Any]) -> bool:
    def contains(value: Any, needle: str | None) -> bool:
        return needle is None or needle.lower() in str(value or "").lower()

    for name in ("packageId", "subscriptionTypeId", "type", "refLicense", "status"):
        if q.get(name) is not None and row.get(name) != q[name]:
            return False
    if q.get("sourceId") is not None and q["sourceId"] not in (item.source_id, item.source):
        return False
    if q.get("usedBy") is not None and item.used_by_user_code != q["usedBy"]:
        return False
    if q.get("createdBy") is not None and item.created_by != q["createdBy"]:
        return False
    if "isUsed" in q and (item.used_by_user_id is not None) != q["isUsed"]:
        return False
    if "testMode" in q and item.test_mode != q["testMode"]:
        return False
    if q.get("startDate") and (item.start_date is None or item.start_date < q["startDate"]):
        return False
    if q.get("endDate") and (item.end_date is None or item.end_date > q["endDate"]):
        return False
    if q.get("usedDate") and (item.used_date is None
                              or item.used_date.date() != q["usedDate"].date()):
        return False
    return (contains(item.code, q.get("licenseCode")) and contains(item.description,
                                                                  q.get("description"))
            and contains(item.tags, q.get("tags")))


def _filtered(brand_id: str, q: dict[str, Any], only_user: str | None = None) -> list[dict]:
    """The brand's licenses that match ``q``; with ``only_user``, only those that user uses or
    bought (``usedByUserId`` or ``ownerUserId``)."""
    now = settings.now()
    rows = []
    for item in _all(brand_id):
        if only_user is not None and only_user not in (item.used_by_user_id,
                                                       item.assigned_user_id):
            continue
        row = to_dto(item, now)
        if _matches(item, row, q):
            row["amountMinor"] = int(item.amount_minor)
            rows.append(row)
    return rows


def list_licenses(brand_id: str, query: dict[str, Any], only_user: str | None = None
                  ) -> dict[str, Any]:
    """One Query of the brand's licenses (gsi1), JFW's filters, then a page (``only_user``:
    see ``_filtered``)."""
    q = dict(query)
    if q.get("sortDataField") == "amount":
        q["sortDataField"] = "amountMinor"
    result = page(_filtered(brand_id, q, only_user), q, sortable=(*SORTABLE, "amountMinor"),
                  keyword_fields=KEYWORD_FIELDS)
    for row in result["items"]:
        row.pop("amountMinor", None)
    return result


def count(brand_id: str, query: dict[str, Any], only_user: str | None = None
          ) -> dict[str, int]:
    return {"countSuccess": len(_filtered(brand_id, query, only_user))}


# -- catalogue references ------------------------------------------------------------------------

def catalog_refs(brand_id: str, package_id: str, subtype_id: str | None
                 ) -> tuple[dict, dict | None]:
    """The package and subscription type a license names; unknown ones are a 400."""
    try:
        package = catalog.get_package(brand_id, package_id)
    except NotFound:
        raise BadRequest(f"The package '{package_id}' does not exist in this brand.",
                         code="PACKAGE_NOT_FOUND", field="packageId") from None
    subtype = None
    if subtype_id:
        try:
            subtype = catalog.get_subscription_type(brand_id, subtype_id)
        except NotFound:
            raise BadRequest(f"The subscription type '{subtype_id}' does not exist in this "
                             "brand.", code="SUBSCRIPTION_TYPE_NOT_FOUND",
                             field="subscriptionTypeId") from None
    return package, subtype


def duration_of(subtype: dict | None) -> dict | None:
    if subtype is None:
        return None
    return {"unit": subtype["unit"], "quantity": int(subtype.get("quantity") or 1)}


def generate_code(brand: dict, package_id: str, subtype_id: str,
                  start: datetime | None = None) -> str:
    """A code in JFW's format, not stored (``GET v1/licenses/generate-code``)."""
    package, _ = catalog_refs(brand["id"], package_id, subtype_id)
    return codes.generate(brand.get("abbr") or "", package["code"], subtype_id,
                          utc(start) or settings.now())


# -- writes --------------------------------------------------------------------------------------

def new_items(brand: dict, package: dict, subtype_id: str | None, duration: dict | None, *,
              code: str | None = None, type_: str = m.NORMAL, status: str = m.ACTIVE,
              amount_minor: int = 0, currency: str = "USD", start: datetime | None = None,
              end: datetime | None = None, **fields: Any) -> tuple[m.LicenseItem,
                                                                   m.LicenseCodeItem]:
    """A new license and its code reservation, not saved (``save_new`` saves them)."""
    now = settings.now()
    brand_id = brand["id"]
    license_id = ids.new_id()
    code = codes.normalise(code) if code else codes.generate(
        brand.get("abbr") or "", package["code"], subtype_id, start or now)
    item = L(m.license_pk(brand_id, license_id), m.LICENSE_SK,
             id=license_id, brand_id=brand_id, code=code, package_id=package["id"],
             subscription_type_id=subtype_id, duration=duration, type=type_, status=status,
             amount_minor=amount_minor, currency=currency, start_date=start, end_date=end,
             gsi1pk=m.licenses_gsi(brand_id), gsi1sk=f"{m.stamp(now)}#{license_id}",
             version=1, created_date=now, modified_date=now, **fields)
    if status == m.ACTIVE and end is not None:
        item.due_pk = m.due_shard(license_id)
        item.due_sk = m.license_due_sk(end, brand_id, license_id)
    ref = m.LicenseCodeItem(m.license_code_pk(brand_id, code), m.UNIQUE_SK, license_id=license_id)
    return item, ref


def save_new(tx: Any, pairs: Iterable[tuple[m.LicenseItem, m.LicenseCodeItem]]) -> None:
    """Save licenses with their codes in the caller's transaction: two operations each, the
    code second (``code_failures`` reads the failures back)."""
    for item, ref in pairs:
        tx.save(item, condition=L.pk.does_not_exist())
        tx.save(ref, condition=m.LicenseCodeItem.pk.does_not_exist())


def code_failures(e: ConditionFailed, first_index: int, count_: int) -> list[int]:
    """Which of ``count_`` pairs saved from operation ``first_index`` lost their code."""
    return [i for i in range(count_) if e.failed(first_index + 2 * i + 1)]


def regenerate(brand: dict, package: dict, pair: tuple[m.LicenseItem, m.LicenseCodeItem]
               ) -> tuple[m.LicenseItem, m.LicenseCodeItem]:
    item, _ = pair
    item.code = codes.generate(brand.get("abbr") or "", package["code"],
                               item.subscription_type_id, item.start_date or settings.now())
    ref = m.LicenseCodeItem(m.license_code_pk(item.brand_id, item.code), m.UNIQUE_SK,
                            license_id=item.id)
    return item, ref


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime | None,
                                                                   datetime | None]:
    start, end = utc(start), utc(end)
    if start and end and end <= start:
        raise BadRequest("endDate must be after startDate.", code="DATE_RANGE_INVALID",
                         field="endDate")
    return start, end


def create_many(brand: dict, creator_code: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """``POST v1/licenses``: ``quantity`` licenses, each with its own unique code."""
    quantity = int(data.get("quantity") or 1)
    if not 1 <= quantity <= MAX_BULK_QUANTITY:
        raise BadRequest(f"quantity must be between 1 and {MAX_BULK_QUANTITY}.",
                         field="quantity")
    custom = codes.normalise(data["code"]) if data.get("code") else None
    if custom is not None:
        if quantity != 1:
            raise BadRequest("A custom code makes one license; send quantity 1 or no code.",
                             field="code")
        if not codes.CUSTOM_CODE.match(custom):
            raise BadRequest("code must be 4-64 letters, digits or hyphens.", field="code")
    currency = (data.get("currencyCode") or "").upper()
    amount = money.to_minor(data["amount"], currency)
    start, end = _window(data.get("startDate"), data.get("endDate"))
    package, subtype = catalog_refs(brand["id"], data["packageId"],
                                    data.get("subscriptionTypeId"))
    common = dict(type_=data.get("type") or m.NORMAL, amount_minor=amount, currency=currency,
                  start=start, end=end, description=data.get("description"),
                  tags=data.get("tags"), test_mode=bool(data.get("testMode")),
                  created_by=data.get("userCode") or creator_code, source="Manual")
    pairs = [new_items(brand, package, data.get("subscriptionTypeId"), duration_of(subtype),
                       code=custom, **common) for _ in range(quantity)]
    for first in range(0, quantity, CHUNK):
        _save_chunk(brand, package, pairs[first:first + CHUNK], custom is not None)
    # JFW answers {countSuccess}; the ids (and ``id`` when one was made) tell the caller which.
    made = [item.id for item, _ in pairs]
    return {"countSuccess": quantity, "ids": made, **({"id": made[0]} if quantity == 1 else {})}


def _save_chunk(brand: dict, package: dict, chunk: list, custom: bool) -> None:
    for _ in range(5):
        try:
            with transaction() as tx:
                save_new(tx, chunk)
                rows = changes.add(tx, brand["id"], [item.id for item, _ in chunk])
            notify.publish(rows)
            return
        except ConditionFailed as e:
            lost = code_failures(e, 0, len(chunk))
            if not lost:
                raise
            if custom:
                raise Conflict(f"The code '{chunk[0][0].code}' is already used by another "
                               "license of this brand.", code="LICENSE_CODE_TAKEN",
                               field="code") from None
            for i in lost:
                chunk[i] = regenerate(brand, package, chunk[i])
    raise Conflict("Could not find free license codes; try again.", code="LICENSE_CODE_TAKEN")


def _write(item: m.LicenseItem, actions: list[Any]) -> m.LicenseItem:
    """One conditional update (the version read); a concurrent change is a 409."""
    actions = [*actions, L.version.set(int(item.version) + 1),
               L.modified_date.set(settings.now())]
    try:
        with transaction() as tx:
            tx.update(item, actions=actions, condition=(L.version == item.version)
                      & (L.is_deleted == False))  # noqa: E712 - a DynamoDB condition
            rows = changes.add(tx, item.brand_id, [item.id])
    except ConditionFailed:
        raise Conflict(f"License {item.id} changed meanwhile; read it again and retry.",
                       code="LICENSE_CHANGED") from None
    notify.publish(rows)
    return get_item(item.brand_id, item.id)


def update(brand: dict, license_id: str, data: dict[str, Any]) -> dict:
    item = get_item(brand["id"], license_id)
    currency = (data.get("currencyCode") or "").upper()
    amount = money.to_minor(data["amount"], currency)
    start, end = _window(data.get("startDate"), data.get("endDate"))
    subtype_id = data.get("subscriptionTypeId")
    package, subtype = catalog_refs(brand["id"], data["packageId"], subtype_id)
    changes_grant = package["id"] != item.package_id or subtype_id != item.subscription_type_id
    if item.status == m.USED and changes_grant:
        raise Conflict("This license is used: its package and subscription type can't change.",
                       code="LICENSE_USED")
    actions = [L.package_id.set(package["id"]), L.amount_minor.set(amount),
               L.currency.set(currency),
               L.start_date.set(start) if start else L.start_date.remove(),
               L.end_date.set(end) if end else L.end_date.remove(),
               L.description.set(data.get("description")) if data.get("description")
               else L.description.remove(),
               L.tags.set(data.get("tags")) if data.get("tags") else L.tags.remove(),
               L.test_mode.set(bool(data.get("testMode")))]
    if changes_grant:
        actions += [L.subscription_type_id.set(subtype_id) if subtype_id
                    else L.subscription_type_id.remove(),
                    L.duration.set(duration_of(subtype)) if subtype else L.duration.remove()]
    actions += due_actions(item, item.status, end)
    return to_dto(_write(item, actions))


def activate(brand_id: str, license_id: str) -> dict:
    """JFW's rules: NotStarted -> startDate moved to now; Expired -> endDate moved as far into
    the future as the window was long (30 days without a start); Inactive -> Active, with
    both moves as needed; Used (or already Active) -> unchanged."""
    item = get_item(brand_id, license_id)
    now = settings.now()
    current = effective_status(item, now)
    if current in (m.USED, m.ACTIVE):
        return to_dto(item, now)
    start, end = item.start_date, item.end_date
    if start and start > now:
        start = now
    if end and end <= now:
        length = (item.end_date - item.start_date) if item.start_date else None
        end = now + (length if length and length > timedelta(0) else DEFAULT_REACTIVATION_WINDOW)
    actions = [L.status.set(m.ACTIVE)]
    if start != item.start_date:
        actions.append(L.start_date.set(start))
    if end != item.end_date:
        actions.append(L.end_date.set(end))
    actions += due_actions(item, m.ACTIVE, end)
    return to_dto(_write(item, actions))


def deactivate(brand_id: str, license_id: str) -> dict:
    item = get_item(brand_id, license_id)
    if item.status == m.USED:
        raise Conflict("This license is applied to a user; it can't be deactivated. Refund "
                       "its payment, or apply another license to the user.", code="LICENSE_USED")
    if item.status == m.INACTIVE:
        return to_dto(item)
    return to_dto(_write(item, [L.status.set(m.INACTIVE), *due_actions(item, m.INACTIVE, None)]))


def delete(brand_id: str, license_id: str) -> bool:
    """Soft delete: the license disappears from reads; its code stays taken."""
    item = get_item(brand_id, license_id)
    if item.status == m.USED:
        raise Conflict("This license is applied to a user and can't be deleted.",
                       code="LICENSE_USED")
    actions = [L.is_deleted.set(True), L.status.set(m.INACTIVE),
               *due_actions(item, m.INACTIVE, None), L.version.set(int(item.version) + 1),
               L.modified_date.set(settings.now())]
    try:
        with transaction() as tx:
            tx.update(item, actions=actions, condition=(L.version == item.version)
                      & (L.status != m.USED))
            rows = changes.add(tx, brand_id, [item.id])
    except ConditionFailed:
        raise Conflict(f"License {license_id} changed meanwhile; read it again and retry.",
                       code="LICENSE_CHANGED") from None
    notify.publish(rows)
    return True
