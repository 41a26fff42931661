"""Digital downloads: files a package carries, and the expiring links a buyer gets for them.

Files live in the files bucket (``settings.bucket``, JFW_BUCKET) under the brand's own prefix
``<brandId>/packages/<packageId>/<fileId>/<fileName>``. An admin (PACKAGE.UPDATE) adds one with
``POST v1/packages/{packageId}/files``: a small file inline (``contentBase64``, at most 180 KiB,
as the API takes 256 KiB bodies), or any size through the presigned PUT ``uploadUrl`` the reply
carries when ``contentBase64`` is left out (the file is ``Pending`` until its bytes are in S3).
Deleting a file hides it from the package and from later grants; its object stays, so links
already paid for keep working ("nothing is deleted that money refers to").

After payment, ``grant_for_payment`` (called by fulfilment) writes one grant per file, once per
payment (a ``DLPAY`` item with a not-exists condition, in the same transaction as the grants and
the ``PAYMENT.DOWNLOADS.READY`` mail). A grant's link is
``<base URL>/api/v1/downloads/<token>`` with ``token = <brandId>.<random secret>``: the brand is
in the token because a link clicked in a mail carries no Brand-URL. Only the token's SHA-256 is
a key; the token itself is kept sealed (store/secrets.py) so its owner can list it again in
``GET v1/downloads``. A link works ``downloadMaxCount`` times (brand setting, default 5) for
``downloadLinkHours`` (default 72): each use is one conditional update (remaining > 0, not
expired, not revoked) and answers a 302 to a presigned S3 GET that lives 5 minutes.
``revoke_for_payment`` (a refund or a lost dispute) stops every link of the payment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib import settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, BadRequest, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.licensing import models as m
from chalicelib.licensing.constants import MAX_INLINE_BYTES
from chalicelib.notify import service as notify
from chalicelib.store import aws, ids, secrets
from chalicelib.store.tx import ConditionFailed, transaction

DEFAULT_LINK_HOURS = 72
DEFAULT_MAX_COUNT = 5
MAX_LINK_HOURS = 24 * 365
MAX_COUNT = 1000
MAX_FILES = 40  # per package: a payment grants them all in one transaction
UPLOAD_URL_SECONDS = 15 * 60
DOWNLOAD_URL_SECONDS = 5 * 60
PENDING, UPLOADED = "Pending", "Uploaded"
EVENT = "PAYMENT.DOWNLOADS.READY"


class Gone(ApiError):
    status, code = 410, "GONE"


# -- settings and names ----------------------------------------------------------------------------

def _setting(brand: dict, name: str, default: int, top: int) -> int:
    value = (brand.get("setting") or {}).get(name)
    try:
        number = int(value) if value is not None else default
    except (TypeError, ValueError):
        number = default
    return min(max(number, 1), top)


def link_hours(brand: dict) -> int:
    return _setting(brand, "downloadLinkHours", DEFAULT_LINK_HOURS, MAX_LINK_HOURS)


def max_count(brand: dict) -> int:
    return _setting(brand, "downloadMaxCount", DEFAULT_MAX_COUNT, MAX_COUNT)


def bucket() -> str:
    return settings.get().bucket_name("files")


def s3_key(brand_id: str, package_id: str, file_id: str, file_name: str) -> str:
    return f"{brand_id}/packages/{package_id}/{file_id}/{file_name}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def download_url(token: str) -> str:
    return f"{settings.get().base_url}/api/v1/downloads/{token}"


def _seal_context(brand_id: str, token_digest: str) -> str:
    return f"licensing:{brand_id}:dlgrant:{token_digest}:token"


def _s3() -> Any:
    return aws.client("s3")


# -- package files -------------------------------------------------------------------------------

def file_dto(f: m.PackageFileItem) -> dict[str, Any]:
    return {"id": f.id, "createdDate": f.created_date, "modifiedDate": f.modified_date,
            "packageId": f.package_id, "fileName": f.name, "contentType": f.content_type,
            "size": None if f.size is None else int(f.size), "status": f.status}


def _check_package(brand_id: str, package_id: str) -> dict:
    return catalog.get_package(brand_id, package_id)  # NotFound in another brand


def _files(brand_id: str, package_id: str) -> list[m.PackageFileItem]:
    return [f for f in m.LicensingRecord.query(m.package_file_pk(brand_id, package_id),
                                               m.LicensingRecord.sk.startswith(m.FILE_PREFIX),
                                               consistent_read=True)
            if isinstance(f, m.PackageFileItem) and not f.is_deleted]


def _settle_pending(f: m.PackageFileItem) -> m.PackageFileItem:
    """A Pending file whose bytes arrived through its upload URL becomes Uploaded."""
    if f.status != PENDING:
        return f
    try:
        head = _s3().head_object(Bucket=bucket(), Key=f.s3_key)
    except ClientError:
        return f
    try:
        f.update(actions=[m.PackageFileItem.status.set(UPLOADED),
                          m.PackageFileItem.size.set(int(head["ContentLength"])),
                          m.PackageFileItem.modified_date.set(settings.now())],
                 condition=m.PackageFileItem.status == PENDING)
    except UpdateError:
        return f
    return f


def add_file(brand_id: str, package_id: str, body: dict[str, Any]) -> dict[str, Any]:
    _check_package(brand_id, package_id)
    if len(_files(brand_id, package_id)) >= MAX_FILES:
        raise Conflict(f"A package carries at most {MAX_FILES} files; delete one first.",
                       code="TOO_MANY_FILES")
    content = None
    if body.get("contentBase64") is not None:
        try:
            content = base64.b64decode(body["contentBase64"], validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("contentBase64 is not valid base64.", field="contentBase64") from None
        if not content:
            raise BadRequest("contentBase64 is empty; leave it out to get an upload URL.",
                             field="contentBase64")
        if len(content) > MAX_INLINE_BYTES:
            raise BadRequest(f"Inline files are at most {MAX_INLINE_BYTES // 1024} KiB; leave "
                             "contentBase64 out to get an upload URL.", field="contentBase64")
    now = settings.now()
    file_id = ids.new_id()
    key = s3_key(brand_id, package_id, file_id, body["fileName"])
    item = m.PackageFileItem(
        m.package_file_pk(brand_id, package_id), m.package_file_sk(file_id), id=file_id,
        brand_id=brand_id, package_id=package_id, name=body["fileName"], s3_key=key,
        content_type=body["contentType"], size=len(content) if content is not None else None,
        status=UPLOADED if content is not None else PENDING, created_date=now,
        modified_date=now)
    if content is not None:
        # Bytes first: a file item never names an object that is not there.
        _s3().put_object(Bucket=bucket(), Key=key, Body=content,
                         ContentType=body["contentType"])
    item.save(condition=m.PackageFileItem.pk.does_not_exist())
    out = file_dto(item)
    if content is None:
        out["uploadUrl"] = _s3().generate_presigned_url(
            "put_object", Params={"Bucket": bucket(), "Key": key,
                                  "ContentType": body["contentType"]},
            ExpiresIn=UPLOAD_URL_SECONDS)
        out["uploadMethod"] = "PUT"
        out["uploadHeaders"] = {"Content-Type": body["contentType"]}
        out["uploadExpiresAt"] = now + timedelta(seconds=UPLOAD_URL_SECONDS)
    return out


def list_files(brand_id: str, package_id: str) -> list[dict[str, Any]]:
    _check_package(brand_id, package_id)
    rows = [file_dto(_settle_pending(f)) for f in _files(brand_id, package_id)]
    rows.sort(key=lambda r: (r["createdDate"], r["id"]))
    return rows


def delete_file(brand_id: str, package_id: str, file_id: str) -> bool:
    _check_package(brand_id, package_id)
    item = m.PackageFileItem(m.package_file_pk(brand_id, package_id), m.package_file_sk(file_id))
    try:
        item.update(actions=[m.PackageFileItem.is_deleted.set(True),
                             m.PackageFileItem.modified_date.set(settings.now())],
                    condition=m.PackageFileItem.pk.exists()
                    & (m.PackageFileItem.is_deleted == False))  # noqa: E712
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise NotFound("File not found in this package.", code="FILE_NOT_FOUND") from None
    return True


# -- grants --------------------------------------------------------------------------------------

def grant_status(g: m.DownloadGrantItem) -> str:
    if g.revoked:
        return "Revoked"
    if g.expires_at <= settings.now():
        return "Expired"
    if int(g.remaining) <= 0:
        return "Exhausted"
    return "Active"


def grant_dto(g: m.DownloadGrantItem, token: str | None = None) -> dict[str, Any]:
    if token is None and g.token_sealed:
        token = secrets.decrypt(g.token_sealed, _seal_context(g.brand_id, g.pk.rsplit("#", 1)[1]))
    status = grant_status(g)
    return {"id": g.pk.rsplit("#", 1)[1][:16], "createdDate": g.created_date,
            "packageId": g.package_id, "fileId": g.file_id, "fileName": g.file_name,
            "contentType": g.content_type, "paymentId": g.payment_id, "userId": g.user_id,
            "maxCount": int(g.max_count), "remainingCount": max(int(g.remaining), 0),
            "downloadCount": int(g.download_count), "expiresAt": g.expires_at,
            "lastDownloadAt": g.last_download_at, "status": status,
            "downloadUrl": download_url(token) if token and status == "Active" else None}


def _grants(brand_id: str, digests: list[str]) -> list[m.DownloadGrantItem]:
    keys = [(m.grant_pk(brand_id, d), m.GRANT_SK) for d in digests]
    return list(m.DownloadGrantItem.batch_get(keys, consistent_read=True)) if keys else []


def _payment_record(brand_id: str, payment_id: str) -> m.DownloadPaymentItem | None:
    try:
        return m.DownloadPaymentItem.get(m.download_payment_pk(brand_id, payment_id), "GRANTS",
                                         consistent_read=True)
    except DoesNotExist:
        return None


def _already_granted(brand_id: str, record: m.DownloadPaymentItem) -> list[dict[str, Any]]:
    found = {g.pk: g for g in _grants(brand_id, list(record.grant_digests or []))}
    return [grant_dto(found[m.grant_pk(brand_id, d)]) for d in record.grant_digests or []
            if m.grant_pk(brand_id, d) in found]


def grant_for_payment(brand_id: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Download links for the files of the paid package, once per payment; mails them.

    ``payload`` is the payment event (payments/intake.py ``event_payload``): paymentId, userId,
    userEmail, packageId. Returns the grants (with ``downloadUrl``); [] when the package carries
    no file."""
    payment_id, package_id = payload.get("paymentId"), payload.get("packageId")
    if not payment_id or not package_id:
        return []
    record = _payment_record(brand_id, payment_id)
    if record is not None:
        return _already_granted(brand_id, record)
    try:
        files = [_settle_pending(f) for f in _files(brand_id, package_id)]
    except ApiError:
        return []
    files = [f for f in files if f.status == UPLOADED]
    if not files:
        return []
    brand = identity.get_brand(brand_id)
    now = settings.now()
    hours, count = link_hours(brand), max_count(brand)
    expires = now + timedelta(hours=hours)
    user_id = payload.get("userId")
    made: list[tuple[m.DownloadGrantItem, str]] = []
    for f in files:
        token = f"{brand_id}.{ids.new_secret()}"
        d = digest(token)
        made.append((m.DownloadGrantItem(
            m.grant_pk(brand_id, d), m.GRANT_SK, brand_id=brand_id, file_id=f.id,
            package_id=package_id, user_id=user_id, payment_id=payment_id, remaining=count,
            max_count=count, download_count=0, expires_at=expires, revoked=False,
            created_date=now, file_name=f.name, s3_key=f.s3_key, content_type=f.content_type,
            token_sealed=secrets.encrypt(token, _seal_context(brand_id, d)),
            gsi1pk=f"B#{brand_id}#U#{user_id}#DLGRANTS" if user_id else None,
            gsi1sk=f"{m.stamp(now)}#{d}" if user_id else None), token))
    record = m.DownloadPaymentItem(
        m.download_payment_pk(brand_id, payment_id), "GRANTS", payment_id=payment_id,
        user_id=user_id, grant_digests=[g.pk.rsplit("#", 1)[1] for g, _ in made],
        revoked=False, created_date=now)
    grants = [grant_dto(g, token) for g, token in made]
    rows = []
    to = payload.get("userEmail")
    if to:
        rows.append(_mail(brand_id, payload, to, grants))
    try:
        with transaction() as tx:
            tx.save(record, condition=m.DownloadPaymentItem.pk.does_not_exist())
            for g, _ in made:
                tx.save(g, condition=m.DownloadGrantItem.pk.does_not_exist())
            notify.add(tx, rows)
    except ConditionFailed as e:
        if e.failed(0):  # granted meanwhile by another delivery of the same event
            existing = _payment_record(brand_id, payment_id)
            return _already_granted(brand_id, existing) if existing else []
        raise
    notify.publish(rows)
    return grants


def _mail(brand_id: str, payload: dict[str, Any], to: str, grants: list[dict]) -> Any:
    downloads = [{"file_name": g["fileName"], "url": g["downloadUrl"], "max_count": g["maxCount"],
                  "expires_at": g["expiresAt"].strftime("%Y-%m-%d %H:%M UTC")} for g in grants]
    context = {"user": notify.user_vars(email_address=to), "downloads": downloads,
               "payment": {"code": payload.get("paymentCode"),
                           "currency_code": payload.get("currency"),
                           "merchant_ref_no": payload.get("merchantRefNo")}}
    return notify.mail(brand_id, EVENT, to, context,
                       secrets=[d["url"] for d in downloads if d["url"]])


def revoke_for_payment(brand_id: str, payment_id: str) -> int:
    """Stop every download link of the payment (refund, lost dispute). Returns how many links
    were live before; calling it again changes nothing."""
    record = _payment_record(brand_id, payment_id)
    now = settings.now()
    if record is None:
        # The refund came first: a tombstone, so a late grant for this payment grants nothing.
        try:
            m.DownloadPaymentItem(
                m.download_payment_pk(brand_id, payment_id), "GRANTS", payment_id=payment_id,
                grant_digests=[], revoked=True, created_date=now).save(
                condition=m.DownloadPaymentItem.pk.does_not_exist())
            return 0
        except PutError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
            record = _payment_record(brand_id, payment_id)  # granted meanwhile
    if record is None or record.revoked:
        return 0
    grants = _grants(brand_id, list(record.grant_digests or []))
    live = [g for g in grants if not g.revoked]
    try:
        with transaction() as tx:
            tx.update(record, actions=[m.DownloadPaymentItem.revoked.set(True)],
                      condition=m.DownloadPaymentItem.revoked == False)  # noqa: E712
            for g in live:
                tx.update(g, actions=[m.DownloadGrantItem.revoked.set(True),
                                      m.DownloadGrantItem.revoked_date.set(now)])
    except ConditionFailed:
        return 0  # revoked meanwhile
    return len(live)


def restore_for_payment(brand_id: str, payment_id: str) -> int:
    """The money came back (a dispute won): the links ``revoke_for_payment`` stopped work again
    (until their own expiry), and a tombstone left before any grant goes, so the payment's
    grant can still happen. Returns how many links were restored; again, nothing more."""
    record = _payment_record(brand_id, payment_id)
    if record is None or not record.revoked:
        return 0
    if not record.grant_digests:
        try:
            record.delete(condition=m.DownloadPaymentItem.revoked == True)  # noqa: E712
        except DeleteError as e:  # granted or restored meanwhile; anything else is a fault
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
        return 0
    stopped = [g for g in _grants(brand_id, list(record.grant_digests)) if g.revoked]
    try:
        with transaction() as tx:
            tx.update(record, actions=[m.DownloadPaymentItem.revoked.set(False)],
                      condition=m.DownloadPaymentItem.revoked == True)  # noqa: E712
            for g in stopped:
                tx.update(g, actions=[m.DownloadGrantItem.revoked.set(False),
                                      m.DownloadGrantItem.revoked_date.remove()])
    except ConditionFailed:
        return 0  # restored meanwhile
    return len(stopped)


def user_grants(brand_id: str, user_id: str) -> list[dict[str, Any]]:
    """The user's download grants, newest first (one Query of gsi1)."""
    rows = [grant_dto(g) for g in m.LicensingRecord.gsi1.query(
        f"B#{brand_id}#U#{user_id}#DLGRANTS", scan_index_forward=False)
        if isinstance(g, m.DownloadGrantItem)]
    return rows


# -- the download --------------------------------------------------------------------------------

def _reason(item: m.DownloadGrantItem | None) -> ApiError:
    if item is None:
        return NotFound("This download link does not exist.", code="DOWNLOAD_NOT_FOUND")
    if item.revoked:
        return Gone("This download link was withdrawn (the payment was refunded).",
                    code="DOWNLOAD_REVOKED")
    if item.expires_at <= settings.now():
        return Gone(f"This download link expired on {item.expires_at:%Y-%m-%d %H:%M} UTC.",
                    code="DOWNLOAD_EXPIRED")
    return Gone(f"This download link was used {int(item.max_count)} times, its limit.",
                code="DOWNLOAD_LIMIT_REACHED")


def use(token: str) -> str:
    """Count one download of the token's grant (atomically) and return a presigned GET URL."""
    brand_id, dot, secret = token.partition(".")
    if not dot or not brand_id or not secret or len(token) > 200:
        raise NotFound("This download link does not exist.", code="DOWNLOAD_NOT_FOUND")
    d = digest(token)
    now = settings.now()
    G = m.DownloadGrantItem
    item = G(m.grant_pk(brand_id, d), m.GRANT_SK)
    try:
        item.update(actions=[G.remaining.add(-1), G.download_count.add(1),
                             G.last_download_at.set(now)],
                    condition=G.pk.exists() & (G.remaining > 0) & (G.expires_at > now)
                    & (G.revoked == False))  # noqa: E712
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        try:
            found = G.get(m.grant_pk(brand_id, d), m.GRANT_SK, consistent_read=True)
        except DoesNotExist:
            found = None
        raise _reason(found) from None
    name = (item.file_name or "download").replace('"', "'")
    return _s3().generate_presigned_url("get_object", Params={
        "Bucket": bucket(), "Key": item.s3_key,
        "ResponseContentType": item.content_type or "application/octet-stream",
        "ResponseContentDisposition": (f'attachment; filename="{quote(name, safe=" ")}"; '
                                       f"filename*=UTF-8''{quote(name, safe='')}")},
        ExpiresIn=DOWNLOAD_URL_SECONDS)
