"""Identity routes (JFW v6.9.3 paths). Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import Route

H = "chalicelib.identity.api:"
S = "chalicelib.identity.schemas:"

ROUTES = [
    Route("GET", "/api/v1/brands/by-url", H + "brand_by_url", "The brand of the Brand-URL header",
          auth="none", tag="Brands"),
    Route("POST", "/api/v1/users/register", H + "register", "Register a user",
          auth="none", body=S + "RegisterBody", tag="Users"),
    Route("POST", "/api/v1/users/auth", H + "login", "Log in; returns an Auth-Key",
          auth="none", body=S + "AuthBody", tag="Users",
          answers=(401, 429)),  # a wrong password; the throttle (identity/throttle.py)
    Route("POST", "/api/v1/users/auth/logout", H + "logout",
          "Log out: the Auth-Key sent with this call stops working (our addition)",
          returns="boolean", tag="Users"),
    Route("GET", "/api/v1/users/me", H + "me", "The logged-in user", tag="Users"),
    Route("GET", "/api/v1/users/referrals/{code}/check",
          "chalicelib.identity.admin_api:check_referral", "Whether a referral code exists",
          auth="none", returns="boolean", tag="Users"),
]
