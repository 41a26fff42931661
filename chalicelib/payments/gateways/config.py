"""A brand's payment gateways (JFW's ``IAppIntegrationPaymentGateway``): read, create, change,
delete, and their DTO. Secrets are sealed at rest (sealed.py); what the webhook needs of a
gateway is webhook.py, which gateway a checkout uses is choice.py.

Items (models.py): the gateway, its global routing row ``GATEWAY#<id>`` (what a notification
needs without knowing the brand) and the brand's gateway head (the default gateway id and a
version: every change of the default is conditioned on it, so a brand never has two defaults).
All three change in one transaction.

Rules:
- ``type`` comes from ``appIntegrationId`` (``stripe`` or ``paypal``, see ``INTEGRATIONS``) and
  never changes; ``ipnListenerLink`` is ours (``{base_url}/api/v1/ipn/<type>/<id>``), whatever
  the client sends.
- Secrets (``privateKey``, ``webhookSecret``) are stored sealed, returned masked. On PUT a secret
  left out, null, or sent back masked keeps its stored value.
- A gateway may be stored before it can receive notifications (JFW's SDK sends no
  ``webhookSecret`` and no PayPal receiver): ``readyForNotifications`` says whether it can, and
  ``missing`` names what it still needs (``missing_for_notifications``). Until then its IPN URL
  answers 409 GATEWAY_NOT_READY (the gateway resends later) and checkouts through it are refused.
- PayPal (Payments Standard) has no use for an app's client id: a PayPal gateway's
  ``publicKey`` is the PayPal account that receives the money, its e-mail or its 13-character
  merchant account id. Without ``paypalReceiverEmail`` / ``paypalReceiverId``, a ``publicKey`` of
  that shape is the receiver; without ``publicKey``, the receiver is it.
- ``cancelLinkWithoutLogin`` defaults to ``cancelLink``.
- ``webhookSecret`` takes one secret or a list (Stripe sends one signature per active secret
  while a secret is rolled; each one verifies).
- ``paypalMode`` (live | sandbox | simulator) picks the IPN verification URL; it defaults to
  sandbox in ``testMode`` and live otherwise, and must agree with ``testMode``. So must Stripe
  keys that say ``_live_`` or ``_test_``.
- The first Active gateway becomes the default; ``isDefault: true`` moves it. The default can't
  be unset or deactivated (make another one the default); deleting it leaves none.
- Delete is soft: the gateway disappears from the brand's lists, but its routing row stays (with
  ``deleted``) so notifications about payments already made through it still verify.
"""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.payments import models as m
from chalicelib.payments.constants import GATEWAY_TYPES
from chalicelib.payments.gateways.sealed import contexts as secret_contexts
from chalicelib.payments.gateways.webhook import clear_cache, missing_for_notifications
from chalicelib.store import ids, secrets
from chalicelib.store.ids import stamp
from chalicelib.store.tx import ConditionFailed, transaction

PAYPAL_MODES = ("live", "sandbox", "simulator")
PAYPAL_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
PAYPAL_MERCHANT_ID = re.compile(r"^[A-Z0-9]{13}$")

# JFW's IAppIntegration rows for the gateways this server speaks (fixed ids).
INTEGRATIONS: tuple[dict[str, Any], ...] = (
    {"id": "stripe", "type": "PaymentGateway", "name": "Stripe", "domain": "stripe.com",
     "description": "Cards through Stripe PaymentIntents; notifications are Stripe webhooks "
     "signed with the gateway's webhookSecret.",
     "logoURL": "https://stripe.com/favicon.ico", "status": "Active"},
    {"id": "paypal", "type": "PaymentGateway", "name": "PayPal", "domain": "paypal.com",
     "description": "PayPal Payments Standard; notifications are PayPal IPN messages, verified "
     "by postback (live, sandbox or the local simulator).",
     "logoURL": "https://www.paypal.com/favicon.ico", "status": "Active"},
)


# -- reading -------------------------------------------------------------------------------------

def gateway_item(brand_id: str, gateway_id: str) -> m.GatewayItem:
    try:
        item = m.GatewayItem.get(m.gateway_pk(brand_id, gateway_id), m.GATEWAY_SK,
                                 consistent_read=True)
    except m.GatewayItem.DoesNotExist:
        item = None
    if item is None or item.deleted:
        raise NotFound(f"Payment gateway {gateway_id} was not found.", code="GATEWAY_NOT_FOUND")
    return item


def gateway_items(brand_id: str) -> list[m.GatewayItem]:
    return [i for i in m.GatewayItem.gsi1.query(m.gateways_gsi(brand_id)) if not i.deleted]


def gateway_head(brand_id: str) -> m.GatewayHead | None:
    try:
        return m.GatewayHead.get(m.gateway_head_pk(brand_id), m.HEAD_SK, consistent_read=True)
    except m.GatewayHead.DoesNotExist:
        return None


def list_gateways(brand_id: str) -> list[dict]:
    return [to_dto(i) for i in sorted(gateway_items(brand_id),
                                      key=lambda i: (i.created_date, i.id))]


def get(brand_id: str, gateway_id: str) -> dict:
    return to_dto(gateway_item(brand_id, gateway_id))


def ipn_link(kind: str, gateway_id: str) -> str:
    return f"{settings.get().base_url}/api/v1/ipn/{kind}/{gateway_id}"


def integration(integration_id: str) -> dict | None:
    return next((dict(i) for i in INTEGRATIONS if i["id"] == integration_id), None)


def list_integrations(query: dict[str, Any]) -> list[dict]:
    out = []
    words = (query.get("keywords") or "").lower()
    for i in INTEGRATIONS:
        if query.get("type") and query["type"] != i["type"]:
            continue
        if query.get("status") and query["status"] != i["status"]:
            continue
        if words and words not in f"{i['name']} {i['domain']} {i['description']}".lower():
            continue
        out.append(dict(i))
    return out


def to_dto(item: m.GatewayItem) -> dict:
    """JFW's IAppIntegrationPaymentGateway, secrets masked, plus our verification fields."""
    masks = json.loads(item.webhook_secret_masks) if item.webhook_secret_masks else []
    missing = missing_of(item)
    return {
        "id": item.id,
        "createdDate": item.created_date,
        "modifiedDate": item.modified_date,
        "brandId": item.brand_id,
        "appIntegrationId": item.type,
        "appIntegration": integration(item.type),
        "name": item.name,
        "ipnListenerLink": ipn_link(item.type, item.id),
        "cancelLinkWithoutLogin": item.cancel_link_without_login or item.cancel_link,
        "cancelLink": item.cancel_link,
        "returnLink": item.return_link,
        "publicKey": item.public_key,
        "privateKey": item.private_key_mask,
        "webhookSecret": masks[0] if masks else None,
        "webhookSecrets": masks,
        "paypalReceiverEmail": item.paypal_receiver_email,
        "paypalReceiverId": item.paypal_receiver_id,
        "paypalMode": item.paypal_mode,
        "description": item.description,
        "notes": item.notes,
        "testMode": bool(item.test_mode),
        "isDefault": bool(item.is_default),
        "status": item.status,
        "readyForNotifications": not missing,
        "missing": missing,
    }


def missing_of(item: m.GatewayItem) -> list[str]:
    return missing_for_notifications(item.type, item.webhook_secrets,
                                     item.paypal_receiver_email, item.paypal_receiver_id)


# -- writing -------------------------------------------------------------------------------------

def _check(kind: str, v: dict[str, Any]) -> None:
    """The rules of one gateway type, on the merged values (after PUT keeps old secrets)."""
    test = bool(v["test_mode"])
    if kind == "stripe":
        if not (v.get("public_key") or "").startswith("pk_"):
            raise BadRequest("publicKey must be the Stripe publishable key (pk_...).",
                             field="publicKey")
        if not v.get("private_key_plain_ok"):
            raise BadRequest("privateKey must be the Stripe secret key (sk_... or rk_...).",
                             field="privateKey")
        for field, key in (("publicKey", v.get("public_key") or ""),
                           ("privateKey", v.get("private_key_prefix") or "")):
            if ("_live_" in key and test) or ("_test_" in key and not test):
                raise BadRequest(f"{field} is a {'live' if '_live_' in key else 'test'} key but "
                                 f"testMode is {str(test).lower()}; they must agree.",
                                 field=field)
        for name, attr in _PAYPAL_ATTRS.items():
            if v.get(attr):
                raise BadRequest(f"{name} is for PayPal gateways.", field=name)
        return
    if v.get("webhook_secret_count"):
        raise BadRequest("webhookSecret is for Stripe gateways; PayPal IPN is verified by "
                         "postback.", field="webhookSecret")
    mode = v["paypal_mode"]
    if (mode == "live") == test:
        raise BadRequest(f"paypalMode {mode} and testMode {str(test).lower()} disagree: live "
                         "goes with testMode false, sandbox and simulator with true.",
                         field="paypalMode")
    if mode == "simulator" and not settings.get().paypal_simulator_url:
        raise BadRequest("paypalMode simulator needs the server setting "
                         "JFW_PAYPAL_SIMULATOR_URL (the local PayPal IPN simulator).",
                         field="paypalMode")


def _secret_list(value: Any) -> list[str] | None:
    """None: keep what is stored (not sent, null, or echoed back masked)."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    values = [s.strip() for s in values if s is not None]
    if any(secrets.is_masked(s) for s in values):
        return None
    if not values or any(not s for s in values):
        raise BadRequest("webhookSecret must be a non-empty secret or a list of them.",
                         field="webhookSecret")
    return list(dict.fromkeys(values))


_PAYPAL_ATTRS = {"paypalReceiverEmail": "paypal_receiver_email",
                 "paypalReceiverId": "paypal_receiver_id", "paypalMode": "paypal_mode"}


def _values(kind: str, gateway_id: str, data: dict[str, Any],
            current: m.GatewayItem | None) -> dict[str, Any]:
    """The stored attributes a create or update body gives (secrets sealed here)."""
    test = bool(data.get("testMode")) if data.get("testMode") is not None else (
        bool(current.test_mode) if current else False)
    v: dict[str, Any] = {
        "name": data["name"], "return_link": data.get("returnLink"),
        "cancel_link": data.get("cancelLink"),
        "cancel_link_without_login": data.get("cancelLinkWithoutLogin"),
        "public_key": (data.get("publicKey") or "").strip() or None,
        "description": data.get("description"), "notes": data.get("notes"), "test_mode": test,
        "status": data.get("status") or (current.status if current else "Active"),
    }
    pk_ctx, wh_ctx = secret_contexts(gateway_id)
    private = (data.get("privateKey") or "").strip()
    if private and not secrets.is_masked(private):
        v["private_key"] = secrets.encrypt(private, pk_ctx)
        v["private_key_mask"] = secrets.mask(private)
        v["private_key_prefix"] = private[:8]
    elif current is not None and current.private_key:
        v["private_key"], v["private_key_mask"] = current.private_key, current.private_key_mask
        v["private_key_prefix"] = secrets.decrypt(current.private_key, pk_ctx)[:8]
    else:
        v["private_key"] = v["private_key_mask"] = None
    v["private_key_plain_ok"] = (v.get("private_key_prefix") or "").startswith(("sk_", "rk_"))
    hooks = _secret_list(data.get("webhookSecret"))
    if hooks is not None:
        v["webhook_secrets"] = secrets.encrypt(json.dumps(hooks), wh_ctx)
        v["webhook_secret_masks"] = json.dumps([secrets.mask(s) for s in hooks])
        v["webhook_secret_count"] = len(hooks)
    elif current is not None and current.webhook_secrets:
        v["webhook_secrets"] = current.webhook_secrets
        v["webhook_secret_masks"] = current.webhook_secret_masks
        v["webhook_secret_count"] = len(json.loads(current.webhook_secret_masks or "[]"))
    else:
        v["webhook_secrets"] = v["webhook_secret_masks"] = None
        v["webhook_secret_count"] = 0
    for name, attr in _PAYPAL_ATTRS.items():
        v[attr] = (data.get(name) or "").strip() or None
    if kind == "paypal":
        v["paypal_mode"] = v["paypal_mode"] or ("sandbox" if test else "live")
        _paypal_receiver(v)
    _check(kind, v)
    for scratch in ("private_key_prefix", "private_key_plain_ok", "webhook_secret_count"):
        v.pop(scratch, None)
    return v


def _paypal_receiver(v: dict[str, Any]) -> None:
    """``publicKey`` and the receiver stand for each other (see the module's rules)."""
    key = v.get("public_key") or ""
    if not (v.get("paypal_receiver_email") or v.get("paypal_receiver_id")):
        if PAYPAL_EMAIL.match(key):
            v["paypal_receiver_email"] = key
        elif PAYPAL_MERCHANT_ID.match(key):
            v["paypal_receiver_id"] = key
    if not key:
        v["public_key"] = v.get("paypal_receiver_email") or v.get("paypal_receiver_id")


def _kind(app_integration_id: str) -> str:
    kind = (app_integration_id or "").strip().lower()
    if kind not in GATEWAY_TYPES:
        raise BadRequest(f"appIntegrationId must be one of {', '.join(GATEWAY_TYPES)} (GET "
                         "v1/app-integrations lists them).", code="APP_INTEGRATION_NOT_FOUND",
                         field="appIntegrationId")
    return kind


_ROUTE_FIELDS = ("type", "status", "deleted", "test_mode", "public_key", "private_key",
                 "webhook_secrets", "paypal_receiver_email", "paypal_receiver_id", "paypal_mode")


def _route_for(item: m.GatewayItem) -> m.GatewayRouteItem:
    return m.GatewayRouteItem(m.gateway_route_pk(item.id), m.GATEWAY_SK, brand_id=item.brand_id,
                            modified_date=item.modified_date,
                            **{f: getattr(item, f) for f in _ROUTE_FIELDS})


def _default_writes(tx: Any, brand_id: str, head: m.GatewayHead | None, new_default: str | None,
                    written: str | None = None) -> None:
    """Point the brand's head at ``new_default``, unsetting the old default (unless it is
    ``written``, which the transaction changes already), conditioned on the head as read (a
    concurrent change of the default makes the transaction fail)."""
    now = settings.now()
    if head is None:
        tx.save(m.GatewayHead(m.gateway_head_pk(brand_id), m.HEAD_SK, default_id=new_default,
                              version=1),
                condition=m.GatewayHead.pk.does_not_exist())
    else:
        tx.update(m.GatewayHead(m.gateway_head_pk(brand_id), m.HEAD_SK),
                  actions=[m.GatewayHead.default_id.set(new_default) if new_default
                           else m.GatewayHead.default_id.remove(),
                           m.GatewayHead.version.set(head.version + 1)],
                  condition=m.GatewayHead.version == head.version)
    old = head.default_id if head else None
    if old and old not in (new_default, written):
        tx.update(m.GatewayItem(m.gateway_pk(brand_id, old), m.GATEWAY_SK),
                  actions=[m.GatewayItem.is_default.set(False),
                           m.GatewayItem.modified_date.set(now)],
                  condition=m.GatewayItem.pk.exists())


def _commit(write: Any) -> None:
    try:
        write()
    except ConditionFailed:
        raise Conflict("The brand's gateways changed while saving; try again.",
                       code="GATEWAY_CONFLICT") from None
    finally:
        clear_cache()


def create(brand_id: str, data: dict[str, Any]) -> dict:
    kind = _kind(data.get("appIntegrationId") or "")
    gateway_id = ids.new_id()
    v = _values(kind, gateway_id, data, None)
    head = gateway_head(brand_id)
    has_default = bool(head and head.default_id)
    make_default = bool(data.get("isDefault")) or (not has_default and v["status"] == "Active")
    if make_default and v["status"] != "Active":
        raise BadRequest("The default gateway must be Active.", field="isDefault")
    now = settings.now()
    item = m.GatewayItem(m.gateway_pk(brand_id, gateway_id), m.GATEWAY_SK, id=gateway_id,
                       brand_id=brand_id, type=kind, gsi1pk=m.gateways_gsi(brand_id),
                       gsi1sk=f"{stamp(now)}#{gateway_id}", is_default=make_default,
                       version=1, created_date=now, modified_date=now, **v)

    def write() -> None:
        with transaction() as tx:
            tx.save(item, condition=m.GatewayItem.pk.does_not_exist())
            tx.save(_route_for(item), condition=m.GatewayRouteItem.pk.does_not_exist())
            if make_default:
                _default_writes(tx, brand_id, head, gateway_id)

    _commit(write)
    return to_dto(item)


def update(brand_id: str, gateway_id: str, data: dict[str, Any]) -> dict:
    current = gateway_item(brand_id, gateway_id)
    if data.get("appIntegrationId") and _kind(data["appIntegrationId"]) != current.type:
        raise BadRequest(f"A gateway's appIntegrationId can't change ({current.type}); create "
                         "a new gateway instead.", field="appIntegrationId")
    v = _values(current.type, gateway_id, data, current)
    head = gateway_head(brand_id)
    want_default = data.get("isDefault")
    if current.is_default and want_default is False:
        raise BadRequest("This is the brand's default gateway; make another gateway the "
                         "default instead of unsetting it.", field="isDefault")
    make_default = bool(want_default) and not current.is_default
    if (current.is_default or make_default) and v["status"] != "Active":
        raise BadRequest("The default gateway must be Active.", field="status")
    now = settings.now()
    actions = [getattr(m.GatewayItem, k).set(val) if val is not None
               else getattr(m.GatewayItem, k).remove() for k, val in v.items()]
    actions += [m.GatewayItem.version.set(current.version + 1),
                m.GatewayItem.modified_date.set(now)]
    if make_default:
        actions.append(m.GatewayItem.is_default.set(True))
    for k, val in v.items():
        setattr(current, k, val)
    current.version, current.modified_date = current.version + 1, now
    current.is_default = current.is_default or make_default

    def write() -> None:
        with transaction() as tx:
            tx.update(m.GatewayItem(m.gateway_pk(brand_id, gateway_id), m.GATEWAY_SK),
                      actions=actions,
                      condition=(m.GatewayItem.version == current.version - 1)
                      & (m.GatewayItem.deleted == False))  # noqa: E712
            tx.save(_route_for(current), condition=m.GatewayRouteItem.pk.exists())
            if make_default:
                _default_writes(tx, brand_id, head, gateway_id)

    _commit(write)
    return to_dto(current)


def delete(brand_id: str, gateway_id: str) -> bool:
    current = gateway_item(brand_id, gateway_id)
    head = gateway_head(brand_id)
    now = settings.now()
    current.deleted, current.is_default, current.modified_date = True, False, now

    def write() -> None:
        with transaction() as tx:
            tx.update(m.GatewayItem(m.gateway_pk(brand_id, gateway_id), m.GATEWAY_SK), actions=[
                m.GatewayItem.deleted.set(True), m.GatewayItem.is_default.set(False),
                m.GatewayItem.gsi1pk.remove(), m.GatewayItem.gsi1sk.remove(),
                m.GatewayItem.version.set(current.version + 1),
                m.GatewayItem.modified_date.set(now)],
                condition=m.GatewayItem.version == current.version)
            tx.update(m.GatewayRouteItem(m.gateway_route_pk(gateway_id), m.GATEWAY_SK),
                      actions=[m.GatewayRouteItem.deleted.set(True),
                               m.GatewayRouteItem.modified_date.set(now)],
                      condition=m.GatewayRouteItem.pk.exists())
            if head is not None and head.default_id == gateway_id:
                _default_writes(tx, brand_id, head, None, written=gateway_id)

    _commit(write)
    return True


