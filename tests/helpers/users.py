"""Admins and error envelopes for the identity-style tests: an Auth-Key'd Api per brand."""

from __future__ import annotations

from tests.helpers.api import Api, login, make_user


def admin_of(api: Api, brand: dict, username: str = "admin", user_type: str = "Admin") -> Api:
    """An Auth-Key'd Api for a new user of ``brand`` (Brand-URL = the brand's domain)."""
    make_user(brand, username, user_type)
    host = brand["domains"][0]["domain"]
    return login(api.as_(None, host), username)


def platform_root(api: Api, brand_url: str = "demo.test") -> Api:
    """The platform's SuperAdmin, speaking to ``brand_url``."""
    from chalicelib.identity import brands

    root = admin_of(api, brands.find_by_host("platform.test"), "root", "SuperAdmin")
    return root.as_(root.auth_key, brand_url)


def error_of(resp) -> dict:
    env = resp.json_body
    assert env["success"] is False and env["data"] is None
    err = env["errors"][0]
    assert err["code"] and err["message"] and err["correlationId"]
    return err
