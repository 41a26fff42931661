"""GET/DELETE v1/tracking-emails/suppressions: the addresses a brand's mail bounced from or was
complained about, and lifting one so the address gets mail again."""

from __future__ import annotations

from datetime import timedelta

from chalicelib import settings
from chalicelib.notify import tracking
from tests.helpers.api import login, make_user
from tests.helpers.mail import mails_to
from tests.helpers.sns import bounce, complaint
from tests.helpers.tracking import post_sns, send_mail


def _bounce(api, sns, brand_id: str, address: str, kind: str = "Permanent", **kw) -> None:
    row = send_mail(brand_id, address)
    event = bounce(row.message_id, address, kind, **kw) if kind != "Complaint" else complaint(
        row.message_id, address)
    assert post_sns(api, sns.notification(event)).status_code == 200


def test_list_shows_what_the_brands_mail_caused(admin, api, sns, demo_brand):
    _bounce(api, sns, demo_brand["id"], "gone@example.com")
    _bounce(api, sns, demo_brand["id"], "angry@example.com", "Complaint")
    page = admin.ok("GET", "v1/tracking-emails/suppressions?sortDataField=emailAddress"
                    "&sortOrder=asc")
    assert page["totalItems"] == 2
    angry, gone = page["items"]
    assert (angry["emailAddress"], angry["scope"], angry["reason"]) == (
        "angry@example.com", "Brand", "Complaint")
    assert (gone["emailAddress"], gone["scope"], gone["reason"]) == (
        "gone@example.com", "AllBrands", "Bounce")
    assert gone["expiresDate"] is None and gone["detail"].startswith("Permanent/General")
    filtered = admin.ok("GET", "v1/tracking-emails/suppressions?reason=Complaint")["items"]
    assert [s["emailAddress"] for s in filtered] == ["angry@example.com"]
    found = admin.ok("GET", "v1/tracking-emails/suppressions?emailAddress=GONE")["items"]
    assert [s["emailAddress"] for s in found] == ["gone@example.com"]


def test_lifting_a_suppression_lets_mail_through_again(admin, api, sns, demo_brand):
    _bounce(api, sns, demo_brand["id"], "gone@example.com")
    assert send_mail(demo_brand["id"], "gone@example.com").status == tracking.SKIPPED
    [suppression] = admin.ok("GET", "v1/tracking-emails/suppressions")["items"]

    assert admin.ok("DELETE", f"v1/tracking-emails/suppressions/{suppression['id']}") is True
    assert admin.ok("GET", "v1/tracking-emails/suppressions")["items"] == []
    assert send_mail(demo_brand["id"], "gone@example.com").status == tracking.SENT
    assert len(mails_to("gone@example.com")) == 2
    again = admin.delete(f"v1/tracking-emails/suppressions/{suppression['id']}")
    assert again.status_code == 404


def test_lifting_transient_suppression_restarts_the_count(admin, api, sns, demo_brand):
    for n in range(3):
        _bounce(api, sns, demo_brand["id"], "full@example.com", "Transient",
                feedback_id=f"f{n}")
    [suppression] = admin.ok("GET", "v1/tracking-emails/suppressions")["items"]
    assert suppression["reason"] == "TransientBounces" and suppression["expiresDate"]
    admin.ok("DELETE", f"v1/tracking-emails/suppressions/{suppression['id']}")
    # One more transient bounce is the first of a new count, not the fourth.
    _bounce(api, sns, demo_brand["id"], "full@example.com", "Transient", feedback_id="f9")
    assert admin.ok("GET", "v1/tracking-emails/suppressions")["items"] == []


def test_expired_suppressions_are_not_listed(admin, api, sns, demo_brand):
    for n in range(3):
        _bounce(api, sns, demo_brand["id"], "full@example.com", "Transient",
                feedback_id=f"f{n}")
    assert len(admin.ok("GET", "v1/tracking-emails/suppressions")["items"]) == 1
    later = settings.now() + timedelta(days=8)
    settings.set_clock(lambda: later)
    admin = login(api, "boss")  # the first Auth-Key expired meanwhile
    assert admin.ok("GET", "v1/tracking-emails/suppressions")["items"] == []


def test_another_brands_suppression_is_not_listed_nor_lifted(admin, api, sns, demo_brand):
    from chalicelib.identity import brands

    other = brands.create(name="Other", abbr="OTH", domain="other.test")
    _bounce(api, sns, other["id"], "angry@example.com", "Complaint")
    assert admin.ok("GET", "v1/tracking-emails/suppressions")["items"] == []
    make_user(other, "otherboss", "Admin")
    other_admin = login(api.as_(None, "other.test"), "otherboss")
    [theirs] = other_admin.ok("GET", "v1/tracking-emails/suppressions")["items"]
    assert admin.delete(f"v1/tracking-emails/suppressions/{theirs['id']}").status_code == 404
    assert len(other_admin.ok("GET", "v1/tracking-emails/suppressions")["items"]) == 1


def test_permissions(api, mail_env, demo_brand):
    make_user(demo_brand, "carol")
    carol = login(api, "carol")
    assert carol.get("v1/tracking-emails/suppressions").status_code == 403
    assert carol.delete("v1/tracking-emails/suppressions/x").status_code == 403


def test_transient_bounces_counted_at_the_same_time_both_count(aws_env, monkeypatch):
    from chalicelib.notify import suppressions
    from chalicelib.notify.models import SoftBounceItem

    real_save, raced = SoftBounceItem.save, []

    def racing_save(self, *args, **kwargs):
        if not raced:  # another Lambda counts a bounce between our read and our write
            raced.append(True)
            suppressions._count_soft("x@example.com", "theirs", settings.now())
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(SoftBounceItem, "save", racing_save)
    recent = suppressions._count_soft("x@example.com", "ours", settings.now())
    assert set(recent) == {"theirs", "ours"}
    stored = SoftBounceItem.get("SUPPRESS#x@example.com", "SOFT")
    assert set(stored.bounces) == {"theirs", "ours"} and stored.version == 2
