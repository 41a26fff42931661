"""Apply flows (v1/licenses/apply, apply-to-login-name, apply-to-user): one transaction, one use
per code (also under concurrency), JFW's Licensing Flow for the package and expiry (extend,
replace, queue), the user told by mail."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.licensing import models as m
from tests.helpers.api import login, make_user, register_and_login
from tests.helpers.licensing import (
    T0,
    licensing_items,
    mails,
    new_license,
    set_policy,
    user_id_of,
    user_item,
)
from tests.helpers.payments import run_together, serialised_dynamodb

NEVER = "9999-12-31T23:59:59Z"  # IUser.expiryDate of a package with no end



def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def me(api) -> dict:
    data = api.ok("GET", "v1/users/me")
    return {"packageId": data["packageId"], "expiryDate": data["expiryDate"]}


def test_apply_gives_the_package_for_the_type_and_tells_the_user(admin, alice, shop, clock,
                                                                  demo_brand):
    lic = new_license(admin, shop["pro"])[0]
    assert alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}") is True
    assert me(alice) == {"packageId": shop["pro"], "expiryDate": iso(T0 + timedelta(days=30))}
    got = admin.ok("GET", f"v1/licenses/{lic['id']}")
    assert got["status"] == "Used" and got["usedByUserId"] == user_id_of(alice)
    assert got["usedDate"].startswith("2030-03-10T12:00")
    sent = mails(demo_brand["id"], "LICENSE.APPLIED.SUCCESS")
    assert len(sent) == 1 and sent[0].payload["to"] == "alice@example.com"
    assert sent[0].payload["context"]["license"]["package_name"] == "Pro"
    # Used once: a second apply, by anyone, is refused and changes nothing.
    resp = alice.post(f"v1/licenses/apply?licenseCode={lic['code']}")
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == "LICENSE_USED"
    assert me(alice)["expiryDate"] == iso(T0 + timedelta(days=30))
    assert len(mails(demo_brand["id"], "LICENSE.APPLIED.SUCCESS")) == 1


def test_the_same_package_extends_from_the_later_of_now_and_the_expiry(admin, alice, shop,
                                                                        clock):
    a, b, c = new_license(admin, shop["pro"], quantity=3, end=T0 + timedelta(days=400))
    alice.ok("POST", f"v1/licenses/apply?licenseCode={a['code']}")
    clock.move(days=10)
    alice.ok("POST", f"v1/licenses/apply?licenseCode={b['code']}")
    assert me(alice) == {"packageId": shop["pro"], "expiryDate": iso(T0 + timedelta(days=60))}
    clock.set(T0 + timedelta(days=100))  # long expired: counts from now
    alice.ok("POST", f"v1/licenses/apply?licenseCode={c['code']}")
    assert me(alice)["expiryDate"] == iso(T0 + timedelta(days=130))


def test_another_package_replaces_the_current_one_by_default(admin, alice, shop, clock):
    pro = new_license(admin, shop["pro"])[0]
    gold = new_license(admin, shop["gold"], subtype="D90")[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={pro['code']}")
    clock.move(days=5)
    alice.ok("POST", f"v1/licenses/apply?licenseCode={gold['code']}")
    assert me(alice) == {"packageId": shop["gold"],
                         "expiryDate": iso(T0 + timedelta(days=5 + 90))}


def test_queue_policy_starts_the_new_package_when_the_current_one_ends(
        admin, alice, shop, clock, demo_brand):
    from chalicelib.licensing import expiry

    set_policy(demo_brand["id"], licenseChangePolicy="Queue")
    pro = new_license(admin, shop["pro"])[0]
    gold, gold2 = new_license(admin, shop["gold"], subtype="D90", quantity=2)
    alice.ok("POST", f"v1/licenses/apply?licenseCode={pro['code']}")
    clock.move(days=5)
    alice.ok("POST", f"v1/licenses/apply?licenseCode={gold['code']}")
    pro_end = T0 + timedelta(days=30)
    assert me(alice) == {"packageId": shop["pro"], "expiryDate": iso(pro_end)}
    [applied] = [r.payload["context"] for r in mails(demo_brand["id"], "LICENSE.APPLIED.SUCCESS")
                 if r.payload["context"]["license"]["code"] == gold["code"]]
    assert applied["license"]["queued"] is True
    assert applied["license"]["start_date"] == "2030-04-09 12:00 UTC"
    resp = alice.post(f"v1/licenses/apply?licenseCode={gold2['code']}")
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == \
        "LICENSE_QUEUE_FULL"
    assert admin.ok("GET", f"v1/licenses/{gold2['id']}")["status"] == "Active"  # not used
    clock.set(pro_end + timedelta(minutes=1))
    assert expiry.run()["queued-started"] == 1
    assert me(alice) == {"packageId": shop["gold"],
                         "expiryDate": iso(pro_end + timedelta(days=90))}
    assert expiry.run().get("queued-started") is None  # once


def test_a_license_with_no_subscription_type_gives_the_package_with_no_end(admin, alice, shop,
                                                                            clock):
    pro = new_license(admin, shop["pro"])[0]
    forever = new_license(admin, shop["gold"], subtype=None)[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={pro['code']}")
    alice.ok("POST", f"v1/licenses/apply?licenseCode={forever['code']}")
    assert me(alice) == {"packageId": shop["gold"], "expiryDate": NEVER}


def test_unusable_codes_are_refused_and_nothing_is_written(admin, alice, shop, clock,
                                                           demo_brand, api, other_brand):
    later = new_license(admin, shop["pro"], start=T0 + timedelta(days=2))[0]
    off = new_license(admin, shop["pro"])[0]
    admin.ok("PUT", f"v1/licenses/{off['id']}/deactivate")
    old = new_license(admin, shop["pro"], start=T0 - timedelta(days=9),
                      end=T0 - timedelta(days=1))[0]
    for code, want in ((later["code"], "LICENSE_NOT_STARTED"), (off["code"], "LICENSE_INACTIVE"),
                       (old["code"], "LICENSE_EXPIRED"), ("NOSUCHCODE", "LICENSE_NOT_FOUND")):
        resp = alice.post(f"v1/licenses/apply?licenseCode={code}")
        assert 400 <= resp.status_code < 500 and resp.json_body["errors"][0]["code"] == want
    assert alice.post("v1/licenses/apply").status_code == 400
    # A code of this brand means nothing in another brand.
    make_user(other_brand, "olga")
    olga = login(api.as_(None, "other.test"), "olga")
    assert olga.post(f"v1/licenses/apply?licenseCode={later['code']}").status_code == 404
    assert licensing_items(m.SubscriptionItem) == []
    assert me(alice) == {"packageId": None, "expiryDate": NEVER}
    assert mails(demo_brand["id"], "LICENSE.APPLIED.SUCCESS") == []


def test_apply_to_login_name_and_to_user(api, admin, alice, shop, clock, demo_brand,
                                         other_brand):
    a, b = new_license(admin, shop["pro"], quantity=2)
    bob = register_and_login(api, "bob", email="bob@example.com")
    assert admin.ok("POST", f"v1/licenses/apply-to-login-name?licenseCode={a['code']}"
                            "&loginName=bob@example.com") is True
    assert me(bob)["packageId"] == shop["pro"]
    assert admin.ok("POST", "v1/licenses/apply-to-user",
                    {"licenseCode": b["code"], "userId": user_id_of(alice)}) is True
    assert me(alice)["packageId"] == shop["pro"]
    assert {m_.payload["to"] for m_ in mails(demo_brand["id"], "LICENSE.APPLIED.SUCCESS")} == {
        "bob@example.com", "alice@example.com"}
    c = new_license(admin, shop["pro"])[0]
    # An end user may not apply someone else's (non-Prepaid) license to another account.
    resp = alice.post(f"v1/licenses/apply-to-login-name?licenseCode={c['code']}&loginName=bob")
    assert resp.status_code == 403
    assert alice.post("v1/licenses/apply-to-user", {"licenseCode": c["code"],
                                                    "userId": user_id_of(bob)}).status_code == 403
    # Unknown users, and users of another brand, are 404.
    assert admin.post(f"v1/licenses/apply-to-login-name?licenseCode={c['code']}"
                      "&loginName=nobody").status_code == 404
    stranger = make_user(other_brand, "stranger")
    assert admin.post("v1/licenses/apply-to-user", {"licenseCode": c["code"],
                                                    "userId": stranger["id"]}).status_code == 404
    assert admin.post("v1/licenses/apply-to-user", {"licenseCode": c["code"]}).status_code == 400
    assert admin.ok("GET", f"v1/licenses/{c['id']}")["status"] == "Active"


def test_the_buyer_of_a_prepaid_license_hands_it_out(api, admin, alice, shop, clock,
                                                     demo_brand):
    lic = new_license(admin, shop["pro"], type="Prepaid")[0]
    item = m.LicenseItem.get(m.license_pk(demo_brand["id"], lic["id"]), m.LICENSE_SK)
    item.update(actions=[m.LicenseItem.assigned_user_id.set(user_id_of(alice))])  # the buyer
    register_and_login(api, "carol", email="carol@example.com")
    assert alice.ok("POST", f"v1/licenses/apply-to-login-name?licenseCode={lic['code']}"
                            "&loginName=carol") is True
    carol = login(api, "carol")
    assert me(carol)["packageId"] == shop["pro"] and me(alice)["packageId"] is None


def test_two_concurrent_applies_of_one_code_exactly_one_wins(api, admin, shop, clock,
                                                            demo_brand):
    from chalicelib.http.errors import Conflict
    from chalicelib.licensing import apply

    lic = new_license(admin, shop["pro"])[0]
    users = [make_user(demo_brand, f"racer{i}") for i in range(4)]
    with serialised_dynamodb():
        outcomes = run_together(4, lambda i: apply.apply_code(demo_brand, lic["code"],
                                                              users[i]["id"]))
    wins = [o for o in outcomes if o is True]
    losses = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(wins) == 1 and len(losses) == 3, outcomes
    holders = [u for u in users if user_item(demo_brand["id"], u["id"]).package_id]
    assert len(holders) == 1
    assert admin.ok("GET", f"v1/licenses/{lic['id']}")["usedByUserId"] == holders[0]["id"]
    assert len(licensing_items(m.SubscriptionItem)) == 1
    assert len(mails(demo_brand["id"], "LICENSE.APPLIED.SUCCESS")) == 1


def test_concurrent_applies_of_two_codes_to_one_user_both_count(admin, alice, shop, clock,
                                                                demo_brand):
    from chalicelib.licensing import apply

    a, b = new_license(admin, shop["pro"], quantity=2)
    uid = user_id_of(alice)
    with serialised_dynamodb():
        outcomes = run_together(2, lambda i: apply.apply_code(demo_brand, (a, b)[i]["code"],
                                                              uid))
    assert outcomes == [True, True]
    assert me(alice)["expiryDate"] == iso(T0 + timedelta(days=60))
