"""Seed data for the local stack, through the services (never raw items). Idempotent: what
exists is kept, so seeding a stack twice is harmless."""

from __future__ import annotations

from dataclasses import dataclass

PLATFORM_DOMAIN = "platform.localhost"
DEMO_DOMAIN = "demo.localhost"


@dataclass(frozen=True)
class Seeded:
    platform: dict
    demo: dict
    admin: dict
    created: tuple[str, ...]  # what this run created, for the console


def _brand(domain: str, created: list[str], **fields: object) -> dict:
    from chalicelib.http.errors import Conflict  # after the stack's environment
    from chalicelib.identity import service as identity  # after the stack's environment

    existing = identity.find_brand_by_host(domain)
    if existing:
        return existing
    try:
        brand = identity.create_brand(domain=domain, **fields)  # type: ignore[arg-type]
    except Conflict:  # created meanwhile by another seeder
        found = identity.find_brand_by_host(domain)
        if found is None:
            raise
        return found
    created.append(f"brand {brand['name']} ({domain})")
    return brand


def seed(admin_username: str, admin_password: str) -> Seeded:
    from chalicelib.identity import service as identity  # after the stack's environment

    created: list[str] = []
    platform = _brand(PLATFORM_DOMAIN, created, name="JFW Platform", abbr="JFW",
                      is_system=True, description="The platform brand; its SuperAdmins act "
                      "on every brand.",
                      setting={"systemEmail": f"no-reply@{PLATFORM_DOMAIN}",
                               "systemEmailTitle": "JFW Platform"})
    demo = _brand(DEMO_DOMAIN, created, name="Demo", abbr="DEMO", parent_id=platform["id"],
                  description="A demo brand for trying the API.",
                  setting={"systemEmail": f"no-reply@{DEMO_DOMAIN}",
                           "systemEmailTitle": "Demo", "emailSupport": f"support@{DEMO_DOMAIN}"})
    item = identity.find_user_by_login(platform["id"], admin_username)
    if item is None:
        email = admin_username if "@" in admin_username else f"{admin_username}@{PLATFORM_DOMAIN}"
        admin = identity.register_user(platform, password=admin_password, username=admin_username,
                               email_address=email,
                               first_name="Platform", last_name="Admin", user_type="SuperAdmin")
        created.append(f"SuperAdmin {admin_username}")
    else:
        admin = identity.user_dto(item)
    return Seeded(platform, demo, admin, tuple(created))


def sender_addresses(mail_sender: str, *brands: dict) -> list[str]:
    """Every From address the stack may send mail as: SES (moto) refuses unverified senders."""
    out = [mail_sender]
    for brand in brands:
        setting = brand.get("setting") or {}
        for key in ("systemEmail", "emailSupport"):
            if setting.get(key):
                out.append(setting[key])
    return list(dict.fromkeys(out))


def verify_senders(addresses: list[str], domains: list[str]) -> None:
    """SES identities for the senders (and whole seeded domains), so moto accepts the sends."""
    from chalicelib.store import aws  # after the stack's environment

    ses = aws.client("ses")
    from chalicelib.notify import service as notify  # after the stack's environment is set

    for address in addresses:
        notify.ensure_sender_verified(address)
    for domain in domains:
        ses.verify_domain_identity(Domain=domain)


# -- payments: the demo's package, price and gateways ------------------------------------------

DEFAULT_STRIPE_WEBHOOK_SECRET = "whsec_jfw_local_demo_secret"  # local only; printed at start
STRIPE_GATEWAY_NAME = "Stripe (localstripe)"
PAYPAL_GATEWAY_NAME = "PayPal (IPN simulator)"


@dataclass(frozen=True)
class SeededPayments:
    package: dict
    price: dict
    stripe: dict  # the gateway DTO (secrets masked)
    paypal: dict
    created: tuple[str, ...]


def _catalog(brand_id: str, created: list[str]) -> tuple[dict, dict]:
    """FREE (the default package, so new users are not on PRO) and PRO with a monthly USD
    price, so a checkout can be tried at once."""
    from chalicelib.catalog import service as catalog  # after the stack's environment

    packages = {p["code"]: p for p in catalog.list_packages(brand_id)}
    if "FREE" not in packages:
        packages["FREE"] = catalog.create_package(brand_id, {
            "code": "FREE", "name": "Free", "isFree": True, "isDefault": True,
            "description": "What every user starts with."})
        created.append("package FREE")
    if "PRO" not in packages:
        packages["PRO"] = catalog.create_package(brand_id, {
            "code": "PRO", "name": "Pro", "description": "Everything, billed monthly."})
        created.append("package PRO")
    monthly = next((t for t in catalog.list_subscription_types(brand_id)
                    if t["unit"] == "Month" and int(t.get("quantity") or 1) == 1), None)
    if monthly is None:
        monthly = catalog.create_subscription_type(brand_id, {
            "name": "Monthly", "unit": "Month", "quantity": 1, "zOrder": 1,
            "status": "Active"})
        created.append("subscription type Monthly")
    price = next((p for p in catalog.prices_for_package(brand_id, packages["PRO"]["id"])
                  if p["code"] == "PRO-MONTHLY-USD"), None)
    if price is None:
        price = catalog.create_price(brand_id, {
            "packageId": packages["PRO"]["id"], "subscriptionTypeId": monthly["id"],
            "code": "PRO-MONTHLY-USD", "name": "Pro monthly", "amount": "9.99",
            "currency": "USD"})
        created.append("price PRO-MONTHLY-USD (9.99 USD / month)")
    return packages["PRO"], price


def seed_payments(demo: dict, api_url: str, stripe_webhook_secret: str,
                  paypal_receiver_email: str, paypal_receiver_id: str) -> SeededPayments:
    """The demo brand's catalogue for checkout, a Stripe gateway for localstripe (the default)
    and a PayPal gateway verified by the IPN simulator. After paying (or cancelling), the buyer
    comes back to our own checkout page, which shows the payment's status."""
    from chalicelib.payments import service as payments  # after the stack's environment

    created: list[str] = []
    package, price = _catalog(demo["id"], created)
    existing = {g["name"]: g for g in payments.list_gateways(demo["id"])}
    links = {"returnLink": f"{api_url}/api/checkout/{{paymentId}}?brandId={{brandId}}&paid=true",
             "cancelLink": f"{api_url}/api/checkout/{{paymentId}}?brandId={{brandId}}"
                           "&cancelled=true"}
    stripe = existing.get(STRIPE_GATEWAY_NAME)
    if stripe:  # kept from an earlier run (the data persists): its id, and so its URL, stay
        stripe = _follow(demo["id"], stripe, links, stripe_webhook_secret, created)
    else:
        stripe = payments.create_gateway(demo["id"], {
            "appIntegrationId": "stripe", "name": STRIPE_GATEWAY_NAME, **links,
            "publicKey": "pk_test_local", "privateKey": "sk_test_local",
            "webhookSecret": stripe_webhook_secret, "testMode": True, "isDefault": True,
            "description": "Cards through localstripe (test card 4242 4242 4242 4242)."})
    paypal = existing.get(PAYPAL_GATEWAY_NAME)
    if paypal:
        paypal = _follow(demo["id"], paypal, links, None, created)
    else:
        paypal = payments.create_gateway(demo["id"], {
            "appIntegrationId": "paypal", "name": PAYPAL_GATEWAY_NAME, **links,
            "paypalReceiverEmail": paypal_receiver_email, "paypalReceiverId": paypal_receiver_id,
            "paypalMode": "simulator", "testMode": True,
            "description": "IPN messages from chalicelib/devstack/paypal_simulator.py."})
    created += [f"gateway {name}" for name in (STRIPE_GATEWAY_NAME, PAYPAL_GATEWAY_NAME)
                if name not in existing]
    return SeededPayments(package, price, stripe, paypal, tuple(created))


_GATEWAY_FIELDS = ("name", "returnLink", "cancelLink", "cancelLinkWithoutLogin", "publicKey",
                   "privateKey", "paypalReceiverEmail", "paypalReceiverId", "paypalMode",
                   "description", "notes", "testMode", "status")


def _follow(brand_id: str, gateway: dict, links: dict[str, str], webhook_secret: str | None,
            created: list[str]) -> dict:
    """A seeded gateway kept from an earlier run, brought in line with this run's settings:
    localstripe signs with this run's ``STRIPE_WEBHOOK_SECRET`` and the buyer comes back to this
    run's API port. Everything else (and the id) stays as it was."""
    from chalicelib.payments import service as payments  # after the stack's environment

    changes = {k: v for k, v in links.items() if gateway.get(k) != v}
    if webhook_secret is not None and \
            payments.get_for_webhook(gateway["id"])["webhookSecret"] != webhook_secret:
        changes["webhookSecret"] = webhook_secret
    if not changes:
        return gateway
    body = {k: gateway[k] for k in _GATEWAY_FIELDS if gateway.get(k) is not None}
    # The masked key keeps the stored one; the stored webhook secret is kept unless replaced.
    body["webhookSecret"] = None
    updated = payments.update_gateway(brand_id, gateway["id"], {**body, **changes})
    created.append(f"gateway {gateway['name']} updated ({', '.join(sorted(changes))})")
    return updated


def register_stripe_webhook(stripe_url: str, notify_url: str, secret: str) -> None:
    """Point localstripe's webhooks at our Stripe notification URL (in memory at localstripe:
    done at every start)."""
    import json  # after the stack's environment
    import urllib.request  # after the stack's environment

    from chalicelib.payments import service as payments  # after the stack's environment

    body = json.dumps({"url": notify_url, "secret": secret,
                       "events": list(payments.STRIPE_EVENT_TYPES)}).encode()
    req = urllib.request.Request(f"{stripe_url}/_config/webhooks/jfw-demo", data=body,
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
