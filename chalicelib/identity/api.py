"""Identity handlers: parse is done by the dispatcher; here we call services and shape replies."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.identity import sessions, users


def register(ctx: RequestContext) -> dict:
    b = ctx.body
    return users.register(
        ctx.brand, password=b.password, username=b.username, email_address=b.emailAddress,
        phone_number=b.phoneNumber, first_name=b.firstName, last_name=b.lastName,
        nick_name=b.nickName, referral_code=b.referralCode, time_zone_id=b.timeZoneId)


def login(ctx: RequestContext) -> dict:
    return users.authenticate(ctx.brand, ctx.body.username, ctx.body.password,
                              client_ip=ctx.source_ip)


def logout(ctx: RequestContext) -> bool:
    caller = ctx.caller
    sessions.revoke(caller.brand_id, caller.user_id, caller.session_id)
    return True


def me(ctx: RequestContext) -> dict:
    return users.to_dto(users.get_item(ctx.caller.brand_id, ctx.caller.user_id))


def brand_by_url(ctx: RequestContext) -> dict:
    return ctx.brand
