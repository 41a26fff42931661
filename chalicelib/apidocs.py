"""The interactive API docs page (Swagger UI over ``GET /api/v1/openapi.json``), its assets, and
the answers of ``/``, ``/api`` and ``/favicon.ico``. Routes: ``SYSTEM_ROUTES`` in
chalicelib/routes.py; no bounded context.

Swagger UI's JavaScript and CSS come from the PyPI package ``swagger-ui-bundle`` (pinned in
requirements.txt), served by ``/api/docs/assets/{name}`` from an allow-list: no CDN, and no name
from the URL ever reaches the file system. The page's own start-up script
(chalicelib/static/docs.js) is an asset too, so the page's Content-Security-Policy allows scripts
from 'self' only. Swagger UI 4 renders OpenAPI 3.0 only: docs.js relabels the fetched 3.1
document as 3.0.3 for the page (the document served to everyone else is unchanged).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice import Response
from swagger_ui_bundle import swagger_ui_path

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import NotFound

HERE = Path(__file__).resolve().parent / "static"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
# name -> (where: "package" (swagger-ui-bundle's folder) or "own" (chalicelib/static), type)
ASSETS: dict[str, tuple[str, str]] = {
    "swagger-ui-bundle.js": ("package", JS),
    "swagger-ui.css": ("package", CSS),
    "docs.js": ("own", JS),
}
# Swagger UI sets style attributes (so 'unsafe-inline' for styles only) and draws its icons as
# data: images; "Try it out" calls this same origin.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
DOCS_PATH = "/api/docs"

# Relative links: the page is /api/docs wherever the API is mounted (API Gateway's stage, or
# the local stack), so "docs/assets/..." and "v1/openapi.json" resolve below /api/.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>JFW Billing API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="v1/openapi.json"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/docs.js"></script>
</body>
</html>
"""


def _headers(content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type, "X-Content-Type-Options": "nosniff"}


def page(ctx: RequestContext) -> Response:
    return Response(body=PAGE, status_code=200,
                    headers={**_headers("text/html; charset=utf-8"),
                             "Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


def asset(ctx: RequestContext, name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        raise NotFound(f"There is no docs asset {name!r}; the page uses "
                       f"{', '.join(sorted(ASSETS))}.", code="ASSET_NOT_FOUND")
    where, content_type = found
    return Response(body=_read(where, name), status_code=200,
                    headers={**_headers(content_type), "Cache-Control": "public, max-age=86400"})


@cache
def _read(where: str, name: str) -> str:
    if where == "package":
        return (Path(str(swagger_ui_path)) / name).read_text(encoding="utf-8")
    return (HERE / name).read_text(encoding="utf-8")


def to_docs(ctx: RequestContext) -> Response:
    """``/`` and ``/api``: a 302 to the docs page (and a link, for clients that don't follow)."""
    return Response(body=f'<!DOCTYPE html><a href="{DOCS_PATH}">JFW Billing API docs</a>\n',
                    status_code=302,
                    headers={**_headers("text/html; charset=utf-8"), "Location": DOCS_PATH})


# A small neutral icon (a card), for the docs page and the hosted checkout page.
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
           '<rect x="2" y="6" width="28" height="20" rx="3" fill="#3d4451"/>'
           '<rect x="2" y="11" width="28" height="4" fill="#fff"/>'
           '<rect x="6" y="19" width="8" height="3" rx="1" fill="#fff"/></svg>')


def favicon(ctx: RequestContext) -> Response:
    """The icon, as SVG (every browser that loads the pages reads it)."""
    return Response(body=FAVICON, status_code=200, headers={
        **_headers("image/svg+xml"), "Cache-Control": "public, max-age=86400"})
