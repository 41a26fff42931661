"""Every route of the API, in one list: the app, the OpenAPI document and the tests read it."""

from __future__ import annotations

from chalicelib import settings
from chalicelib.catalog import routes as catalog
from chalicelib.devroutes import routes as devroutes
from chalicelib.http.routing import Route
from chalicelib.identity import routes as identity
from chalicelib.invoicing import routes as invoicing
from chalicelib.licensing import routes as licensing
from chalicelib.notify import routes as notify
from chalicelib.notify.texts import routes as notify_texts
from chalicelib.payments import routes as payments
from chalicelib.payments.cards import routes as payments_cards
from chalicelib.payments.checkout import routes as payments_checkout
from chalicelib.payments.gateways import routes as payments_gateways
from chalicelib.payments.inbound import routes as payments_inbound
from chalicelib.reports import routes as reports
from chalicelib.wallet import routes as wallet
from chalicelib.wallet.funds import routes as wallet_funds
from chalicelib.wallet.rates import routes as wallet_rates
from chalicelib.wallet.redeem import routes as wallet_redeem
from chalicelib.webhooks import routes as webhooks

# Routes that belong to no bounded context (handlers in system.py, which reads this module).
SYSTEM_ROUTES = [
    Route("GET", "/api/v1/health", "chalicelib.system:health", "Liveness: answers without auth",
          auth="none", brand=False, tag="System"),
    Route("GET", "/api/v1/openapi.json", "chalicelib.system:openapi",
          "This API's OpenAPI 3.1 document", auth="none", brand=False, returns="raw",
          tag="System"),
    # The docs page (chalicelib/apidocs.py). Deployed, API Gateway's stage supplies /api, so
    # "/api" is the stage's root (http/dispatch.mounted_path); "/" exists locally only.
    Route("GET", "/api/docs", "chalicelib.apidocs:page",
          "Interactive API docs (Swagger UI over this API's OpenAPI document)", auth="none",
          brand=False, returns="html", tag="System"),
    Route("GET", "/api/docs/assets/{name}", "chalicelib.apidocs:asset",
          "A script or stylesheet of the docs page (an allow-list of names)", auth="none",
          brand=False, returns="asset", tag="System"),
    Route("GET", "/api", "chalicelib.apidocs:to_docs", "Redirects to the docs page",
          auth="none", brand=False, returns="redirect", status=302, tag="System"),
    Route("GET", "/", "chalicelib.apidocs:to_docs", "Redirects to the docs page", auth="none",
          brand=False, returns="redirect", status=302, tag="System",
          stages=settings.LOCAL_STAGES),
    Route("GET", "/favicon.ico", "chalicelib.apidocs:favicon", "The icon (SVG)", auth="none",
          brand=False, returns="asset", tag="System"),
]


def all_routes(stage: str | None = None) -> list[Route]:
    stage = stage or settings.get().stage
    routes = [
        *SYSTEM_ROUTES,
        *identity.ROUTES,
        *notify.ROUTES,
        *notify_texts.ROUTES,
        *catalog.ROUTES,
        *payments_inbound.ROUTES,
        *payments.ROUTES,
        *payments_gateways.ROUTES,
        *payments_checkout.ROUTES,
        *licensing.ROUTES,
        *wallet.ROUTES,
        *wallet_funds.ROUTES,
        *wallet_rates.ROUTES,
        *wallet_redeem.ROUTES,
        *invoicing.ROUTES,
        *payments_cards.ROUTES,
        *reports.ROUTES,
        *devroutes.ROUTES,
        *webhooks.ROUTES,
    ]
    return [r for r in routes if r.enabled_in(stage)]
