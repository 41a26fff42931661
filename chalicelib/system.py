"""Handlers that belong to no bounded context: health and the OpenAPI document (their routes are
``SYSTEM_ROUTES`` in chalicelib/routes.py)."""

from __future__ import annotations

from chalice import Response

from chalicelib import settings
from chalicelib.http import envelope
from chalicelib.http.context import RequestContext
from chalicelib.http.openapi import document
from chalicelib.routes import all_routes


def health(ctx: RequestContext) -> dict:
    return {"status": "ok", "stage": settings.get().stage, "time": settings.now()}


def openapi(ctx: RequestContext):
    return Response(body=envelope.dumps(document(all_routes())), status_code=200,
                    headers={"Content-Type": "application/json"})
