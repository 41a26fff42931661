"""Every route of the API, in one list: the app, the OpenAPI document and the tests read it."""

from __future__ import annotations

from chalicelib import settings
from chalicelib.http.routing import Route


def all_routes(stage: str | None = None) -> list[Route]:
    from chalicelib import system
    from chalicelib.catalog import routes as catalog
    from chalicelib.devroutes import routes as devroutes
    from chalicelib.identity import admin_routes, brand_routes, recovery_routes
    from chalicelib.identity import routes as identity
    from chalicelib.licensing import routes as licensing
    from chalicelib.notify import routes as notify
    from chalicelib.payments import checkout_routes, commission_routes, gateway_routes, ipn_routes
    from chalicelib.payments import routes as payments

    stage = stage or settings.get().stage
    routes = [
        *system.ROUTES,
        *identity.ROUTES,
        *recovery_routes.ROUTES,
        *admin_routes.ROUTES,
        *brand_routes.ROUTES,
        *notify.ROUTES,
        *catalog.ROUTES,
        *payments.ROUTES,
        *ipn_routes.ROUTES,
        *gateway_routes.ROUTES,
        *checkout_routes.ROUTES,
        *commission_routes.ROUTES,
        *licensing.ROUTES,
        *devroutes.ROUTES,
    ]
    return [r for r in routes if r.enabled_in(stage)]
