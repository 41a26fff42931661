"""Digital downloads: a package's files in S3 (moto), links granted once per payment and mailed,
counted and expiring, withdrawn on refund, and never reachable from another brand."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from chalicelib import settings
from tests.helpers import licensing as support
from tests.helpers.api import register_and_login
from tests.helpers.licensing import mails, success_payload, user_id_of
from tests.helpers.payments import drain_outbox, sent_mails, verify_sender
from tests.helpers.tables import assert_unchanged, dump_tables
from tests.helpers.users import admin_of, error_of

GUIDE = b"%PDF-1.4 the guide\n"


def s3_object(key: str) -> bytes:
    from chalicelib.store import aws

    return aws.client("s3").get_object(Bucket=settings.get().bucket, Key=key)["Body"].read()


def add_inline(admin, package_id: str, name: str = "guide.pdf", data: bytes = GUIDE,
               content_type: str = "application/pdf") -> dict:
    return admin.ok("POST", f"v1/packages/{package_id}/files", {
        "fileName": name, "contentType": content_type,
        "contentBase64": base64.b64encode(data).decode()})


def token_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1]


def follow(api, url: str):
    """Use a download link: the app's 302, then the presigned S3 GET (moto answers it)."""
    resp = api.get(urlsplit(url).path)
    if resp.status_code != 302:
        return resp, None
    location = resp.headers["Location"]
    return resp, requests.get(location, timeout=10)


def pay(demo_brand, alice, shop, **extra) -> dict:
    """A completed payment for PRO, delivered to fulfilment as the outbox would."""
    from chalicelib.licensing import jobs

    payload = success_payload(demo_brand, user_id_of(alice), shop["pro"], shop["pro_price"],
                              **extra)
    jobs.on_payment_event(payload)
    return payload


@pytest.fixture
def guide(admin, shop) -> dict:
    return add_inline(admin, shop["pro"])


# -- package files ------------------------------------------------------------------------------

def test_files_inline_and_through_a_presigned_upload(admin, shop, demo_brand, clock):
    from chalicelib.licensing import models as m

    first = add_inline(admin, shop["pro"])
    assert (first["fileName"], first["size"], first["status"]) == ("guide.pdf", len(GUIDE),
                                                                   "Uploaded")
    stored = m.PackageFileItem.get(m.package_file_pk(demo_brand["id"], shop["pro"]),
                                   m.package_file_sk(first["id"]))
    assert stored.s3_key.startswith(f"{demo_brand['id']}/packages/{shop['pro']}/")
    assert s3_object(stored.s3_key) == GUIDE

    clock.move(seconds=1)
    big = admin.ok("POST", f"v1/packages/{shop['pro']}/files",
                   {"fileName": "video.mp4", "contentType": "video/mp4"})
    assert big["status"] == "Pending" and big["uploadMethod"] == "PUT"
    put = requests.put(big["uploadUrl"], data=b"\x00" * 4096,
                       headers=big["uploadHeaders"], timeout=10)
    assert put.status_code == 200
    listed = admin.ok("GET", f"v1/packages/{shop['pro']}/files")
    assert [(f["fileName"], f["status"], f["size"]) for f in listed] == [
        ("guide.pdf", "Uploaded", len(GUIDE)), ("video.mp4", "Uploaded", 4096)]

    assert admin.ok("DELETE", f"v1/packages/{shop['pro']}/files/{first['id']}") is True
    assert [f["id"] for f in admin.ok("GET", f"v1/packages/{shop['pro']}/files")] == [big["id"]]
    assert admin.delete(f"v1/packages/{shop['pro']}/files/{first['id']}").status_code == 404
    assert s3_object(stored.s3_key) == GUIDE  # kept for links already paid for


def test_bad_files_are_400_and_write_nothing(admin, alice, shop, clock):
    before = dump_tables()
    path = f"v1/packages/{shop['pro']}/files"
    for body, field in (
            ({"fileName": "a.txt", "contentType": "text/plain", "contentBase64": "***"},
             "contentBase64"),
            ({"fileName": "a.txt", "contentType": "text/plain",
              "contentBase64": base64.b64encode(b"x" * (180 * 1024 + 1)).decode()},
             "contentBase64"),
            ({"fileName": "../etc/passwd", "contentType": "text/plain"}, "fileName"),
            ({"fileName": "a.txt", "contentType": "not a type"}, "contentType")):
        resp = admin.post(path, body)
        assert resp.status_code == 400, (field, resp.body)
        assert error_of(resp)["field"] == field
    assert admin.post("v1/packages/nope/files", {"fileName": "a", "contentType": "a/b"}
                      ).status_code == 404
    resp = alice.post(path, {"fileName": "a.txt", "contentType": "text/plain"})
    assert resp.status_code == 403
    assert alice.get(path).status_code == 403
    assert_unchanged(before, "refused files")


# -- grants ---------------------------------------------------------------------------------------

def test_a_payment_grants_links_once_and_mails_them(api, admin, alice, shop, guide, clock,
                                                    demo_brand):
    from chalicelib.licensing import downloads

    verify_sender()
    payload = pay(demo_brand, alice, shop)
    mine = alice.ok("GET", "v1/downloads")
    assert [(g["fileName"], g["maxCount"], g["remainingCount"], g["status"]) for g in mine] == [
        ("guide.pdf", 5, 5, "Active")]
    assert mine[0]["paymentId"] == payload["paymentId"]
    assert mine[0]["expiresAt"] == (support.T0 + timedelta(hours=72)).isoformat().replace(
        "+00:00", "Z")
    url = mine[0]["downloadUrl"]
    assert url.startswith(settings.get().base_url + "/api/v1/downloads/")
    # Delivered again (the outbox delivers at least once): nothing new.
    from chalicelib.licensing import jobs

    jobs.on_payment_event(payload)
    again = downloads.grant_for_payment(demo_brand["id"], payload)
    assert [g["downloadUrl"] for g in again] == [url]
    assert len(alice.ok("GET", "v1/downloads")) == 1
    ready = mails(demo_brand["id"], "PAYMENT.DOWNLOADS.READY")
    assert len(ready) == 1 and ready[0].payload["to"] == "alice@example.com"
    drain_outbox()
    sent = [x for x in sent_mails(demo_brand["id"])
            if x["subject"] == "Your Demo downloads are ready"]
    assert len(sent) == 1 and url in sent[0]["body"] and "guide.pdf" in sent[0]["body"]

    resp, file = follow(api, url)
    assert resp.status_code == 302 and resp.headers["Cache-Control"] == "no-store"
    assert file.status_code == 200 and file.content == GUIDE
    assert 'filename="guide.pdf"' in file.headers["Content-Disposition"]
    assert alice.ok("GET", "v1/downloads")[0]["remainingCount"] == 4


def test_no_files_no_grants(admin, alice, shop, clock, demo_brand):
    from chalicelib.licensing import downloads

    payload = pay(demo_brand, alice, shop)
    assert downloads.grant_for_payment(demo_brand["id"], payload) == []
    assert alice.ok("GET", "v1/downloads") == []
    assert mails(demo_brand["id"], "PAYMENT.DOWNLOADS.READY") == []


def test_the_download_count_runs_out(api, admin, alice, shop, guide, clock, demo_brand):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"downloadMaxCount": 2})
    pay(demo_brand, alice, shop)
    url = alice.ok("GET", "v1/downloads")[0]["downloadUrl"]
    for _ in range(2):
        assert follow(api, url)[1].content == GUIDE
    resp, _ = follow(api, url)
    assert resp.status_code == 410 and error_of(resp)["code"] == "DOWNLOAD_LIMIT_REACHED"
    grant = alice.ok("GET", "v1/downloads")[0]
    assert (grant["remainingCount"], grant["downloadCount"], grant["status"],
            grant["downloadUrl"]) == (0, 2, "Exhausted", None)


def test_a_link_expires(api, admin, alice, shop, guide, clock, demo_brand):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"downloadLinkHours": 1})
    pay(demo_brand, alice, shop)
    url = alice.ok("GET", "v1/downloads")[0]["downloadUrl"]
    clock.move(minutes=59)
    assert follow(api, url)[0].status_code == 302
    clock.move(minutes=2)
    resp, _ = follow(api, url)
    assert resp.status_code == 410 and error_of(resp)["code"] == "DOWNLOAD_EXPIRED"
    assert alice.ok("GET", "v1/downloads")[0]["status"] == "Expired"


def test_a_refund_withdraws_the_links(api, admin, alice, shop, guide, clock, demo_brand):
    from chalicelib.licensing import downloads, jobs

    payload = pay(demo_brand, alice, shop)
    url = alice.ok("GET", "v1/downloads")[0]["downloadUrl"]
    assert follow(api, url)[0].status_code == 302
    jobs.on_payment_event(support.refund_payload(payload))
    resp, _ = follow(api, url)
    assert resp.status_code == 410 and error_of(resp)["code"] == "DOWNLOAD_REVOKED"
    assert alice.ok("GET", "v1/downloads")[0]["status"] == "Revoked"
    assert downloads.revoke_for_payment(demo_brand["id"], payload["paymentId"]) == 0  # once


def test_a_refund_before_the_grant_grants_nothing(admin, alice, shop, guide, clock, demo_brand):
    from chalicelib.licensing import downloads

    payload = success_payload(demo_brand, user_id_of(alice), shop["pro"], shop["pro_price"])
    assert downloads.revoke_for_payment(demo_brand["id"], payload["paymentId"]) == 0
    assert downloads.grant_for_payment(demo_brand["id"], payload) == []
    assert alice.ok("GET", "v1/downloads") == []


def test_one_remaining_download_is_used_once_under_concurrency(atomic_moto, admin, alice, shop,
                                                               guide, clock, demo_brand):
    from chalicelib.http.errors import ApiError
    from chalicelib.identity import brands
    from chalicelib.licensing import downloads
    from tests.concurrency import run_jobs

    brands.update_setting(demo_brand["id"], {"downloadMaxCount": 1})
    pay(demo_brand, alice, shop)
    token = token_of(alice.ok("GET", "v1/downloads")[0]["downloadUrl"])
    results = run_jobs([lambda: downloads.use(token) for _ in range(6)])
    assert sum(isinstance(r, str) for r in results) == 1
    assert all(r.code == "DOWNLOAD_LIMIT_REACHED" for r in results if isinstance(r, ApiError))


def test_unknown_malformed_and_other_brand_links_are_404(api, admin, alice, shop, guide, clock,
                                                         demo_brand, other_brand):
    pay(demo_brand, alice, shop)
    token = token_of(alice.ok("GET", "v1/downloads")[0]["downloadUrl"])
    secret = token.split(".", 1)[1]
    before = dump_tables()
    for bad in (f"{other_brand['id']}.{secret}", f"{demo_brand['id']}.not-the-secret",
                "no-dot-at-all", secret):
        resp = api.get(f"v1/downloads/{bad}")
        assert resp.status_code == 404, bad
        assert error_of(resp)["code"] == "DOWNLOAD_NOT_FOUND"
    assert_unchanged(before, "unknown download links")
    # Only the token's digest is a key; the token itself is stored sealed.
    from chalicelib.licensing import models as m

    grant = m.DownloadGrantItem.get(
        m.grant_pk(demo_brand["id"], hashlib.sha256(token.encode()).hexdigest()), m.GRANT_SK)
    assert grant.token_sealed.startswith("v1:") and secret not in grant.token_sealed


def test_another_brand_never_reaches_the_files_or_the_grants(api, admin, alice, shop, guide,
                                                              clock, demo_brand, other_brand):
    pay(demo_brand, alice, shop)
    other = admin_of(api, other_brand, "other-admin")
    before = dump_tables(demo_brand["id"])  # B's own catalogue may be seeded on first read
    for method, path, body in (
            ("GET", f"v1/packages/{shop['pro']}/files", None),
            ("POST", f"v1/packages/{shop['pro']}/files",
             {"fileName": "x.txt", "contentType": "text/plain", "contentBase64": "eA=="}),
            ("DELETE", f"v1/packages/{shop['pro']}/files/{guide['id']}", None),
            ("GET", f"v1/downloads?userId={user_id_of(alice)}", None)):
        resp = other.request(method, path, body)
        assert resp.status_code == 404, (method, path, resp.body)
    assert other.ok("GET", "v1/downloads") == []
    assert_unchanged(before, "brand B reaching for brand A's files", demo_brand["id"])
    # Inside the brand, another user's grants need DOWNLOAD.READ.
    bob = register_and_login(api, "bob")
    assert bob.get(f"v1/downloads?userId={user_id_of(alice)}").status_code == 403
    assert len(admin.ok("GET", f"v1/downloads?userId={user_id_of(alice)}")) == 1
