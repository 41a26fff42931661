"""A brand's webhook endpoints: where its events are POSTed, and the secret they are signed with.

The secret (``whsec_...``, signing.py) is made here, sealed at rest (store/secrets.py, context
``webhook:<endpointId>:secret``: a sealed value copied to another endpoint fails to open) and
shown in full only in the answer that made it (create, roll-secret); reads show it masked.
Rolling keeps the previous secret valid for ``ROLL_OVERLAP`` (24 h): deliveries carry one
signature per valid secret meanwhile, so a receiver can switch without losing any.

Every change is one conditional write (the endpoint's ``version``), so two admins editing at
once can't lose each other's change silently: the second gets a 409.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib import settings
from chalicelib.http import paging
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.store import ids, secrets
from chalicelib.webhooks import signing, ssrf
from chalicelib.webhooks.constants import (
    ALL_EVENTS,
    DISABLED,
    ENABLED,
    ENDPOINT_STATUSES,
    MAX_ENABLED_EVENTS,
    MAX_ENDPOINTS_PER_BRAND,
)
from chalicelib.webhooks.models import EndpointItem, endpoints_pk

ROLL_OVERLAP = timedelta(hours=24)
_EVENT_CODE = re.compile(r"^[A-Z0-9-]+(\.[A-Z0-9-]+)*(\.\*)?$")


def secret_context(endpoint_id: str) -> str:
    return f"webhook:{endpoint_id}:secret"


def check_url(url: str) -> str:
    ssrf.check_url(url, local=settings.get().is_local)
    return url


def check_events(codes: list[str]) -> list[str]:
    """``*``, event codes (``PAYMENT.PROCESSED.SUCCESS``) or prefixes (``PAYMENT.*``)."""
    out = list(dict.fromkeys(c.strip() for c in codes))
    if not 1 <= len(out) <= MAX_ENABLED_EVENTS:
        raise BadRequest(f"enabledEvents: give 1 to {MAX_ENABLED_EVENTS} event codes, or "
                         '["*"] for every event.', field="enabledEvents")
    for code in out:
        if code != ALL_EVENTS and not (len(code) <= 100 and _EVENT_CODE.match(code)):
            raise BadRequest(f"enabledEvents: {code!r} is not an event code such as "
                             "PAYMENT.PROCESSED.SUCCESS, a prefix such as PAYMENT.*, or *.",
                             field="enabledEvents")
    return out


def wants(item: EndpointItem, code: str) -> bool:
    """Whether the endpoint takes events of ``code``."""
    for pattern in item.enabled_events or []:
        if pattern == ALL_EVENTS or pattern == code or \
                (pattern.endswith(".*") and code.startswith(pattern[:-1])):
            return True
    return False


def for_brand(brand_id: str) -> list[EndpointItem]:
    """The brand's endpoints: one Query (bounded by MAX_ENDPOINTS_PER_BRAND)."""
    return list(EndpointItem.query(endpoints_pk(brand_id)))


def get(brand_id: str, endpoint_id: str) -> EndpointItem:
    try:
        return EndpointItem.get(endpoints_pk(brand_id), endpoint_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("Webhook endpoint not found.") from None


def signing_secrets(item: EndpointItem, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one while
    its overlap lasts."""
    out = [secrets.decrypt(item.secret, secret_context(item.id))]
    if item.previous_secret and item.previous_until and item.previous_until > now:
        out.append(secrets.decrypt(item.previous_secret, secret_context(item.id)))
    return out


def dto(item: EndpointItem, secret: str | None = None) -> dict[str, Any]:
    now = settings.now()
    rolling = item.previous_until if item.previous_until and item.previous_until > now else None
    return {
        "id": item.id, "url": item.url, "description": item.description,
        "enabledEvents": list(item.enabled_events or []), "status": item.status,
        "statusReason": item.status_reason,
        # In full only in the answer that made it; masked (whsec_…abcd) on every read.
        "secret": secret or secrets.mask(secrets.decrypt(item.secret, secret_context(item.id))),
        "previousSecretValidUntil": rolling.isoformat() if rolling else None,
        "lastSuccessDate": item.last_success_date.isoformat() if item.last_success_date
        else None,
        "createdDate": item.created_date.isoformat(),
        "updatedDate": item.updated_date.isoformat() if item.updated_date else None,
    }


def create(brand_id: str, body: Any, user_id: str | None) -> dict[str, Any]:
    url = check_url(body.url)
    events = check_events(body.enabledEvents)
    status = body.status or ENABLED
    if len(for_brand(brand_id)) >= MAX_ENDPOINTS_PER_BRAND:
        raise Conflict(f"A brand has at most {MAX_ENDPOINTS_PER_BRAND} webhook endpoints; "
                       "delete one first.")
    endpoint_id = ids.new_id()
    secret = signing.new_secret()
    now = settings.now()
    item = EndpointItem(endpoints_pk(brand_id), endpoint_id, id=endpoint_id, brand_id=brand_id,
                        created_date=now, url=url, description=body.description,
                        enabled_events=events, status=status, created_by=user_id,
                        secret=secrets.encrypt(secret, secret_context(endpoint_id)), version=1)
    try:
        item.save(condition=EndpointItem.pk.does_not_exist())
    except PutError as e:  # pragma: no cover - a 14-character random id taken
        raise Conflict("Try again.") from e
    return dto(item, secret)


def update(brand_id: str, endpoint_id: str, body: Any) -> dict[str, Any]:
    item = get(brand_id, endpoint_id)
    now = settings.now()
    actions = [EndpointItem.updated_date.set(now), EndpointItem.version.add(1)]
    sent = body.model_fields_set
    if "url" in sent and body.url is not None:
        actions.append(EndpointItem.url.set(check_url(body.url)))
    if "description" in sent:
        actions.append(EndpointItem.description.set(body.description) if body.description
                       else EndpointItem.description.remove())
    if "enabledEvents" in sent and body.enabledEvents is not None:
        actions.append(EndpointItem.enabled_events.set(check_events(body.enabledEvents)))
    if "status" in sent and body.status is not None:
        if body.status not in ENDPOINT_STATUSES:  # pragma: no cover - the schema's Literal
            raise BadRequest("status must be Enabled or Disabled.", field="status")
        actions.append(EndpointItem.status.set(body.status))
        if body.status == ENABLED:
            actions.append(EndpointItem.status_reason.remove())
        elif body.status == DISABLED:
            actions.append(EndpointItem.status_reason.set("Disabled by an administrator."))
    _write(item, actions)
    return dto(get(brand_id, endpoint_id))


def roll_secret(brand_id: str, endpoint_id: str) -> dict[str, Any]:
    item = get(brand_id, endpoint_id)
    now = settings.now()
    secret = signing.new_secret()
    _write(item, [EndpointItem.previous_secret.set(item.secret),
                  EndpointItem.previous_until.set(now + ROLL_OVERLAP),
                  EndpointItem.secret.set(secrets.encrypt(secret, secret_context(item.id))),
                  EndpointItem.updated_date.set(now), EndpointItem.version.add(1)])
    return dto(get(brand_id, endpoint_id), secret)


def delete(brand_id: str, endpoint_id: str) -> bool:
    item = get(brand_id, endpoint_id)
    try:
        item.delete(condition=EndpointItem.version == item.version)
    except DeleteError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The endpoint changed meanwhile; read it again.") from None
        raise
    return True


def disable(item: EndpointItem, reason: str) -> Any:
    """The update that disables ``item`` (for a transaction), if it is still Enabled."""
    return ([EndpointItem.status.set(DISABLED), EndpointItem.status_reason.set(reason),
             EndpointItem.updated_date.set(settings.now()), EndpointItem.version.add(1)],
            EndpointItem.status == ENABLED)


def mark_success(item: EndpointItem, when: datetime) -> None:
    try:
        item.update(actions=[EndpointItem.last_success_date.set(when)],
                    condition=EndpointItem.pk.exists())
    except UpdateError:
        pass  # deleted meanwhile: nothing to remember


def list_endpoints(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    rows = [dto(i) for i in for_brand(brand_id)]
    if query.get("status"):
        rows = [r for r in rows if r["status"] == query["status"]]
    return paging.page(rows, query, sortable=("url", "status", "updatedDate"),
                       keyword_fields=("url", "description"))


def _write(item: EndpointItem, actions: list[Any]) -> None:
    try:
        item.update(actions=actions, condition=EndpointItem.version == item.version)
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The endpoint changed meanwhile; read it again.") from None
        raise
