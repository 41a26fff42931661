"""``GET v1/constants/user/...``: JFW's enum names, as string[]."""

from __future__ import annotations

from chalicelib.http.context import RequestContext


def user_statuses(ctx: RequestContext) -> list[str]:
    from chalicelib.identity.users import USER_STATUSES

    return list(USER_STATUSES)


def user_types(ctx: RequestContext) -> list[str]:
    from chalicelib.identity.users import USER_TYPES

    return list(USER_TYPES)
