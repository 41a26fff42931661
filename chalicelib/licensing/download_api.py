"""Handlers of package files and download links (downloads.py)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import Forbidden
from chalicelib.licensing import downloads


def add_file(ctx: RequestContext, packageId: str) -> dict[str, Any]:
    return downloads.add_file(ctx.brand_id, packageId, ctx.body.model_dump())


def list_files(ctx: RequestContext, packageId: str) -> list[dict[str, Any]]:
    return downloads.list_files(ctx.brand_id, packageId)


def delete_file(ctx: RequestContext, packageId: str, fileId: str) -> bool:
    return downloads.delete_file(ctx.brand_id, packageId, fileId)


def my_downloads(ctx: RequestContext) -> list[dict[str, Any]]:
    """The caller's grants; with DOWNLOAD.READ, ``?userId=`` another user's (support)."""
    from chalicelib.identity import service as identity

    assert ctx.caller is not None
    user_id = ctx.query.get("userId") or ctx.caller.user_id
    if user_id != ctx.caller.user_id:
        if not identity.has_permission(ctx, "DOWNLOAD.READ"):
            raise Forbidden("You need the permission DOWNLOAD.READ for another user's "
                            "downloads.", code="PERMISSION_DENIED")
        identity.get_user_item(ctx.brand_id, user_id)
    return downloads.user_grants(ctx.brand_id, user_id)


def download(ctx: RequestContext, token: str) -> Response:
    url = downloads.use(token)
    return Response(body="", status_code=302,
                    headers={"Location": url, "Cache-Control": "no-store",
                             "Referrer-Policy": "no-referrer"})
