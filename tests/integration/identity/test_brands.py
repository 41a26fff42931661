"""Brands over HTTP: create (platform only), read, list, update, settings, profile, soft delete,
the parent/child tree and who may reach which brand."""

from __future__ import annotations

import pytest

from tests.helpers.api import Api, login, make_user, register_and_login


@pytest.fixture
def platform(demo_brand) -> dict:
    from chalicelib.identity import brands

    return brands.find_by_host("platform.test")


@pytest.fixture
def root(client, platform) -> Api:
    """The platform's SuperAdmin (a SuperAdmin of the system brand)."""
    api = Api(client, "platform.test")
    make_user(platform, "root", "SuperAdmin")
    return login(api, "root")


@pytest.fixture
def demo_admin(api, demo_brand) -> Api:
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")


def new_brand(root: Api, name: str = "Acme", abbr: str = "ACME", domain: str = "acme.test",
              **extra) -> dict:
    return root.ok("POST", "v1/brands", {"name": name, "abbr": abbr,
                                         "setting": {"domain": domain}, **extra})


def stored_brand_count() -> int:
    from chalicelib.identity.models import BrandItem

    return sum(1 for _ in BrandItem.gsi1.query("BRANDS"))


def by_url(client, host: str):
    return Api(client, host).get("v1/brands/by-url")


# -- create ------------------------------------------------------------------------------------

def test_platform_superadmin_creates_a_brand_that_resolves_by_its_domain(root, client):
    brand = new_brand(root, description="Anvils", parentId=None,
                      profile={"logoUrl": "https://cdn.acme.test/logo.png", "slogan": "Boom"})
    assert brand["name"] == "Acme" and brand["abbr"] == "ACME" and brand["code"] == "ACME"
    assert brand["description"] == "Anvils" and brand["status"] == "Active"
    assert brand["isSystem"] is False and brand["parentId"] is None
    assert brand["setting"]["passwordPolicyLevel"] == "Medium"
    assert brand["profile"] == {"logoURL": "https://cdn.acme.test/logo.png", "slogan": "Boom"}
    [domain] = brand["domains"]
    assert domain["domain"] == "acme.test" and domain["isPrimary"] is True
    assert domain["type"] == "Client" and domain["protocol"] == "Https"

    resp = by_url(client, "ACME.test")
    assert resp.status_code == 200 and resp.json_body["data"]["id"] == brand["id"]
    assert root.ok("GET", f"v1/brands/{brand['id']}")["name"] == "Acme"


def test_a_taken_domain_is_409_and_writes_nothing(root):
    before = stored_brand_count()
    resp = root.post("v1/brands", {"name": "Copy", "abbr": "CPY",
                                   "setting": {"domain": "Demo.Test"}})
    assert resp.status_code == 409
    err = resp.json_body["errors"][0]
    assert err["code"] == "DOMAIN_TAKEN" and "demo.test" in err["message"]
    assert stored_brand_count() == before


@pytest.mark.parametrize("domain", ["https://acme.test", "acme.test:8080", "acme.test/x",
                                    "ac me.test", "-acme.test", "acme..test", "", "a" * 64 + ".x",
                                    "acme_test.com"])
def test_create_rejects_a_domain_that_is_not_a_host_name(root, domain):
    before = stored_brand_count()
    resp = root.post("v1/brands", {"name": "Acme", "abbr": "ACME",
                                   "setting": {"domain": domain}})
    assert resp.status_code == 400, resp.json_body
    err = resp.json_body["errors"][0]
    assert err["field"] == "setting.domain" and "host name" in err["message"]
    assert stored_brand_count() == before


@pytest.mark.parametrize("body, field", [
    ({"abbr": "A", "setting": {"domain": "a.test"}}, "name"),
    ({"name": "A", "setting": {"domain": "a.test"}}, "abbr"),
    ({"name": "A", "abbr": "A"}, "setting"),
    ({"name": "A", "abbr": "A B", "setting": {"domain": "a.test"}}, "abbr"),
    ({"name": "x" * 101, "abbr": "A", "setting": {"domain": "a.test"}}, "name"),
    ({"name": 5, "abbr": "A", "setting": {"domain": "a.test"}}, "name"),
    ({"name": "A", "abbr": "A", "setting": {"domain": "a.test"},
      "profile": {"logoUrl": "javascript:alert(1)"}}, "profile.logoUrl"),
])
def test_create_rejects_bad_bodies(root, body, field):
    before = stored_brand_count()
    resp = root.post("v1/brands", body)
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["field"] == field
    assert stored_brand_count() == before


def test_create_with_an_unknown_parent_is_400(root):
    resp = root.post("v1/brands", {"name": "A", "abbr": "A", "setting": {"domain": "a.test"},
                                   "parentId": "nope"})
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["code"] == "PARENT_BRAND_NOT_FOUND"


def test_only_the_platform_superadmin_creates_brands(api, demo_admin, demo_brand):
    body = {"name": "Mine", "abbr": "MINE", "setting": {"domain": "mine.test"}}
    before = stored_brand_count()
    assert demo_admin.post("v1/brands", body).status_code == 403
    make_user(demo_brand, "topdog", "SuperAdmin")  # SuperAdmin of a brand, not of the platform
    assert login(api, "topdog").post("v1/brands", body).status_code == 403
    assert register_and_login(api, "eve").post("v1/brands", body).status_code == 403
    assert api.post("v1/brands", body).status_code == 401
    assert stored_brand_count() == before


# -- the tree and who reaches what ---------------------------------------------------------------

def test_child_brands_carry_their_parent_and_are_listed_by_parent(root, demo_brand, platform):
    child = new_brand(root, "Demo Kids", "KIDS", "kids.demo.test", parentId=demo_brand["id"])
    grandchild = new_brand(root, "Demo Tots", "TOTS", "tots.demo.test", parentId=child["id"])
    assert child["parentId"] == demo_brand["id"]
    assert grandchild["parentId"] == child["id"]

    listed = root.ok("GET", f"v1/brands?parentId={demo_brand['id']}")
    assert [b["id"] for b in listed["items"]] == [child["id"]]
    listed = root.ok("GET", f"v1/brands?parentId={platform['id']}")
    assert [b["id"] for b in listed["items"]] == [demo_brand["id"]]


def test_a_brand_admin_reaches_their_brand_and_its_descendants_only(root, demo_admin,
                                                                    demo_brand, other_brand,
                                                                    platform):
    child = new_brand(root, "Demo Kids", "KIDS", "kids.demo.test", parentId=demo_brand["id"])
    grandchild = new_brand(root, "Demo Tots", "TOTS", "tots.demo.test", parentId=child["id"])

    for brand in (demo_brand, child, grandchild):
        assert demo_admin.ok("GET", f"v1/brands/{brand['id']}")["id"] == brand["id"]
    for brand in (other_brand, platform):  # a stranger, and the demo brand's own parent
        resp = demo_admin.get(f"v1/brands/{brand['id']}")
        assert resp.status_code == 404 and resp.json_body["errors"][0]["code"] == \
            "BRAND_NOT_FOUND"
    assert demo_admin.get("v1/brands/does-not-exist").status_code == 404

    listed = demo_admin.ok("GET", "v1/brands")
    assert {b["id"] for b in listed["items"]} == {demo_brand["id"], child["id"],
                                                  grandchild["id"]}
    assert listed["totalItems"] == 3

    everything = root.ok("GET", "v1/brands")
    assert {b["id"] for b in everything["items"]} == {platform["id"], demo_brand["id"],
                                                      other_brand["id"], child["id"],
                                                      grandchild["id"]}


def test_a_brand_admin_updates_descendants_but_not_strangers(root, demo_admin, other_brand,
                                                             demo_brand):
    child = new_brand(root, "Demo Kids", "KIDS", "kids.demo.test", parentId=demo_brand["id"])
    assert demo_admin.ok("PUT", f"v1/brands/{child['id']}", {"name": "Kids!", "abbr": "KIDS"})
    assert root.ok("GET", f"v1/brands/{child['id']}")["name"] == "Kids!"

    for method, path, body in [
        ("PUT", "", {"name": "Mine now", "abbr": "X"}),
        ("PUT", "/setting", {"passwordPolicyLevel": "Low"}),
        ("PUT", "/profile", {"slogan": "pwned"}),
        ("POST", "/domains", {"domain": "steal.test"}),
        ("DELETE", "", None),
    ]:
        resp = demo_admin.request(method, f"v1/brands/{other_brand['id']}{path}", body)
        assert resp.status_code == 404, (method, path, resp.json_body)
    untouched = root.ok("GET", f"v1/brands/{other_brand['id']}")
    assert untouched["name"] == "Other" and untouched["setting"]["passwordPolicyLevel"] == "Medium"
    assert untouched["profile"] == {"slogan": "Other"} and len(untouched["domains"]) == 1


def test_end_users_need_brand_permissions(api, demo_brand):
    eve = register_and_login(api, "eve")
    assert eve.get(f"v1/brands/{demo_brand['id']}").status_code == 403
    assert eve.get("v1/brands").status_code == 403
    assert eve.put(f"v1/brands/{demo_brand['id']}", {"name": "x", "abbr": "x"}).status_code == 403
    assert api.get("v1/brands").status_code == 401
    assert api.ok("GET", "v1/brands/by-url")["id"] == demo_brand["id"]  # public


# -- updates -------------------------------------------------------------------------------------

def test_put_brand_sets_sent_fields_keeps_missing_ones_and_clears_nulls(demo_admin, demo_brand,
                                                                        client):
    bid = demo_brand["id"]
    assert demo_admin.ok("PUT", f"v1/brands/{bid}", {"name": "Demo 2", "abbr": "D2",
                                                     "description": "d", "tags": "a,b"}) is True
    got = demo_admin.ok("GET", f"v1/brands/{bid}")
    assert (got["name"], got["abbr"], got["description"], got["tags"]) == ("Demo 2", "D2", "d",
                                                                           "a,b")
    assert got["code"] == "DEMO"  # the code is the brand's stable identifier
    demo_admin.ok("PUT", f"v1/brands/{bid}", {"name": "Demo 3", "abbr": "D3", "tags": None})
    got = demo_admin.ok("GET", f"v1/brands/{bid}")
    assert (got["name"], got["description"], got["tags"]) == ("Demo 3", "d", None)
    # The Brand-URL cache was cleared: by-url shows the change at once.
    assert by_url(client, "demo.test").json_body["data"]["name"] == "Demo 3"

    resp = demo_admin.put(f"v1/brands/{bid}", {"abbr": "D4"})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["field"] == "name"
    assert demo_admin.ok("GET", f"v1/brands/{bid}")["abbr"] == "D3"


def test_setting_password_policy_applies_to_the_next_registration(demo_admin, demo_brand, api):
    bid = demo_brand["id"]
    assert demo_admin.ok("PUT", f"v1/brands/{bid}/setting",
                         {"passwordPolicyLevel": "High"}) is True
    resp = api.post("v1/users/register", {"username": "weak", "password": "abcdefg1"})
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["code"] == "PASSWORD_POLICY"
    assert "High" in resp.json_body["errors"][0]["message"]
    api.ok("POST", "v1/users/register", {"username": "strong", "password": "Abcdefgh12!x"})

    demo_admin.ok("PUT", f"v1/brands/{bid}/setting", {"passwordPolicyLevel": "Low"})
    api.ok("POST", "v1/users/register", {"username": "weak", "password": "abcdef"})


def test_setting_merges_fields_and_keeps_settings_owned_elsewhere(demo_admin, demo_brand):
    from chalicelib.identity import brands

    bid = demo_brand["id"]
    ses().verify_domain_identity(Domain="demo.example.com")
    brands.update_setting(bid, {"taxRate": 7.5})  # another area's setting
    demo_admin.ok("PUT", f"v1/brands/{bid}/setting", {
        "domainWhiteListURLs": "https://a.test,https://b.test", "googleAnalyticsAccount": "G-1",
        "reCaptchaKey": "rk", "coinCurrencyCode": "eur", "cdnURL": "https://cdn.demo.test",
        "cdnFolder": "demo", "systemEmail": "noreply@demo.example.com", "systemEmailTitle": "Demo",
        "emailSupport": "help@demo.example.com", "emailSupportTitle": "Demo Support"})
    demo_admin.ok("PUT", f"v1/brands/{bid}/setting", {"reCaptchaKey": None, "cdnFolder": "v2"})
    s = demo_admin.ok("GET", f"v1/brands/{bid}")["setting"]
    assert s["taxRate"] == 7.5
    assert s["currencyCode"] == "EUR" and s["coinCurrencyCode"] == "EUR"
    assert s["domainWhiteListURLs"] == "https://a.test,https://b.test"
    assert s["googleAnalyticsAccount"] == "G-1" and s["reCaptchaKey"] is None
    assert s["cdnURL"] == "https://cdn.demo.test" and s["cdnFolder"] == "v2"
    assert s["systemEmail"] == "noreply@demo.example.com"
    assert s["emailSupportTitle"] == "Demo Support"
    assert s["passwordPolicyLevel"] == "Medium"


@pytest.mark.parametrize("body, field", [
    ({"passwordPolicyLevel": "Extreme"}, "passwordPolicyLevel"),
    ({"passwordPolicyLevel": 2}, "passwordPolicyLevel"),
    ({"coinCurrencyCode": "EURO"}, "coinCurrencyCode"),
    ({"systemEmail": "not-an-email"}, "systemEmail"),
    ({"cdnURL": "ftp://cdn"}, "cdnURL"),
    ({}, "body"),
])
def test_setting_rejects_bad_values_and_changes_nothing(demo_admin, demo_brand, body, field):
    bid = demo_brand["id"]
    before = demo_admin.ok("GET", f"v1/brands/{bid}")
    resp = demo_admin.put(f"v1/brands/{bid}/setting", body)
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["field"] == field
    after = demo_admin.ok("GET", f"v1/brands/{bid}")
    assert after["setting"] == before["setting"] and after["modifiedDate"] == \
        before["modifiedDate"]


def ses():
    from chalicelib.store import aws

    return aws.client("ses")


def test_an_unverified_sender_is_refused_with_how_to_verify_it(demo_admin, demo_brand):
    """Mail from an address SES hasn't verified would be refused, every mail of the brand ending
    in the dead-letter queue: the setting says so at once and changes nothing."""
    bid = demo_brand["id"]
    before = demo_admin.ok("GET", f"v1/brands/{bid}")["setting"]
    resp = demo_admin.put(f"v1/brands/{bid}/setting", {"systemEmail": "billing@acme.example.com",
                                                       "systemEmailTitle": "Acme"})
    assert resp.status_code == 400
    [error] = resp.json_body["errors"]
    assert error["code"] == "SENDER_NOT_VERIFIED" and error["field"] == "systemEmail"
    assert "billing@acme.example.com" in error["message"]
    assert "verify-domain-identity --domain acme.example.com" in error["message"]
    assert demo_admin.ok("GET", f"v1/brands/{bid}")["setting"] == before

    ses().verify_domain_identity(Domain="acme.example.com")  # the domain: any address on it
    demo_admin.ok("PUT", f"v1/brands/{bid}/setting", {"systemEmail": "billing@acme.example.com"})
    ses().verify_email_identity(EmailAddress="me@other.example.org")  # or the address itself
    demo_admin.ok("PUT", f"v1/brands/{bid}/setting", {"systemEmail": "me@other.example.org"})
    assert demo_admin.ok("GET", f"v1/brands/{bid}")["setting"]["systemEmail"] == \
        "me@other.example.org"
    demo_admin.ok("PUT", f"v1/brands/{bid}/setting", {"systemEmail": None})  # back to default


def test_the_local_stages_take_localhost_senders(demo_admin, demo_brand):
    """The seeded no-reply@demo.localhost can be set back (and SES here accepts mail from it)."""
    bid = demo_brand["id"]
    demo_admin.ok("PUT", f"v1/brands/{bid}/setting", {"systemEmail": "no-reply@demo.localhost",
                                                      "emailSupport": "support@demo.localhost"})
    setting = demo_admin.ok("GET", f"v1/brands/{bid}")["setting"]
    assert setting["systemEmail"] == "no-reply@demo.localhost"
    assert setting["emailSupport"] == "support@demo.localhost"
    attrs = ses().get_identity_verification_attributes(
        Identities=["no-reply@demo.localhost"])["VerificationAttributes"]
    assert attrs["no-reply@demo.localhost"]["VerificationStatus"] == "Success"


def test_deployed_stages_refuse_localhost_senders(demo_admin, demo_brand):
    from chalicelib import settings

    before = settings.get()
    settings._settings = before._replace(stage="prod")
    try:
        resp = demo_admin.put(f"v1/brands/{demo_brand['id']}/setting",
                              {"systemEmail": "no-reply@demo.localhost"})
    finally:
        settings._settings = before
    assert resp.status_code == 400 and resp.json_body["errors"][0]["field"] == "systemEmail"


def test_profile_update(demo_admin, demo_brand):
    bid = demo_brand["id"]
    assert demo_admin.ok("PUT", f"v1/brands/{bid}/profile", {
        "slogan": "Hi", "logoURL": "https://x.test/l.png", "primaryColor": "#ff0000",
        "secondaryColor": "rgb(0, 0, 0)"}) is True
    demo_admin.ok("PUT", f"v1/brands/{bid}/profile", {"slogan": "Hello", "secondaryColor": None})
    assert demo_admin.ok("GET", f"v1/brands/{bid}")["profile"] == {
        "slogan": "Hello", "logoURL": "https://x.test/l.png", "primaryColor": "#ff0000"}
    resp = demo_admin.put(f"v1/brands/{bid}/profile", {"slogan": "x", "primaryColor": "red;}"})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["field"] == "primaryColor"
    resp = demo_admin.put(f"v1/brands/{bid}/profile", {"logoURL": "https://x.test/2.png"})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["field"] == "slogan"


def test_profile_slogan_is_always_a_string(demo_admin, demo_brand, client):
    """IBrandProfile.slogan is a non-empty string in the SDK: the brand's name until set."""
    assert by_url(client, "demo.test").json_body["data"]["profile"]["slogan"] == "Demo"
    demo_admin.ok("PUT", f"v1/brands/{demo_brand['id']}/profile", {"slogan": "Ship it"})
    assert by_url(client, "demo.test").json_body["data"]["profile"]["slogan"] == "Ship it"


# -- domains -------------------------------------------------------------------------------------

def test_brand_domains_resolve_brand_url_and_are_released_on_removal(demo_admin, demo_brand,
                                                                     client, other_brand):
    bid = demo_brand["id"]
    assert demo_admin.ok("GET", "v1/brands/check-domain-exists/shop.demo.test") is False
    entry = demo_admin.ok("POST", f"v1/brands/{bid}/domains",
                          {"domain": "Shop.Demo.Test", "type": "Admin"})
    assert entry["domain"] == "shop.demo.test" and entry["type"] == "Admin"
    assert entry["isPrimary"] is False
    assert by_url(client, "https://shop.demo.test/cart").json_body["data"]["id"] == bid
    assert demo_admin.ok("GET", "v1/brands/check-domain-exists/SHOP.demo.test") is True

    taken = demo_admin.post(f"v1/brands/{bid}/domains", {"domain": "other.test"})
    assert taken.status_code == 409 and taken.json_body["errors"][0]["code"] == "DOMAIN_TAKEN"
    again = demo_admin.post(f"v1/brands/{bid}/domains", {"domain": "shop.demo.test"})
    assert again.status_code == 409
    bad = demo_admin.post(f"v1/brands/{bid}/domains", {"domain": "shop.demo.test",
                                                       "type": "Shop"})
    assert bad.status_code == 400 and bad.json_body["errors"][0]["field"] == "type"

    domains = demo_admin.ok("GET", f"v1/brands/{bid}")["domains"]
    assert [d["domain"] for d in domains] == ["demo.test", "shop.demo.test"]
    primary = next(d for d in domains if d["isPrimary"])
    resp = demo_admin.delete(f"v1/brands/{bid}/domains/{primary['id']}")
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == "DOMAIN_IS_PRIMARY"
    assert demo_admin.delete(f"v1/brands/{bid}/domains/nope").status_code == 404

    assert demo_admin.ok("DELETE", f"v1/brands/{bid}/domains/{entry['id']}") is True
    assert by_url(client, "shop.demo.test").status_code == 404
    assert demo_admin.ok("GET", "v1/brands/check-domain-exists/shop.demo.test") is False
    assert [d["domain"] for d in demo_admin.ok("GET", f"v1/brands/{bid}")["domains"]] == \
        ["demo.test"]
    # Released: another brand may take it now.
    from chalicelib.identity import brands

    brands.add_domain(other_brand["id"], "shop.demo.test")
    assert by_url(client, "shop.demo.test").json_body["data"]["id"] == other_brand["id"]


def test_check_domain_exists(demo_admin):
    assert demo_admin.ok("GET", "v1/brands/check-domain-exists/demo.test") is True
    assert demo_admin.ok("GET", "v1/brands/check-domain-exists/OTHER.test") is False
    resp = demo_admin.get("v1/brands/check-domain-exists/not_a_host")
    assert resp.status_code == 400 and "host name" in resp.json_body["errors"][0]["message"]


# -- delete --------------------------------------------------------------------------------------

def test_soft_delete(root, demo_brand, client, platform):
    child = new_brand(root, "Demo Kids", "KIDS", "kids.demo.test", parentId=demo_brand["id"])
    resp = root.delete(f"v1/brands/{demo_brand['id']}")
    assert resp.status_code == 409
    assert resp.json_body["errors"][0]["code"] == "BRAND_HAS_CHILDREN"

    assert root.ok("DELETE", f"v1/brands/{child['id']}") is True
    assert root.get(f"v1/brands/{child['id']}").status_code == 404
    gone = by_url(client, "kids.demo.test")
    assert gone.status_code == 404 and "kids.demo.test" in gone.json_body["message"]
    assert child["id"] not in {b["id"] for b in root.ok("GET", "v1/brands")["items"]}
    assert root.ok("GET", "v1/brands/check-domain-exists/kids.demo.test") is False
    assert root.get(f"v1/brands/{child['id']}").status_code == 404
    assert root.delete(f"v1/brands/{child['id']}").status_code == 404

    from chalicelib.identity.models import BrandItem

    kept = BrandItem.get(f"B#{child['id']}", "BRAND")
    assert kept.is_deleted is True and kept.name == "Demo Kids"  # soft: the data stays

    # The last child is gone, so the parent can go now.
    assert root.ok("DELETE", f"v1/brands/{demo_brand['id']}") is True
    assert by_url(client, "demo.test").status_code == 404


def test_delete_refuses_the_system_brand_and_your_own(root, demo_admin, platform, demo_brand):
    resp = root.delete(f"v1/brands/{platform['id']}")
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == "BRAND_IS_SYSTEM"
    resp = demo_admin.delete(f"v1/brands/{demo_brand['id']}")
    assert resp.status_code == 403 and resp.json_body["errors"][0]["code"] == "BRAND_IS_YOURS"
    assert root.ok("GET", f"v1/brands/{demo_brand['id']}")["id"] == demo_brand["id"]


def test_brand_admin_deletes_a_descendant(root, demo_admin, demo_brand):
    child = new_brand(root, "Demo Kids", "KIDS", "kids.demo.test", parentId=demo_brand["id"])
    assert demo_admin.ok("DELETE", f"v1/brands/{child['id']}") is True
    assert demo_admin.get(f"v1/brands/{child['id']}").status_code == 404


# -- concurrency ---------------------------------------------------------------------------------

def test_concurrent_setting_writes_lose_nothing(demo_brand, monkeypatch):
    """A writer that read before another one committed re-reads instead of overwriting."""
    from chalicelib.identity import brands

    real_get_item = brands.get_item
    raced = []

    def get_item_then_someone_writes(brand_id, *, within=None):
        item = real_get_item(brand_id, within=within)
        if not raced:
            raced.append(True)
            brands.update_setting(brand_id, {"cdnFolder": "from-the-other-writer"})
        return item

    monkeypatch.setattr(brands, "get_item", get_item_then_someone_writes)
    brands.update_setting(demo_brand["id"], {"reCaptchaKey": "mine"})
    setting = real_get_item(demo_brand["id"]).setting.as_dict()
    assert setting["cdnFolder"] == "from-the-other-writer"
    assert setting["reCaptchaKey"] == "mine"


def test_a_child_created_while_its_parent_is_deleted_is_not_orphaned(demo_brand, monkeypatch):
    from chalicelib.http.errors import Conflict
    from chalicelib.identity import brands

    real_get_item = brands.get_item
    raced = []

    def get_item_then_a_child_appears(brand_id, *, within=None):
        item = real_get_item(brand_id, within=within)
        if brand_id == demo_brand["id"] and not raced:
            raced.append(True)
            brands.create(name="Late", abbr="LATE", domain="late.test",
                          parent_id=demo_brand["id"])
        return item

    monkeypatch.setattr(brands, "get_item", get_item_then_a_child_appears)
    with pytest.raises(Conflict) as e:
        brands.delete(demo_brand["id"])
    assert e.value.code == "BRAND_HAS_CHILDREN"
    assert brands.find_by_host("demo.test")["id"] == demo_brand["id"]
    assert brands.find_by_host("late.test")["parentId"] == demo_brand["id"]


def test_tax_rate_setting_is_used_by_quotes_exactly(client, demo_brand):
    """taxRate (our addition) is set through the setting route and kept as an exact decimal."""
    from tests.helpers.api import Api, login, make_user

    make_user(demo_brand, "taxboss", "Admin")
    admin = login(Api(client, "demo.test"), "taxboss")
    assert admin.ok("PUT", f"v1/brands/{demo_brand['id']}/setting", {"taxRate": 8.875}) is True
    brand = admin.ok("GET", "v1/brands/by-url")
    assert brand["setting"]["taxRate"] == "8.875"
    from chalicelib.catalog import quotes

    assert str(quotes.tax_rate(brand)) == "8.875"
    for bad in (-1, 100.5, "x", 1.23456):
        resp = admin.put(f"v1/brands/{demo_brand['id']}/setting", {"taxRate": bad})
        assert resp.status_code == 400, bad
        assert resp.json_body["errors"][0]["field"] == "taxRate"
    # Numbers as written (issue 10): no float in between rounds 8.87500000000000000001 to 8.875.
    for literal in ("8.87500000000000000001", "NaN", "Infinity", "1e26", "1" + "0" * 400):
        resp = admin.request("PUT", f"v1/brands/{demo_brand['id']}/setting",
                             raw=b'{"taxRate": ' + literal.encode() + b"}")
        assert resp.status_code == 400, literal
        assert resp.json_body["errors"][0]["field"] == "taxRate"
    assert admin.ok("GET", "v1/brands/by-url")["setting"]["taxRate"] == "8.875"
