"""Handlers of license validation and offline certificates (certificates.py, validation.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext


def validate(ctx: RequestContext) -> dict[str, Any]:
    from chalicelib.identity import service as identity
    from chalicelib.licensing import validation

    if ctx.caller is None:
        validation.throttle_anonymous(ctx.brand_id, ctx.source_ip)
    return validation.validate(ctx.brand or {}, ctx.body, identity.has_permission(ctx, "USER.READ"),
                               full=identity.has_permission(ctx, "LICENSE.READ"))


def public_key(ctx: RequestContext) -> dict[str, Any]:
    from chalicelib.licensing import certificates

    return certificates.public_key_dto(ctx.brand_id)


def certificate(ctx: RequestContext) -> dict[str, Any]:
    from chalicelib.licensing import certificates

    assert ctx.caller is not None
    return certificates.issue(ctx.brand or {}, ctx.caller.user_id, ctx.body.deviceCode)
