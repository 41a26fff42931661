"""Referrals (JFW's Invite Friends): check a code, apply one, list referees."""

from __future__ import annotations

from tests.helpers.api import Api, make_user, register_and_login
from tests.helpers.users import admin_of, error_of


def test_check_a_code_without_auth(api, client, demo_brand, other_brand):
    alice = make_user(demo_brand, "alice")
    anon = Api(client, "demo.test")
    assert anon.ok("GET", f"v1/users/referrals/{alice['referralCode']}/check") is True
    assert anon.ok("GET", f"v1/users/referrals/{alice['referralCode'].lower()}/check") is True
    assert anon.ok("GET", "v1/users/referrals/NOPE1234/check") is False
    # Codes belong to their brand.
    assert Api(client, "other.test").ok(
        "GET", f"v1/users/referrals/{alice['referralCode']}/check") is False


def test_register_with_a_code_lists_the_referee(api, demo_brand):
    alice = register_and_login(api, "alice")
    me = alice.ok("GET", "v1/users/me")
    bob = register_and_login(api, "bob", referralCode=me["referralCode"])
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    # A user reads their own referees without USER.READ.
    referees = alice.ok("GET", f"v1/users/{me['id']}/referees")
    assert [r["id"] for r in referees] == [bob_id]
    assert set(referees[0]) >= {"id", "code", "emailAddress", "nickName", "roles", "packageId"}
    # ... but not someone else's.
    resp = bob.get(f"v1/users/{me['id']}/referees")
    assert resp.status_code == 403 and "USER.READ" in error_of(resp)["message"]


def test_apply_a_code_once(api, demo_brand):
    alice = make_user(demo_brand, "alice")
    carol = make_user(demo_brand, "carol")
    bob = register_and_login(api, "bob")
    bob_me = bob.ok("GET", "v1/users/me")
    path = f"v1/users/{bob_me['id']}/referrals/apply?referralCode="
    assert bob.ok("POST", path + alice["referralCode"]) is True
    resp = bob.post(path + carol["referralCode"])
    assert resp.status_code == 409 and error_of(resp)["code"] == "REFERRER_ALREADY_SET"
    admin = admin_of(api, demo_brand)
    assert [r["id"] for r in admin.ok("GET", f"v1/users/{alice['id']}/referees")] == [
        bob_me["id"]]
    assert admin.ok("GET", f"v1/users/{carol['id']}/referees") == []


def test_apply_rejects_bad_codes(api, demo_brand, other_brand):
    bob = register_and_login(api, "bob")
    me = bob.ok("GET", "v1/users/me")
    path = f"v1/users/{me['id']}/referrals/apply"
    for code, expected in ((me["referralCode"], "REFERRAL_CODE_OWN"),
                           ("NOPE1234", "REFERRAL_CODE_INVALID"),
                           (make_user(other_brand, "x-other")["referralCode"],
                            "REFERRAL_CODE_INVALID")):
        resp = bob.post(f"{path}?referralCode={code}")
        assert resp.status_code == 400
        err = error_of(resp)
        assert err["code"] == expected and err["field"] == "referralCode"
    resp = bob.post(path)
    assert resp.status_code == 400 and error_of(resp)["field"] == "referralCode"
    # Nothing was linked: a good code still applies.
    good = make_user(demo_brand, "alice")["referralCode"]
    assert bob.ok("POST", f"{path}?referralCode={good}") is True


def test_referrals_do_not_go_in_a_circle(api, demo_brand):
    alice = register_and_login(api, "alice")
    alice_me = alice.ok("GET", "v1/users/me")
    bob = register_and_login(api, "bob", referralCode=alice_me["referralCode"])
    bob_me = bob.ok("GET", "v1/users/me")
    resp = alice.post(f"v1/users/{alice_me['id']}/referrals/apply"
                      f"?referralCode={bob_me['referralCode']}")
    assert resp.status_code == 400 and error_of(resp)["code"] == "REFERRAL_CYCLE"


def test_applying_for_someone_else_needs_user_update(api, admin, demo_brand):
    alice = make_user(demo_brand, "alice")
    carol = make_user(demo_brand, "carol")
    bob = register_and_login(api, "bob")
    resp = bob.post(f"v1/users/{carol['id']}/referrals/apply?referralCode="
                    f"{alice['referralCode']}")
    assert resp.status_code == 403
    assert admin.ok("POST", f"v1/users/{carol['id']}/referrals/apply?referralCode="
                            f"{alice['referralCode']}") is True
