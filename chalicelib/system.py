"""Routes that belong to no bounded context: health and the OpenAPI document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.http.routing import Route

if TYPE_CHECKING:  # the app imports this module at cold start; handlers need no import
    from chalicelib.http.context import RequestContext

ROUTES = [
    Route("GET", "/api/v1/health", "chalicelib.system:health", "Liveness: answers without auth",
          auth="none", brand=False, tag="System"),
    Route("GET", "/api/v1/openapi.json", "chalicelib.system:openapi",
          "This API's OpenAPI 3.1 document", auth="none", brand=False, returns="raw",
          tag="System"),
]


def health(ctx: RequestContext) -> dict:
    from chalicelib import settings

    return {"status": "ok", "stage": settings.get().stage, "time": settings.now()}


def openapi(ctx: RequestContext):
    from chalice import Response

    from chalicelib.http import envelope
    from chalicelib.http.openapi import document
    from chalicelib.routes import all_routes

    return Response(body=envelope.dumps(document(all_routes())), status_code=200,
                    headers={"Content-Type": "application/json"})
