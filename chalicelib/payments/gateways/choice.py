"""Which of the brand's gateways a checkout uses (``appIntegrationId``), secrets opened."""

from __future__ import annotations

from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.payments.constants import GATEWAY_TYPES
from chalicelib.payments.gateways.config import (
    gateway_head,
    gateway_item,
    gateway_items,
    ipn_link,
    missing_of,
    to_dto,
)
from chalicelib.payments.gateways.sealed import open_secrets


def for_checkout(brand_id: str, app_integration_id: str | None) -> dict:
    """The Active gateway a checkout uses, secrets opened: ``app_integration_id`` is one of the
    brand's gateway ids, or ``stripe`` / ``paypal`` (the brand's default gateway of that type,
    else its oldest Active one); absent, the brand's default gateway."""
    wanted = (app_integration_id or "").strip()
    if wanted and wanted.lower() not in GATEWAY_TYPES:
        try:
            item = gateway_item(brand_id, wanted)
        except NotFound:
            raise BadRequest(f"appIntegrationId '{wanted}' is neither one of this brand's "
                             "payment gateways nor stripe/paypal.", code="GATEWAY_NOT_FOUND",
                             field="appIntegrationId") from None
    elif wanted:
        kind = wanted.lower()
        candidates = sorted((i for i in gateway_items(brand_id) if i.type == kind
                             and i.status == "Active"),
                            key=lambda i: (bool(missing_of(i)), not i.is_default,
                                           i.created_date, i.id))
        if not candidates:
            raise BadRequest(f"This brand has no Active {kind} gateway.",
                             code="GATEWAY_NOT_FOUND", field="appIntegrationId")
        item = candidates[0]
    else:
        head = gateway_head(brand_id)
        if head is None or not head.default_id:
            raise BadRequest("This brand has no default payment gateway; send "
                             "appIntegrationId.", code="GATEWAY_NOT_FOUND",
                             field="appIntegrationId")
        item = gateway_item(brand_id, head.default_id)
    if item.status != "Active":
        raise Conflict(f"Payment gateway {item.id} is Inactive.", code="GATEWAY_INACTIVE")
    missing = missing_of(item)
    if missing:
        raise Conflict(f"Payment gateway {item.id} can't receive payment notifications yet, so "
                       f"it takes no payments: set its {' and '.join(missing)} "
                       f"(PUT v1/app-integrations/payment-gateway/{item.id}).",
                       code="GATEWAY_NOT_READY")
    key, hooks = open_secrets(item.id, item.private_key, item.webhook_secrets)
    return {**to_dto(item), "type": item.type, "privateKey": key,
            "ipnListenerLink": ipn_link(item.type, item.id)}

