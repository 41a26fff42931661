"""Every route of the API, in one list: the app, the OpenAPI document and the tests read it."""

from __future__ import annotations

from chalicelib import settings
from chalicelib.http.routing import Route


def all_routes(stage: str | None = None) -> list[Route]:
    from chalicelib import system
    from chalicelib.catalog import coupon_routes
    from chalicelib.catalog import routes as catalog
    from chalicelib.identity import admin_routes, brand_routes, recovery_routes
    from chalicelib.identity import routes as identity
    from chalicelib.licensing import cert_routes, device_routes, download_routes
    from chalicelib.licensing import routes as licensing
    from chalicelib.notify import routes as notify
    from chalicelib.payments import routes as payments
    from chalicelib.payments.checkout import routes as payments_checkout
    from chalicelib.payments.gateways import routes as payments_gateways
    from chalicelib.payments.inbound import routes as payments_inbound

    stage = stage or settings.get().stage
    routes = [
        *system.ROUTES,
        *identity.ROUTES,
        *recovery_routes.ROUTES,
        *admin_routes.ROUTES,
        *brand_routes.ROUTES,
        *notify.ROUTES,
        *catalog.ROUTES,
        *coupon_routes.ROUTES,
        *payments_inbound.ROUTES,
        *payments.ROUTES,
        *payments_gateways.ROUTES,
        *payments_checkout.ROUTES,
        *licensing.ROUTES,
        *device_routes.ROUTES, *cert_routes.ROUTES, *download_routes.ROUTES,
    ]
    return [r for r in routes if r.enabled_in(stage)]
