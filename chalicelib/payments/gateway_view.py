"""What the webhook and the janitor need of a gateway, read through the checkout side's
``gateway_config.get_for_webhook(gateway_id)`` (decrypted secrets, cached there briefly).

The webhook URL carries only the gateway id; the gateway row says which brand it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.http.errors import NotFound


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
    """The gateway, or 404 (unknown id, or a Stripe URL naming a PayPal gateway)."""
    from chalicelib.payments import gateway_config  # the checkout side's module

    missing = NotFound(f"There is no {expected_type or 'payment'} gateway {gateway_id}; check "
                       "the notification URL configured at the gateway.",
                       code="GATEWAY_NOT_FOUND")
    try:
        raw = gateway_config.get_for_webhook(gateway_id)
    except NotFound:
        raise missing from None
    if not raw:
        raise missing
    gw = from_config(gateway_id, raw)
    if not gw.brand_id or gw.brand_id == "None" or (expected_type and gw.type != expected_type):
        raise missing
    return gw
