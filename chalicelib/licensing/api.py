"""Handlers of ``v1/licenses`` (api-surface.md §11), the licensing constants and settings, and
the dev-only clock and job routes. Parse, authorise, call the service, shape the reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import settings
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest, Forbidden, NotFound


def _caller_code(ctx: RequestContext) -> str | None:
    from chalicelib.identity import service as identity

    if ctx.caller is None or ctx.caller.brand_id != ctx.brand_id:
        return None
    try:
        return identity.get_user_item(ctx.brand_id, ctx.caller.user_id).code
    except NotFound:
        return None


def _body(ctx: RequestContext) -> dict[str, Any]:
    return ctx.body.model_dump()


# -- CRUD ----------------------------------------------------------------------------------------

def generate_code(ctx: RequestContext) -> str:
    from chalicelib.licensing import licenses

    q = ctx.query
    assert ctx.brand is not None
    return licenses.generate_code(ctx.brand, q["packageId"], q["subscriptionTypeId"],
                                  q.get("startDate"))


def create_licenses(ctx: RequestContext) -> dict:
    from chalicelib.licensing import licenses

    assert ctx.brand is not None
    return licenses.create_many(ctx.brand, _caller_code(ctx), _body(ctx))


def list_licenses(ctx: RequestContext) -> dict:
    from chalicelib.licensing import licenses

    return licenses.list_licenses(ctx.brand_id, ctx.query)


def count_licenses(ctx: RequestContext) -> dict:
    from chalicelib.licensing import licenses

    return licenses.count(ctx.brand_id, ctx.query)


def check_license(ctx: RequestContext) -> bool:
    from chalicelib.licensing import licenses

    return licenses.check(ctx.brand_id, ctx.query["licenseCode"])


def get_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803 - path name
    from chalicelib.licensing import licenses

    return licenses.get(ctx.brand_id, licenseId)


def update_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803
    from chalicelib.licensing import licenses

    assert ctx.brand is not None
    return licenses.update(ctx.brand, licenseId, _body(ctx))


def delete_license(ctx: RequestContext, licenseId: str) -> bool:  # noqa: N803
    from chalicelib.licensing import licenses

    return licenses.delete(ctx.brand_id, licenseId)


def activate_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803
    from chalicelib.licensing import licenses

    return licenses.activate(ctx.brand_id, licenseId)


def deactivate_license(ctx: RequestContext, licenseId: str) -> dict:  # noqa: N803
    from chalicelib.licensing import licenses

    return licenses.deactivate(ctx.brand_id, licenseId)


# -- apply ---------------------------------------------------------------------------------------

def apply_license(ctx: RequestContext) -> bool:
    from chalicelib.licensing import apply

    assert ctx.brand is not None and ctx.caller is not None
    if ctx.caller.brand_id != ctx.brand_id:
        raise Forbidden("Log in as a user of this brand to apply its licenses.",
                        code="USER_NOT_OF_BRAND")
    return apply.apply_code(ctx.brand, ctx.query["licenseCode"], ctx.caller.user_id)


def apply_to_login_name(ctx: RequestContext) -> bool:
    """LICENSE.UPDATE, or the owner of a Prepaid license handing it out."""
    from chalicelib.identity import service as identity
    from chalicelib.licensing import apply, licenses
    from chalicelib.licensing import models as m

    assert ctx.brand is not None and ctx.caller is not None
    code = ctx.query["licenseCode"]
    if not identity.has_permission(ctx, "LICENSE.UPDATE"):
        item = licenses.find_by_code(ctx.brand_id, code)
        owns = (item is not None and item.type == m.PREPAID
                and item.assigned_user_id == ctx.caller.user_id
                and ctx.caller.brand_id == ctx.brand_id)
        if not owns:
            raise Forbidden("You may apply to another account only the Prepaid licenses you "
                            "bought (or ask an administrator).", code="FORBIDDEN")
    return apply.apply_to_login_name(ctx.brand, code, ctx.query["loginName"])


def apply_to_user(ctx: RequestContext) -> bool:
    from chalicelib.licensing import apply

    assert ctx.brand is not None
    return apply.apply_code(ctx.brand, ctx.body.licenseCode, ctx.body.userId)


def purchase_checkout_link(ctx: RequestContext) -> Any:
    from chalicelib.licensing import purchase

    # An idempotent route: the dispatcher runs it under the Idempotency-Key.
    assert ctx.brand is not None
    return purchase.checkout_link(ctx.brand, ctx.caller, _body(ctx), headers=ctx.headers,
                                  source_ip=ctx.source_ip)


# -- constants and settings ----------------------------------------------------------------------

def constant(ctx: RequestContext) -> list[str]:
    from chalicelib.licensing.constants import CONSTANTS

    return list(CONSTANTS[ctx.path.removeprefix("/api/v1/constants/")])


def get_settings(ctx: RequestContext) -> dict:
    from chalicelib.licensing import subscriptions

    assert ctx.brand is not None
    return subscriptions.policy(ctx.brand)


def put_settings(ctx: RequestContext) -> dict:
    from chalicelib.licensing import subscriptions

    values = {k: v for k, v in ctx.body.model_dump().items() if v is not None}
    if not values:
        raise BadRequest("Send at least one setting to change.", field="body")
    return subscriptions.save_policy(ctx.brand_id, values)


# -- dev only (stages local and test) ------------------------------------------------------------

def dev_clock(ctx: RequestContext) -> dict:
    """Move the whole process's clock (API, workers and timer of the local stack)."""
    offset = timedelta(seconds=ctx.body.offsetSeconds)
    if offset:
        settings.set_clock(lambda: datetime.now(UTC) + offset)
    else:
        settings.set_clock(None)
    return {"offsetSeconds": ctx.body.offsetSeconds, "now": settings.now()}


def dev_run_job(ctx: RequestContext, name: str) -> dict:
    """Run a schedule of store/schema.py now, as its timer would."""
    import json

    from chalicelib.http.routing import resolve
    from chalicelib.store import schema

    refs = {n: ref for n, _, ref in schema.SCHEDULES}
    if name not in refs:
        raise NotFound(f"There is no job '{name}'; jobs: {', '.join(sorted(refs))}.",
                       code="JOB_NOT_FOUND")
    result = resolve(refs[name])({"source": "dev", "detail-type": "Scheduled Event"})
    try:
        json.dumps(result)
    except TypeError:
        result = repr(result)
    return {"name": name, "result": result}
