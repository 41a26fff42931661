"""Who may act on a user's own things: the user themselves, or a holder of a permission.

One rule for every "self or permission" route (a user's profile, referrals, devices, downloads):
the caller is the user (inside the request's brand), or holds ``permission`` there.
"""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import Forbidden, Unauthorized
from chalicelib.identity import access, users


def is_self(ctx: RequestContext, user_id: str) -> bool:
    """Is the caller the user ``user_id`` of the request's brand?"""
    caller = ctx.caller
    return bool(caller and caller.user_id == user_id and caller.brand_id == ctx.brand_id)


def require_self_or(ctx: RequestContext, user_id: str, permission: str, *,
                    what: str = "this", must_exist: bool = False) -> None:
    """The caller is the user, or holds ``permission``: else 401 without a caller, 403
    "You need the permission <permission> for <what>." (PERMISSION_DENIED). ``must_exist``: the
    user must then exist in the brand (404 USER_NOT_FOUND otherwise)."""
    if not is_self(ctx, user_id):
        if ctx.caller is None:
            raise Unauthorized("Send the Auth-Key header that POST v1/users/auth returned.",
                               code="AUTH_KEY_REQUIRED")
        if not access.has(ctx, permission):
            raise Forbidden(f"You need the permission {permission} for {what}.",
                            code="PERMISSION_DENIED")
    if must_exist:
        users.get_item(ctx.brand_id, user_id)
