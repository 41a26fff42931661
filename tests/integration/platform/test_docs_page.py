"""The API docs page: GET /api/docs, its assets (from swagger-ui-bundle, no CDN), the redirects
of / and /api, and /favicon.ico — as a browser sees them."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from chalicelib.http.dispatch import mounted_path


def test_the_docs_page_is_html_with_a_csp_and_only_our_own_assets(client):
    resp = client.http.get("/api/docs")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    page = resp.body.decode()
    assert "<script>" not in page  # no inline script: the CSP would block it
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert links and all(not link.startswith(("http:", "https:", "//")) for link in links)
    for link in links:  # each asset the page names answers, with its type, from this server
        url = urljoin("http://host/api/docs", link)
        asset = client.http.get(url.removeprefix("http://host"))
        assert asset.status_code == 200, url
        want = "text/css" if url.endswith(".css") else "text/javascript"
        assert asset.headers["Content-Type"].startswith(want)
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
        assert len(asset.body) > 100


def test_the_page_loads_the_served_openapi_document(client):
    page = client.http.get("/api/docs").body.decode()
    spec = re.search(r'data-openapi-url="([^"]+)"', page).group(1)
    url = urljoin("http://host/api/docs", spec).removeprefix("http://host")
    assert url == "/api/v1/openapi.json"
    doc = client.http.get(url)
    assert doc.status_code == 200
    served = doc.json_body
    # Auth-Key settable through "Authorize", Brand-URL as each branded operation's header
    assert served["components"]["securitySchemes"]["AuthKey"] == {
        "type": "apiKey", "in": "header", "name": "Auth-Key"}
    me = served["paths"]["/api/v1/users/me"]["get"]
    assert {"name": "Brand-URL", "in": "header"}.items() <= me["parameters"][0].items()
    assert served["paths"]["/api/docs"]["get"]["responses"]["200"]["content"].keys() == {
        "text/html"}
    script = client.http.get("/api/docs/assets/docs.js").body.decode()
    assert "SwaggerUIBundle(" in script and "data-openapi-url" in script
    assert "persistAuthorization: true" in script


def test_the_bundle_is_swagger_ui_from_the_pypi_package(client):
    from swagger_ui_bundle import swagger_ui_path

    resp = client.http.get("/api/docs/assets/swagger-ui-bundle.js")
    assert resp.body == (swagger_ui_path / "swagger-ui-bundle.js").read_bytes()
    css = client.http.get("/api/docs/assets/swagger-ui.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize("name", ["index.html", "swagger-ui.js", "swagger-ui-bundle.js.map",
                                  "..%2F..%2Fsettings.py", "..%2Fapidocs.py", "%2Fetc%2Fpasswd",
                                  "docs.JS", "apidocs.py"])
def test_names_outside_the_allow_list_are_a_404(client, name):
    resp = client.http.get(f"/api/docs/assets/{name}")
    assert resp.status_code == 404
    assert resp.json_body["errors"][0]["code"] in ("ASSET_NOT_FOUND", "ROUTE_NOT_FOUND")
    assert b"import" not in resp.body and b"root:" not in resp.body


def test_a_traversing_path_reaches_no_file(client):
    for path in ("/api/docs/assets/../../../etc/passwd", "/api/docs/assets/x/../../openapi.json",
                 "/api/docs/assets/static/docs.js"):
        resp = client.http.get(path)
        assert resp.status_code == 404, path
        assert resp.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/", "/api"])
def test_the_root_and_api_redirect_to_the_docs(client, path):
    resp = client.http.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/api/docs"
    assert b'href="/api/docs"' in resp.body


def test_deployed_the_stage_root_is_api():
    """Deployed, API Gateway's stage supplies /api: /api's route is the stage's root."""
    assert mounted_path("/api", "prod") == "/"
    assert mounted_path("/api/docs", "prod") == "/docs"
    assert mounted_path("/api", "test") == "/api"


def test_favicon_is_a_small_svg_icon(client):
    resp = client.http.get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "image/svg+xml"
    assert resp.body.startswith(b"<svg") and len(resp.body) < 1024


def test_unknown_paths_still_get_the_json_404(client):
    resp = client.http.get("/api/nope")
    assert resp.status_code == 404 and resp.json_body["errors"][0]["code"] == "ROUTE_NOT_FOUND"
    resp = client.http.get("/nope")
    assert resp.status_code == 404 and resp.json_body["errors"][0]["code"] == "ROUTE_NOT_FOUND"
