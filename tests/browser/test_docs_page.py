"""The API docs page in a browser: Swagger UI renders the served OpenAPI document, and a route
called from it with the Brand-URL header set answers the brand's data."""

from __future__ import annotations

import json


def test_the_docs_page_lists_the_routes_and_calls_one(stack, page):
    page.goto(f"http://127.0.0.1:{stack.api_port}/")  # / points at the docs
    assert page.url.endswith("/api/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert "JFW Billing" in page.locator(".swagger-ui .info .title").inner_text()

    operation = page.locator(".opblock-get").filter(
        has=page.locator(".opblock-summary-path[data-path='/api/v1/packages']")).first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("tr[data-param-name='Brand-URL'] input").fill("demo.localhost")
    operation.get_by_role("button", name="Execute").click()

    answer = operation.locator(".live-responses-table tbody tr.response")
    answer.wait_for()
    assert answer.locator(".response-col_status").inner_text().strip() == "200"
    body = json.loads(answer.locator(".microlight").first.inner_text())
    assert "PRO" in {p["code"] for p in body["data"]}  # the demo brand's seeded package
