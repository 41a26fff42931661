"""Password handlers: forgot, reset (by mailed token), change (logged in)."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.identity import recovery


def forgot_password(ctx: RequestContext) -> bool:
    b = ctx.body
    return recovery.forgot_password(ctx.brand, b.emailAddress, b.resetPasswordLink)


def reset_password(ctx: RequestContext) -> bool:
    b = ctx.body
    return recovery.reset_password(ctx.brand, b.emailAddress, b.token, b.newPassword)


def change_password(ctx: RequestContext) -> bool:
    b = ctx.body
    caller = ctx.caller
    brand = ctx.brand
    if brand is None or brand["id"] != caller.brand_id:  # a platform admin in another brand
        from chalicelib.identity import brands

        brand = brands.get(caller.brand_id)
    return recovery.change_password(brand, caller.user_id, b.oldPassword, b.newPassword,
                                    b.confirmPassword, client_ip=ctx.source_ip)
