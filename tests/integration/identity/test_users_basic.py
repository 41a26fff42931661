from tests.helpers.api import login, register_and_login


def test_register_login_me(api):
    me_api = register_and_login(api, "alice")
    me = me_api.ok("GET", "v1/users/me")
    assert me["username"] == "alice"
    assert me["emailAddress"] == "alice@example.com"
    assert me["status"] == "Active" and me["type"] == "EndUser"
    assert "passwordHash" not in me


def test_health_without_auth(client):
    from tests.helpers.api import Api

    resp = Api(client).get("v1/health")
    assert resp.status_code == 200
    assert resp.json_body["data"]["status"] == "ok"


def test_logout_revokes_only_the_auth_key_it_is_sent_with(api):
    phone = register_and_login(api, "alice")
    laptop = login(api, "alice")
    assert phone.ok("POST", "v1/users/auth/logout") is True
    resp = phone.get("v1/users/me")
    assert resp.status_code == 401
    assert resp.json_body["errors"][0]["code"] == "AUTH_KEY_INVALID"
    assert phone.post("v1/users/auth/logout").status_code == 401  # already gone
    assert laptop.ok("GET", "v1/users/me")["username"] == "alice"


def test_logout_needs_an_auth_key(api):
    resp = api.post("v1/users/auth/logout")
    assert resp.status_code == 401
    assert resp.json_body["errors"][0]["code"] == "AUTH_KEY_REQUIRED"


def test_expiry_date_is_a_date_even_without_a_package(api):
    """IUser.expiryDate is a non-nullable date-time: no expiring package means never."""
    me = register_and_login(api, "alice").ok("GET", "v1/users/me")
    assert me["package"] is None and me["packageId"] is None
    assert me["expiryDate"] == "9999-12-31T23:59:59Z"


def test_me_carries_the_package_the_user_is_on(api, demo_brand):
    from datetime import UTC, datetime

    from chalicelib.catalog import service as catalog
    from chalicelib.identity import users
    from chalicelib.store.tx import transaction

    catalog.create_package(demo_brand["id"], {"code": "FREE", "name": "Free", "isFree": True})
    pro = catalog.create_package(demo_brand["id"], {"code": "PRO", "name": "Pro", "tier": 2})
    alice = register_and_login(api, "alice")
    alice_id = alice.ok("GET", "v1/users/me")["id"]
    expiry = datetime(2031, 1, 31, 12, 0, tzinfo=UTC)
    item, actions, condition = users.package_update(demo_brand["id"], alice_id, pro["id"], expiry)
    with transaction() as tx:  # as licensing does when a subscription starts
        tx.update(item, actions, condition=condition)
    me = alice.ok("GET", "v1/users/me")
    assert me["packageId"] == pro["id"] and me["expiryDate"] == "2031-01-31T12:00:00Z"
    package = me["package"]
    assert package["id"] == pro["id"] and package["code"] == "PRO" and package["tier"] == 2
    assert {"features", "prices", "isFree", "isDefault", "status"} <= set(package)
