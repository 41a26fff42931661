"""A brand's payment gateways (JFW's ``IAppIntegrationPaymentGateway``), secrets encrypted at
rest (store/secrets.py), and what the webhook and the checkout need of them.

Items (table ``payments``):
- ``B#<brand>#GW#<id>`` / ``GATEWAY``  the gateway; a brand's gateways: gsi1 ``B#<brand>#GATEWAYS``
- ``GATEWAY#<id>`` / ``GATEWAY``         global routing row: the webhook URL carries only the
                                         gateway id. It holds what verification needs (brand, type,
                                         encrypted secrets, PayPal receiver), so a notification
                                         costs one GetItem, cached here for ``CACHE_SECONDS``.
- ``B#<brand>#GWHEAD`` / ``HEAD``        the brand's default gateway id and a version: every
                                         change of the default is conditioned on it, so a brand
                                         never has two defaults.
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
import time
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.payments.models import Gsi1, stamp
from chalicelib.store import ids, secrets
from chalicelib.store.base import BaseModel, table_meta

Meta = table_meta("payments")

CACHE_SECONDS = 30.0
GATEWAY_SK = "GATEWAY"
HEAD_SK = "HEAD"
TYPES = ("stripe", "paypal")
PAYPAL_MODES = ("live", "sandbox", "simulator")
PAYPAL_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
PAYPAL_MERCHANT_ID = re.compile(r"^[A-Z0-9]{13}$")
STATUSES = ("Inactive", "Active")

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


# -- items ---------------------------------------------------------------------------------------

def gateway_pk(brand_id: str, gateway_id: str) -> str:
    return f"B#{brand_id}#GW#{gateway_id}"


def gateways_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#GATEWAYS"


def route_pk(gateway_id: str) -> str:
    return f"GATEWAY#{gateway_id}"


def head_pk(brand_id: str) -> str:
    return f"B#{brand_id}#GWHEAD"


class GatewayItem(BaseModel):
    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    type = UnicodeAttribute()  # stripe | paypal
    name = UnicodeAttribute()
    return_link = UnicodeAttribute(attr_name="returnLink", null=True)
    cancel_link = UnicodeAttribute(attr_name="cancelLink", null=True)
    cancel_link_without_login = UnicodeAttribute(attr_name="cancelLinkWithoutLogin", null=True)
    public_key = UnicodeAttribute(attr_name="publicKey", null=True)
    private_key = UnicodeAttribute(attr_name="privateKeySealed", null=True)
    private_key_mask = UnicodeAttribute(attr_name="privateKeyMask", null=True)
    webhook_secrets = UnicodeAttribute(attr_name="webhookSecretsSealed", null=True)
    webhook_secret_masks = UnicodeAttribute(attr_name="webhookSecretMasks", null=True)  # JSON
    paypal_receiver_email = UnicodeAttribute(attr_name="paypalReceiverEmail", null=True)
    paypal_receiver_id = UnicodeAttribute(attr_name="paypalReceiverId", null=True)
    paypal_mode = UnicodeAttribute(attr_name="paypalMode", null=True)
    description = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    is_default = BooleanAttribute(attr_name="isDefault", default=False)
    status = UnicodeAttribute(default="Active")
    deleted = BooleanAttribute(default=False)
    version = NumberAttribute(default=1)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class GatewayRouteItem(BaseModel):
    """``GATEWAY#<id>``: what a notification needs, without knowing the brand first."""

    Meta = Meta
    brand_id = UnicodeAttribute(attr_name="brandId")
    type = UnicodeAttribute()
    status = UnicodeAttribute(default="Active")
    deleted = BooleanAttribute(default=False)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    public_key = UnicodeAttribute(attr_name="publicKey", null=True)
    private_key = UnicodeAttribute(attr_name="privateKeySealed", null=True)
    webhook_secrets = UnicodeAttribute(attr_name="webhookSecretsSealed", null=True)
    paypal_receiver_email = UnicodeAttribute(attr_name="paypalReceiverEmail", null=True)
    paypal_receiver_id = UnicodeAttribute(attr_name="paypalReceiverId", null=True)
    paypal_mode = UnicodeAttribute(attr_name="paypalMode", null=True)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class GatewayHead(BaseModel):
    Meta = Meta
    default_id = UnicodeAttribute(attr_name="defaultGatewayId", null=True)
    version = NumberAttribute(default=0)


# -- reading -------------------------------------------------------------------------------------

def _item(brand_id: str, gateway_id: str) -> GatewayItem:
    try:
        item = GatewayItem.get(gateway_pk(brand_id, gateway_id), GATEWAY_SK, consistent_read=True)
    except GatewayItem.DoesNotExist:
        item = None
    if item is None or item.deleted:
        raise NotFound(f"Payment gateway {gateway_id} was not found.", code="GATEWAY_NOT_FOUND")
    return item


def _items(brand_id: str) -> list[GatewayItem]:
    return [i for i in GatewayItem.gsi1.query(gateways_gsi(brand_id)) if not i.deleted]


def _head(brand_id: str) -> GatewayHead | None:
    try:
        return GatewayHead.get(head_pk(brand_id), HEAD_SK, consistent_read=True)
    except GatewayHead.DoesNotExist:
        return None


def list_gateways(brand_id: str) -> list[dict]:
    return [to_dto(i) for i in sorted(_items(brand_id), key=lambda i: (i.created_date, i.id))]


def get(brand_id: str, gateway_id: str) -> dict:
    return to_dto(_item(brand_id, gateway_id))


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


def to_dto(item: GatewayItem) -> dict:
    """JFW's IAppIntegrationPaymentGateway, secrets masked, plus our verification fields."""
    masks = json.loads(item.webhook_secret_masks) if item.webhook_secret_masks else []
    missing = _missing(item)
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


def _missing(item: GatewayItem) -> list[str]:
    return missing_for_notifications(item.type, item.webhook_secrets,
                                     item.paypal_receiver_email, item.paypal_receiver_id)


def missing_for_notifications(kind: str, webhook_secrets: str | None,
                              receiver_email: str | None, receiver_id: str | None) -> list[str]:
    """What a gateway still needs before a notification can be verified and checked as ours."""
    if kind == "stripe":
        return [] if webhook_secrets else ["webhookSecret"]
    return [] if receiver_email or receiver_id else ["paypalReceiverEmail"]


# -- writing -------------------------------------------------------------------------------------

def _secret_contexts(gateway_id: str) -> tuple[str, str]:
    return f"gateway:{gateway_id}:privateKey", f"gateway:{gateway_id}:webhookSecret"


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
            current: GatewayItem | None) -> dict[str, Any]:
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
    pk_ctx, wh_ctx = _secret_contexts(gateway_id)
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
    if kind not in TYPES:
        raise BadRequest(f"appIntegrationId must be one of {', '.join(TYPES)} (GET "
                         "v1/app-integrations lists them).", code="APP_INTEGRATION_NOT_FOUND",
                         field="appIntegrationId")
    return kind


_ROUTE_FIELDS = ("type", "status", "deleted", "test_mode", "public_key", "private_key",
                 "webhook_secrets", "paypal_receiver_email", "paypal_receiver_id", "paypal_mode")


def _route_for(item: GatewayItem) -> GatewayRouteItem:
    return GatewayRouteItem(route_pk(item.id), GATEWAY_SK, brand_id=item.brand_id,
                            modified_date=item.modified_date,
                            **{f: getattr(item, f) for f in _ROUTE_FIELDS})


def _default_writes(tx: Any, brand_id: str, head: GatewayHead | None, new_default: str | None,
                    written: str | None = None) -> None:
    """Point the brand's head at ``new_default``, unsetting the old default (unless it is
    ``written``, which the transaction changes already), conditioned on the head as read (a
    concurrent change of the default makes the transaction fail)."""
    now = settings.now()
    if head is None:
        tx.save(GatewayHead(head_pk(brand_id), HEAD_SK, default_id=new_default, version=1),
                condition=GatewayHead.pk.does_not_exist())
    else:
        tx.update(GatewayHead(head_pk(brand_id), HEAD_SK),
                  actions=[GatewayHead.default_id.set(new_default) if new_default
                           else GatewayHead.default_id.remove(),
                           GatewayHead.version.set(head.version + 1)],
                  condition=GatewayHead.version == head.version)
    old = head.default_id if head else None
    if old and old not in (new_default, written):
        tx.update(GatewayItem(gateway_pk(brand_id, old), GATEWAY_SK),
                  actions=[GatewayItem.is_default.set(False), GatewayItem.modified_date.set(now)],
                  condition=GatewayItem.pk.exists())


def _commit(write: Any) -> None:
    from chalicelib.store.tx import ConditionFailed

    try:
        write()
    except ConditionFailed:
        raise Conflict("The brand's gateways changed while saving; try again.",
                       code="GATEWAY_CONFLICT") from None
    finally:
        clear_cache()


def create(brand_id: str, data: dict[str, Any]) -> dict:
    from chalicelib.store.tx import transaction

    kind = _kind(data.get("appIntegrationId") or "")
    gateway_id = ids.new_id()
    v = _values(kind, gateway_id, data, None)
    head = _head(brand_id)
    has_default = bool(head and head.default_id)
    make_default = bool(data.get("isDefault")) or (not has_default and v["status"] == "Active")
    if make_default and v["status"] != "Active":
        raise BadRequest("The default gateway must be Active.", field="isDefault")
    now = settings.now()
    item = GatewayItem(gateway_pk(brand_id, gateway_id), GATEWAY_SK, id=gateway_id,
                       brand_id=brand_id, type=kind, gsi1pk=gateways_gsi(brand_id),
                       gsi1sk=f"{stamp(now)}#{gateway_id}", is_default=make_default,
                       version=1, created_date=now, modified_date=now, **v)

    def write() -> None:
        with transaction() as tx:
            tx.save(item, condition=GatewayItem.pk.does_not_exist())
            tx.save(_route_for(item), condition=GatewayRouteItem.pk.does_not_exist())
            if make_default:
                _default_writes(tx, brand_id, head, gateway_id)

    _commit(write)
    return to_dto(item)


def update(brand_id: str, gateway_id: str, data: dict[str, Any]) -> dict:
    from chalicelib.store.tx import transaction

    current = _item(brand_id, gateway_id)
    if data.get("appIntegrationId") and _kind(data["appIntegrationId"]) != current.type:
        raise BadRequest(f"A gateway's appIntegrationId can't change ({current.type}); create "
                         "a new gateway instead.", field="appIntegrationId")
    v = _values(current.type, gateway_id, data, current)
    head = _head(brand_id)
    want_default = data.get("isDefault")
    if current.is_default and want_default is False:
        raise BadRequest("This is the brand's default gateway; make another gateway the "
                         "default instead of unsetting it.", field="isDefault")
    make_default = bool(want_default) and not current.is_default
    if (current.is_default or make_default) and v["status"] != "Active":
        raise BadRequest("The default gateway must be Active.", field="status")
    now = settings.now()
    actions = [getattr(GatewayItem, k).set(val) if val is not None
               else getattr(GatewayItem, k).remove() for k, val in v.items()]
    actions += [GatewayItem.version.set(current.version + 1),
                GatewayItem.modified_date.set(now)]
    if make_default:
        actions.append(GatewayItem.is_default.set(True))
    for k, val in v.items():
        setattr(current, k, val)
    current.version, current.modified_date = current.version + 1, now
    current.is_default = current.is_default or make_default

    def write() -> None:
        with transaction() as tx:
            tx.update(GatewayItem(gateway_pk(brand_id, gateway_id), GATEWAY_SK), actions=actions,
                      condition=(GatewayItem.version == current.version - 1)
                      & (GatewayItem.deleted == False))  # noqa: E712
            tx.save(_route_for(current), condition=GatewayRouteItem.pk.exists())
            if make_default:
                _default_writes(tx, brand_id, head, gateway_id)

    _commit(write)
    return to_dto(current)


def delete(brand_id: str, gateway_id: str) -> bool:
    from chalicelib.store.tx import transaction

    current = _item(brand_id, gateway_id)
    head = _head(brand_id)
    now = settings.now()
    current.deleted, current.is_default, current.modified_date = True, False, now

    def write() -> None:
        with transaction() as tx:
            tx.update(GatewayItem(gateway_pk(brand_id, gateway_id), GATEWAY_SK), actions=[
                GatewayItem.deleted.set(True), GatewayItem.is_default.set(False),
                GatewayItem.gsi1pk.remove(), GatewayItem.gsi1sk.remove(),
                GatewayItem.version.set(current.version + 1),
                GatewayItem.modified_date.set(now)],
                condition=GatewayItem.version == current.version)
            tx.update(GatewayRouteItem(route_pk(gateway_id), GATEWAY_SK),
                      actions=[GatewayRouteItem.deleted.set(True),
                               GatewayRouteItem.modified_date.set(now)],
                      condition=GatewayRouteItem.pk.exists())
            if head is not None and head.default_id == gateway_id:
                _default_writes(tx, brand_id, head, None, written=gateway_id)

    _commit(write)
    return True


# -- what the webhook and the checkout use ------------------------------------------------------

_cache: dict[str, tuple[float, dict]] = {}


def clear_cache() -> None:
    _cache.clear()


def _verify_url(kind: str, mode: str | None) -> str | None:
    if kind != "paypal":
        return None
    from chalicelib.payments.gateways.paypal import verify_url_for

    try:
        return verify_url_for(mode or "live", settings.get().paypal_simulator_url)
    except ValueError:  # simulator without its URL configured: nothing can verify
        return None


def _open_secrets(gateway_id: str, private_key: str | None, webhook_secrets: str | None
                  ) -> tuple[str | None, list[str]]:
    pk_ctx, wh_ctx = _secret_contexts(gateway_id)
    key = secrets.decrypt(private_key, pk_ctx) if private_key else None
    hooks = json.loads(secrets.decrypt(webhook_secrets, wh_ctx)) if webhook_secrets else []
    return key, hooks


def get_for_webhook(gateway_id: str) -> dict:
    """What a notification to ``/api/v1/ipn/<type>/<gatewayId>`` needs (decrypted), read from
    the routing row (one GetItem) and kept ``CACHE_SECONDS`` in memory. 404 when unknown.
    A deleted gateway is still returned (``deleted: true``): payments made through it may
    still be notified about."""
    hit = _cache.get(gateway_id)
    if hit and hit[0] > time.monotonic():
        return dict(hit[1])
    try:
        row = GatewayRouteItem.get(route_pk(gateway_id), GATEWAY_SK)
    except GatewayRouteItem.DoesNotExist:
        raise NotFound(f"Payment gateway {gateway_id} was not found.",
                       code="GATEWAY_NOT_FOUND") from None
    key, hooks = _open_secrets(gateway_id, row.private_key, row.webhook_secrets)
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
    return dict(out)


def for_checkout(brand_id: str, app_integration_id: str | None) -> dict:
    """The Active gateway a checkout uses, secrets opened: ``app_integration_id`` is one of the
    brand's gateway ids, or ``stripe`` / ``paypal`` (the brand's default gateway of that type,
    else its oldest Active one); absent, the brand's default gateway."""
    wanted = (app_integration_id or "").strip()
    if wanted and wanted.lower() not in TYPES:
        try:
            item = _item(brand_id, wanted)
        except NotFound:
            raise BadRequest(f"appIntegrationId '{wanted}' is neither one of this brand's "
                             "payment gateways nor stripe/paypal.", code="GATEWAY_NOT_FOUND",
                             field="appIntegrationId") from None
    elif wanted:
        kind = wanted.lower()
        candidates = sorted((i for i in _items(brand_id) if i.type == kind
                             and i.status == "Active"),
                            key=lambda i: (bool(_missing(i)), not i.is_default,
                                           i.created_date, i.id))
        if not candidates:
            raise BadRequest(f"This brand has no Active {kind} gateway.",
                             code="GATEWAY_NOT_FOUND", field="appIntegrationId")
        item = candidates[0]
    else:
        head = _head(brand_id)
        if head is None or not head.default_id:
            raise BadRequest("This brand has no default payment gateway; send "
                             "appIntegrationId.", code="GATEWAY_NOT_FOUND",
                             field="appIntegrationId")
        item = _item(brand_id, head.default_id)
    if item.status != "Active":
        raise Conflict(f"Payment gateway {item.id} is Inactive.", code="GATEWAY_INACTIVE")
    missing = _missing(item)
    if missing:
        raise Conflict(f"Payment gateway {item.id} can't receive payment notifications yet, so "
                       f"it takes no payments: set its {' and '.join(missing)} "
                       f"(PUT v1/app-integrations/payment-gateway/{item.id}).",
                       code="GATEWAY_NOT_READY")
    key, hooks = _open_secrets(item.id, item.private_key, item.webhook_secrets)
    return {**to_dto(item), "type": item.type, "privateKey": key,
            "ipnListenerLink": ipn_link(item.type, item.id)}

