"""What the webhook, a replay, the janitor and a refund need of a gateway, by its id alone.

The webhook URL carries only the gateway id; the gateway's routing row (``GATEWAY#<id>``, one
GetItem) says which brand it belongs to and holds what verification needs. ``get_for_webhook``
returns it with its secrets opened and keeps it ``CACHE_SECONDS`` in memory; ``get`` gives the
``Gateway`` view the inbound pipeline works with (404 for an unknown id).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import NotFound
from chalicelib.payments import models as m
from chalicelib.payments.gateways.paypal import verify_url_for
from chalicelib.payments.gateways.sealed import open_secrets

CACHE_SECONDS = 30.0

_cache: dict[str, tuple[float, dict]] = {}
_views: dict[str, tuple[dict, Any]] = {}  # gateway id -> (the cached config, its Gateway)


def clear_cache() -> None:
    _cache.clear()
    _views.clear()


def missing_for_notifications(kind: str, webhook_secrets: str | None,
                              receiver_email: str | None, receiver_id: str | None) -> list[str]:
    """What a gateway still needs before a notification can be verified and checked as ours."""
    if kind == "stripe":
        return [] if webhook_secrets else ["webhookSecret"]
    return [] if receiver_email or receiver_id else ["paypalReceiverEmail"]


def _verify_url(kind: str, mode: str | None) -> str | None:
    if kind != "paypal":
        return None
    try:
        return verify_url_for(mode or "live", settings.get().paypal_simulator_url)
    except ValueError:  # simulator without its URL configured: nothing can verify
        return None


def get_for_webhook(gateway_id: str) -> dict:
    """What a notification to ``/api/v1/ipn/<type>/<gatewayId>`` needs (decrypted), read from
    the routing row (one GetItem) and kept ``CACHE_SECONDS`` in memory. 404 when unknown.
    A deleted gateway is still returned (``deleted: true``): payments made through it may
    still be notified about."""
    return dict(_config(gateway_id))


def _config(gateway_id: str) -> dict:
    """``get_for_webhook``'s answer as cached (not a copy: read it only)."""
    hit = _cache.get(gateway_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    try:
        row = m.GatewayRouteItem.get(m.gateway_route_pk(gateway_id), m.GATEWAY_SK)
    except m.GatewayRouteItem.DoesNotExist:
        raise NotFound(f"Payment gateway {gateway_id} was not found.",
                       code="GATEWAY_NOT_FOUND") from None
    key, hooks = open_secrets(gateway_id, row.private_key, row.webhook_secrets)
    out = {
        "id": gateway_id, "brandId": row.brand_id, "type": row.type, "status": row.status,
        "deleted": bool(row.deleted), "testMode": bool(row.test_mode),
        "publicKey": row.public_key, "privateKey": key,
        "webhookSecret": hooks[0] if hooks else None, "webhookSecrets": hooks,
        "paypalReceiverEmail": row.paypal_receiver_email,
        "paypalReceiverId": row.paypal_receiver_id, "paypalMode": row.paypal_mode,
        "verifyUrl": _verify_url(row.type, row.paypal_mode),
        "missing": missing_for_notifications(row.type, row.webhook_secrets,
                                             row.paypal_receiver_email, row.paypal_receiver_id),
    }
    _cache[gateway_id] = (time.monotonic() + CACHE_SECONDS, out)
    return out


# -- the view the inbound pipeline works with ---------------------------------------------------

@dataclass(frozen=True)
class Gateway:
    id: str
    brand_id: str
    type: str  # stripe | paypal
    secrets: tuple[str, ...] = ()  # Stripe webhook signing secrets (several while rotating)
    api_key: str | None = None  # Stripe secret key (janitor)
    receiver_email: str | None = None
    receiver_id: str | None = None
    verify_url: str | None = None
    test_mode: bool = False
    active: bool = True
    missing: tuple[str, ...] = ()  # what it needs before a notification can be verified


def _first(d: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = d.get(name)
        if value not in (None, ""):
            return value
    return None


def from_config(gateway_id: str, d: dict[str, Any]) -> Gateway:
    kind = str(_first(d, "gatewayType", "type", "provider") or "").strip().lower()
    secrets = _first(d, "webhookSecrets") or []
    if isinstance(secrets, str):
        secrets = [secrets]
    single = _first(d, "webhookSecret")
    if single and single not in secrets:
        secrets = [single, *secrets]
    status = str(d.get("status") or "Active")
    return Gateway(
        id=gateway_id, brand_id=str(_first(d, "brandId", "brand_id")), type=kind,
        secrets=tuple(s for s in secrets if s), api_key=_first(d, "privateKey", "secretKey"),
        receiver_email=_first(d, "receiverEmail", "paypalReceiverEmail"),
        receiver_id=_first(d, "receiverId", "paypalReceiverId"),
        verify_url=_first(d, "verifyUrl", "verificationUrl", "ipnVerifyUrl"),
        test_mode=bool(d.get("testMode")), active=status.lower() == "active",
        missing=tuple(d.get("missing") or ()))


def get(gateway_id: str, expected_type: str | None = None) -> Gateway:
    """The gateway, or 404 (unknown id, or a Stripe URL naming a PayPal gateway). The view is
    built once per cached row (``_views``), not on every notification."""
    try:
        raw = _config(gateway_id)
    except NotFound:
        raise _missing(gateway_id, expected_type) from None
    view = _views.get(gateway_id)
    if view is None or view[0] is not raw:
        view = _views[gateway_id] = (raw, from_config(gateway_id, raw))
    gw = view[1]
    if not gw.brand_id or gw.brand_id == "None" or (expected_type and gw.type != expected_type):
        raise _missing(gateway_id, expected_type)
    return gw


def _missing(gateway_id: str, expected_type: str | None) -> NotFound:
    return NotFound(f"There is no {expected_type or 'payment'} gateway {gateway_id}; check the "
                    "notification URL configured at the gateway.", code="GATEWAY_NOT_FOUND")
