from tests.conftest import register_and_login


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
