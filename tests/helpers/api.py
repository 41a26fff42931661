"""Speaking JFW to the app in tests: the Api client and users made through the API or the
service."""

from __future__ import annotations

import json


class Api:
    """Speaks JFW to the app: JSON bodies, Brand-URL and Auth-Key headers, envelope checks."""

    def __init__(self, client, brand_url: str | None = None) -> None:
        self.client = client
        self.brand_url = brand_url
        self.auth_key: str | None = None

    def as_(self, auth_key: str | None = None, brand_url: str | None = None) -> Api:
        other = Api(self.client, brand_url or self.brand_url)
        other.auth_key = auth_key
        return other

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                raw: bytes | str | None = None):
        h = {"Content-Type": "application/json"}
        if self.brand_url is not None:
            h["Brand-URL"] = self.brand_url
        if self.auth_key:
            h["Auth-Key"] = self.auth_key
        h.update(headers or {})
        if not path.startswith("/"):
            path = "/api/" + path
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        resp = getattr(self.client.http, method.lower())(path, headers=h, body=data)
        assert resp.status_code != 500, f"{method} {path} -> 500: {resp.body!r}"
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, method: str, path: str, body=None, **kw):
        resp = self.request(method, path, body, **kw)
        assert 200 <= resp.status_code < 300, (
            f"{method} {path} -> {resp.status_code}: {resp.body!r}")
        env = resp.json_body
        assert env["success"] is True and env["errors"] == []
        return env["data"]


def register_and_login(api: Api, username: str = "alice", password: str = "s3cret-Pass",
                       email: str | None = None, **extra) -> Api:
    api.ok("POST", "v1/users/register", {"username": username, "password": password,
                                         "emailAddress": email or f"{username}@example.com",
                                         **extra})
    data = api.ok("POST", "v1/users/auth", {"username": username, "password": password})
    return api.as_(data["authKey"])


def make_user(brand: dict, username: str, user_type: str = "EndUser",
              password: str = "s3cret-Pass") -> dict:
    """A user created through the service (for admins, which register can't make)."""
    from chalicelib.identity import users

    return users.register(brand, password=password, username=username,
                          email_address=f"{username}@example.com", user_type=user_type)


def login(api: Api, username: str, password: str = "s3cret-Pass") -> Api:
    data = api.ok("POST", "v1/users/auth", {"username": username, "password": password})
    return api.as_(data["authKey"])
