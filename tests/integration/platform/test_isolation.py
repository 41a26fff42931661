"""Tenant isolation, route by route, generated from the route table.

Brand A is the demo brand, brand B the other brand. For every route with a path parameter the
objects are made in brand B; an Admin of brand A then calls the route with A's Brand-URL and B's
ids and must get 404, exactly as for a missing object, with nothing written. Lists never show
B's objects. A's Auth-Key with B's Brand-URL is a 401 on every route that takes one.

A route whose path parameter has no entry in FACTORIES (and whose collection can't be created
generically through its POST route) FAILS, so every new route is covered or consciously exempted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.http.routing import Route, resolve
from chalicelib.routes import all_routes
from tests.helpers.api import Api, make_user
from tests.helpers.routes import Schema, fill_path, route_id
from tests.helpers.tables import assert_unchanged, dump_tables, no_dynamodb_writes
from tests.helpers.users import admin_of, error_of

ROUTES = all_routes("test")

# (method, path) -> why the route is not checked here. Rule-based exemptions come on top:
# routes with auth="none" (public by design), brand=False (no tenant), or limited to dev stages.
EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/brands/check-domain-exists/{domain}"):
        "domains are global: saying whether one is taken is the route's purpose",
    ("POST", "/api/v1/wallets/{id}"):
        "{id} is a currency code (JFW's v1/wallets/{currencyCode}): it opens the caller's own "
        "wallet, in the caller's brand",
    ("GET", "/api/v1/events/{id}"):
        "events are the platform's catalogue, the same in every brand (no brand owns one); "
        "the mail/text settings read are the caller's brand's",
    ("PUT", "/api/v1/events/{id}"):
        "events are the platform's catalogue, the same in every brand; the setting written is "
        "the caller's brand's (tests/integration/notify/test_events_api.py checks brands apart)",
    ("GET", "/api/v1/events/{id}/email-templates"):
        "events are the platform's catalogue (the same ids in every brand); the template shown "
        "is always the caller's brand's own or the default",
    ("GET", "/api/v1/events/{id}/email-templates/default"):
        "events are the platform's catalogue: the built-in default is no brand's object",
    **{(m, "/api/v1/events/{id}/phone-templates" + tail):
       "{id} is a catalog event, the same for every brand: the phone template read or written "
       "is always the caller's brand's (tests/integration/notify/test_sms.py)"
       for m, tail in (("GET", ""), ("GET", "/default"), ("PUT", ""), ("DELETE", ""))},
}


def exempt_reason(r: Route) -> str | None:
    if (r.method, r.path) in EXEMPT:
        return EXEMPT[(r.method, r.path)]
    if r.auth == "none":
        return "public route (auth none); referral codes are checked per brand elsewhere"
    if not r.brand:
        return "not scoped to a brand"
    if r.stages is not None:
        return "exists only in dev stages"
    return None


CHECKED = [r for r in ROUTES if exempt_reason(r) is None]
PARAM_ROUTES = [r for r in CHECKED if r.path_params]
LIST_ROUTES = [r for r in CHECKED if not r.path_params and r.method == "GET"]


class Env:
    """Brand B's objects, made on first use and remembered for the test."""

    def __init__(self, api: Api, demo: dict, other: dict, root: Api) -> None:
        self.api, self.demo, self.other = api, demo, other
        self.a_admin = admin_of(api, demo)
        self.b_root = root.as_(root.auth_key, "other.test")  # makes B's objects via the API
        self.made: dict[tuple[str, str], str | None] = {}
        self.why: dict[str, str] = {}

    def value(self, segment: str, param: str) -> str:
        made = self.maybe(segment, param)
        if made is None:
            pytest.fail(f"No way to make brand B's object for '{segment}/{{{param}}}': add an "
                        "entry to FACTORIES in tests/integration/platform/test_isolation.py. "
                        f"({self.why.get(segment, 'no POST route for the collection')})")
        return made

    def maybe(self, segment: str, param: str) -> str | None:
        """B's value for ``segment/{param}``, or None when the test can't make one."""
        key = (segment, param) if (segment, param) in FACTORIES else (segment, "*")
        if key not in self.made:
            self.made[key] = (FACTORIES[key](self) if key in FACTORIES
                              else self.create_through_api(segment))
        return self.made[key]

    def create_through_api(self, segment: str) -> str | None:
        """B's object made by POSTing an example body to the collection ``.../{segment}``."""
        post = next((r for r in ROUTES if r.method == "POST" and not r.path_params
                     and r.path.rstrip("/").endswith("/" + segment)), None)
        if post is None or not post.body:
            return None
        schema = Schema(resolve(post.body))
        body = self.with_references(schema.example())
        for _ in range(5):
            resp = self.b_root.request("POST", post.path, body=body)
            data = (resp.json_body or {}).get("data")
            if isinstance(data, dict) and isinstance(data.get("items"), list) and data["items"]:
                data = data["items"][0]  # a batch create answers a list of what it made
            if 200 <= resp.status_code < 300 and isinstance(data, dict) and "id" in data:
                return data["id"]
            if 200 <= resp.status_code < 300:  # e.g. {countSuccess}: find it in the list
                return self.first_listed(post.path) or None
            # A rule beyond the schema wants an optional field: give it an example, retry.
            field = ((resp.json_body or {}).get("errors") or [{}])[0].get("field")
            if resp.status_code != 400 or field not in schema.fields() or field in body:
                break
            value = schema.example_value(schema.fields()[field])
            body = {**body, **self.with_references({field: value})}
        self.why[segment] = f"POST {post.path} {body} -> {resp.status_code} {resp.body!r}"
        return None

    def first_listed(self, path: str) -> str | None:
        resp = self.b_root.request("GET", path)
        data = (resp.json_body or {}).get("data") if resp.status_code == 200 else None
        items = data.get("items") if isinstance(data, dict) else data
        return items[0].get("id") if isinstance(items, list) and items else None

    def with_references(self, body: Any) -> Any:
        """Fields such as ``packageId`` / ``packageIds`` get brand B's object of that kind
        (when the test can make one; otherwise they keep their example value)."""
        if isinstance(body, list):
            return [self.with_references(b) for b in body]
        if not isinstance(body, dict):
            return body
        out = dict(body)
        for name, value in body.items():
            m = re.fullmatch(r"([a-z][A-Za-z]*)Ids?", name)
            if not m:
                continue
            segment = re.sub(r"(?<!^)(?=[A-Z])", "-", m.group(1)).lower() + "s"
            ref = self.maybe(segment, "*")
            if ref is not None:
                out[name] = [ref] if isinstance(value, list) else ref
        return out


def _b_user(env: Env) -> dict:
    if "user" not in env.__dict__:
        env.__dict__["user"] = make_user(env.other, "b-only-user")
    return env.__dict__["user"]


def _b_role(env: Env) -> str:
    from chalicelib.identity import roles

    return roles.create_role(env.other["id"], code="B-ROLE", name="B's role")["id"]


def _b_permission(env: Env) -> str:
    from chalicelib.identity import roles

    return roles.create_permission(env.other["id"], resource_type_id="B", code="B.SECRET",
                                   name="B's permission")["id"]


# (segment before the parameter, parameter name or "*") -> brand B's value for it.
FACTORIES: dict[tuple[str, str], Callable[[Env], str]] = {
    ("users", "*"): lambda env: _b_user(env)["id"],
    ("by-username", "username"): lambda env: _b_user(env)["username"],
    ("referrals", "code"): lambda env: _b_user(env)["referralCode"],
    ("type", "type"): lambda env: "Partner",  # a value, not an object
    ("roles", "*"): _b_role,
    ("permissions", "*"): _b_permission,
    ("brands", "*"): lambda env: env.other["id"],
    ("domains", "*"): lambda env: env.other["domains"][0]["id"],
    ("payments", "id"): lambda env: _b_payment(env),
    ("notifications", "id"): lambda env: _b_notification(env),
    ("by-code", "deviceCode"): lambda env: _b_device_code(env),
    ("files", "fileId"): lambda env: _b_file(env),
    ("exchange-rates", "id"): lambda env: _b_rate(env),
    ("wallets", "id"): lambda env: _b_wallet(env),
    ("redeem-codes", "id"): lambda env: _b_redeem_code(env)["id"],
    ("apply-redeem", "redeemCode"): lambda env: _b_redeem_code(env)["code"],
    ("invoices", "id"): lambda env: _b_invoice(env),
    ("credit-notes", "noteId"): lambda env: _b_credit_note(env),
    ("saved-cards", "id"): lambda env: _b_saved_card(env),
    ("tracking-emails", "id"): lambda env: _b_tracking_email(env),
    ("suppressions", "id"): lambda env: _b_suppression(env),
    ("email-templates", "id"): lambda env: _b_email_template(env),
    ("deliveries", "deliveryId"): lambda env: _b_webhook_delivery(env),
}


def _b_tracking_email(env: Env) -> str:
    """A row of brand B's delivery log."""
    from chalicelib import settings
    from chalicelib.notify import tracking, trackingemails

    row = tracking.record(brand_id=env.other["id"], outbox_id="bOutboxRow1", channel="Email",
                          to="b@example.com", sender="b@other.test", subject="B", body="B",
                          event_code="USER.PASSWORD.CHANGED", message_id="b-ses-id",
                          template_source="default", language_code="en", now=settings.now())
    row.save()
    return trackingemails.row_id(row.sk)


def _b_suppression(env: Env) -> str:
    """An address brand B's mail complained about."""
    from chalicelib.notify import suppressions

    return suppressions.suppress(env.other["id"], "b-complainer@example.com",
                                 scope=suppressions.BRAND, reason=suppressions.COMPLAINT,
                                 detail="made by the isolation test").id


def _b_email_template(env: Env) -> str:
    from chalicelib.notify import emailtemplates

    return emailtemplates.save_template(env.other["id"], "USER.PASSWORD.CHANGED",
                                        subject="B's subject", body="<p>B</p>")["id"]


def _b_webhook_delivery(env: Env) -> str:
    """A delivery to brand B's webhook endpoint (made through the API), stored as the fan-out
    stores one (no POST is tried)."""
    from chalicelib import settings
    from chalicelib.webhooks import deliveries

    endpoint_id = env.value("webhook-endpoints", "id")
    item = deliveries._new(env.other["id"], endpoint_id, "whd_b_only", "PAYMENT.PROCESSED.SUCCESS",
                           "{}", settings.now(), scheduled=False)
    item.save()
    return item.id


def _b_saved_card(env: Env) -> str:
    """A card brand B's user saved (the row the saved-card outbox handler writes)."""
    from chalicelib import settings
    from chalicelib.payments.cards import saved

    card = saved.save(env.other["id"], _b_user(env)["id"], "b-gateway", "cus_b", {
        "id": "pm_b", "card": {"brand": "visa", "last4": "4242", "exp_month": 12,
                               "exp_year": 2030}}, "b-payment", settings.now())
    return card.id


def _b_invoice(env: Env) -> str:
    """Brand B's invoice, issued for a completed payment by invoicing's subscriber."""
    from chalicelib.invoicing import service as invoicing

    payment_id = _b_payment(env)
    invoicing.on_payment_event({
        "brandId": env.other["id"], "paymentId": payment_id, "status": "Completed",
        "completed": True, "currency": "USD", "amountMinor": 100, "amountGrossMinor": 100,
        "quote": {}, "userId": _b_user(env)["id"]})
    return invoicing.find_for_payment(env.other["id"], payment_id).id


def _b_credit_note(env: Env) -> str:
    """A credit note of brand B's invoice: its payment refunded in full."""
    from chalicelib.invoicing import service as invoicing

    invoice, _ = invoicing.read(env.other["id"], env.value("invoices", "id"))
    invoicing.on_payment_event({
        "brandId": env.other["id"], "paymentId": invoice.payment_id, "status": "Refunded",
        "completed": True, "currency": "USD", "amountMinor": 100, "amountGrossMinor": 100,
        "refundedMinor": 100, "quote": {}, "userId": invoice.user_id})
    _, notes = invoicing.read(env.other["id"], invoice.id)
    return notes[0].id


def _b_wallet(env: Env) -> str:
    from chalicelib.wallet import service as wallet

    return wallet.open_wallet(env.other["id"], _b_user(env)["id"], "USD").id


def _b_rate(env: Env) -> str:
    from decimal import Decimal

    from chalicelib.wallet.rates import rates

    return rates.set_rate(env.other["id"], "USD", "JPY", Decimal("150"), None)["id"]


def _b_redeem_code(env: Env) -> dict:
    """One code of a batch made in brand B: its id and its text."""
    if "redeem_code" not in env.__dict__:
        from chalicelib.wallet.redeem import codes
        from chalicelib.wallet.redeem.schemas import RedeemBatchBody

        made = codes.create_batch(env.other["id"], RedeemBatchBody(
            amount="1", currencyCode="USD", quantity=1))
        env.__dict__["redeem_code"] = {"id": f"{made['id']}-00001", "code": made["codes"][0]}
    return env.__dict__["redeem_code"]


def _b_device_code(env: Env) -> str:
    from chalicelib.licensing import devices

    if devices.find_by_code(env.other["id"], "B-ONLY-DEVICE") is None:
        devices.create(env.other["id"], {"type": "Web", "code": "B-ONLY-DEVICE",
                                         "name": "B's device"}, None)
    return "B-ONLY-DEVICE"


def _b_file(env: Env) -> str:
    from chalicelib.licensing import downloads

    package_id = env.value("packages", "packageId")
    return downloads.add_file(env.other["id"], package_id, {
        "fileName": "b.txt", "contentType": "text/plain", "contentBase64": "Yg=="})["id"]


def _b_payment(env: Env) -> str:
    from chalicelib.payments import service

    return service.create_payment(env.other, amount_minor=100, currency="USD").id


def _b_notification(env: Env) -> str:
    from chalicelib.payments.inbound import notifications

    item = notifications.new(env.other["id"], "stripe", "b-gateway", b"{}")
    notifications.save_outcome(item, "unknown_payment", "made by the isolation test")
    return item.id


@pytest.fixture(scope="module")
def env(world) -> Env:
    """Shared by the module: no case may change brand B (each one checks)."""
    return Env(world.api, world.demo, world.other, world.root)


def b_path(env: Env, route: Route) -> str:
    parts = route.path.split("/")
    values = {}
    for i, part in enumerate(parts):
        if part.startswith("{"):
            name = part.strip("{}+")
            values[name] = env.value(parts[i - 1], name)
    return fill_path(route, values)


# -- the table itself ---------------------------------------------------------------------------

def test_exemptions_name_existing_routes():
    table = {(r.method, r.path) for r in ROUTES}
    assert set(EXEMPT) <= table, f"stale exemptions: {set(EXEMPT) - table}"


def test_sibling_path_parameters_share_one_name():
    """API Gateway refuses /roles/{id} beside /roles/{roleId}; Chalice's local matcher would
    then hand a handler both names."""
    names: dict[str, set[str]] = {}
    for r in ROUTES:
        parts = r.path.split("/")
        for i, part in enumerate(parts):
            if part.startswith("{"):
                names.setdefault("/".join(parts[:i]), set()).add(part)
    clashes = {parent: sorted(n) for parent, n in names.items() if len(n) > 1}
    assert not clashes, f"different parameter names at the same place: {clashes}"


# -- brand A's admin reaching for brand B's objects ---------------------------------------------

@pytest.mark.parametrize("route", PARAM_ROUTES, ids=route_id)
def test_another_brands_object_is_404(env, route):
    path = b_path(env, route)
    body = env.with_references(Schema(resolve(route.body)).example()) if route.body else None
    before = dump_tables(env.other["id"])
    resp = env.a_admin.request(route.method, path, body=body)
    assert resp.status_code == 404, (
        f"{route_id(route)} as brand A's Admin with brand B's ids ({path}) -> "
        f"{resp.status_code}: {resp.body!r}")
    error_of(resp)
    assert_unchanged(before, f"{route_id(route)} with brand B's ids", env.other["id"])


@pytest.mark.parametrize("route", LIST_ROUTES, ids=route_id)
def test_lists_never_show_another_brands_objects(env, route):
    b_ids = {env.other["id"]}
    for r in PARAM_ROUTES:  # B's object of every kind the test can make
        parts = r.path.split("/")
        for i, part in enumerate(parts):
            if part.startswith("{") and (parts[i - 1], part.strip("{}+")) != ("type", "type"):
                b_ids.add(env.maybe(parts[i - 1], part.strip("{}+")))
    b_ids.discard(None)
    resp = env.a_admin.request("GET", fill_path(route))
    text = json.dumps(resp.json_body)
    leaked = sorted(i for i in b_ids if i in text)
    assert not leaked, f"{route_id(route)} shows brand B's {leaked}: {text[:500]}"


AUTH_ROUTES = [r for r in ROUTES if r.auth != "none" and r.brand]


@pytest.mark.parametrize("route", AUTH_ROUTES, ids=route_id)
def test_an_auth_key_of_brand_a_is_401_for_brand_b(env, route):
    a_key = env.a_admin.as_(env.a_admin.auth_key, "other.test")
    with no_dynamodb_writes(route_id(route)):
        resp = a_key.request(route.method, fill_path(route), body={} if route.body else None)
    assert resp.status_code == 401, f"{route_id(route)}: {resp.status_code} {resp.body!r}"
    assert error_of(resp)["code"] == "AUTH_KEY_WRONG_BRAND"


def test_every_checked_route_is_listed_somewhere():
    """Sanity: the generated lists are not empty, and the admin routes are among them."""
    checked = {(r.method, r.path) for r in PARAM_ROUTES}
    assert ("GET", "/api/v1/users/{id}") in checked
    assert ("DELETE", "/api/v1/roles/{id}/permissions") in checked
    assert ("PUT", "/api/v1/users/{id}/type/{type}") in checked
    assert ("GET", "/api/v1/users") in {(r.method, r.path) for r in LIST_ROUTES}
