"""Password routes (JFW v6.9.3 paths). Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import Route

H = "chalicelib.identity.recovery_api:"
S = "chalicelib.identity.recovery_schemas:"

ROUTES = [
    Route("POST", "/api/v1/users/forgot-password", H + "forgot_password",
          "Mail a single-use reset link (always true: whether the address is known is not told)",
          auth="none", body=S + "ForgotPasswordBody", returns="boolean", tag="Users",
          answers=(429,)),  # reset mails per address (identity/ratelimit.py)
    Route("POST", "/api/v1/users/reset-password", H + "reset_password",
          "Set a new password with the mailed token; every Auth-Key of the user stops working",
          auth="none", body=S + "ResetPasswordBody", returns="boolean", tag="Users"),
    Route("PUT", "/api/v1/users/change-password", H + "change_password",
          "Change your own password; every Auth-Key, this one included, stops working",
          body=S + "ChangePasswordBody", returns="boolean", tag="Users",
          answers=(429,)),  # wrong old passwords count as failed logins (identity/throttle.py)
]
