from tests.conftest import login, register_and_login


def test_register_login_me(api):
    me_api = register_and_login(api, "alice")
    me = me_api.ok("GET", "v1/users/me")
    assert me["username"] == "alice"
    assert me["emailAddress"] == "alice@example.com"
    assert me["status"] == "Active" and me["type"] == "EndUser"
    assert "passwordHash" not in me


def test_health_without_auth(client):
    from tests.conftest import Api

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
