"""Brand handlers. The dispatcher has checked the BRAND.* permission inside the caller's brand;
here the caller's reach is narrowed to their own brand and its descendants (the platform's
SuperAdmin reaches every brand), and anything outside it is 404."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest, Forbidden
from chalicelib.identity import access, brands


def _within(ctx: RequestContext) -> str | None:
    """The brand whose subtree the caller may reach; None for the platform's SuperAdmin."""
    assert ctx.caller is not None
    return None if ctx.caller.is_platform_admin else ctx.caller.brand_id


def _sent(ctx: RequestContext) -> dict:
    """The body's fields that were sent (null included), as JFW names them."""
    return ctx.body.model_dump(include=ctx.body.model_fields_set)


def get_brand(ctx: RequestContext, id: str) -> dict:
    return brands.get(id, within=_within(ctx))


def list_brands(ctx: RequestContext) -> dict:
    return brands.list_brands(ctx.query, within=_within(ctx))


def create_brand(ctx: RequestContext) -> dict:
    if not access.is_platform_admin(ctx):
        raise Forbidden("Only the platform's SuperAdmin can create brands.",
                        code="PERMISSION_DENIED")
    b = ctx.body
    profile = b.profile.model_dump(exclude_none=True) if b.profile else {}
    return brands.create(name=b.name, abbr=b.abbr, description=b.description, tags=b.tags,
                         domain=b.setting.domain, profile=profile, parent_id=b.parentId)


def update_brand(ctx: RequestContext, id: str) -> bool:
    brands.update_info(id, _sent(ctx), within=_within(ctx))
    return True


def update_setting(ctx: RequestContext, id: str) -> bool:
    values = _sent(ctx)
    if "coinCurrencyCode" in values:
        # IBrand.setting shows the coin currency as currencyCode.
        values["currencyCode"] = values.pop("coinCurrencyCode")
    if not values:
        raise BadRequest("Send at least one setting to change.", field="body")
    brands.update_setting(id, values, within=_within(ctx))
    return True


def update_profile(ctx: RequestContext, id: str) -> bool:
    brands.update_profile(id, _sent(ctx), within=_within(ctx))
    return True


def delete_brand(ctx: RequestContext, id: str) -> bool:
    return brands.delete(id, within=_within(ctx))


def check_domain(ctx: RequestContext, domain: str) -> bool:
    try:
        host = brands.check_host(domain)
    except ValueError as e:
        raise BadRequest(f"domain {e}.", field="domain") from None
    return brands.domain_exists(host)


def add_domain(ctx: RequestContext, id: str) -> dict:
    return brands.add_domain(id, ctx.body.domain, ctx.body.type, within=_within(ctx))


def remove_domain(ctx: RequestContext, id: str, domainId: str) -> bool:
    return brands.remove_domain(id, domainId, within=_within(ctx))
