"""Saved cards against localstripe (started here on a free 127.0.0.1 port): the buyer's consent
at checkout (``saveCardForRenewals``), the card kept once the payment completed (not before),
the caller's list and deletion, and ``payments.charge_saved_card`` charging it off-session
through the real webhook path, or failing the payment when Stripe refuses.

The buyer pays on the hosted page as its Stripe.js does (tests/localstripe.py
``pay_as_the_browser``), with 4242424242424242, a card that also charges off-session (localstripe
asks for 3-D Secure again off-session, where Stripe would not once set up); cards localstripe
declines at charge time (4000000000000341) are saved through the outbox handler the consumer
runs, with a customer and PaymentMethod made at localstripe.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.notify import jobs
from chalicelib.notify import service as notify
from chalicelib.payments import service as payments
from chalicelib.payments.cards import models as cm
from chalicelib.payments.cards import saved
from tests.helpers import checkout as support
from tests.helpers.api import register_and_login
from tests.helpers.checkout import holder_id, outbox_rows, payments_of, raw_items, raw_text
from tests.localstripe import (
    PLAIN_CARD,
    Receiver,
    for_pi,
    pay_as_the_browser,
    register_webhook,
    running_localstripe,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("saved_cards_localstripe")]

GW = "v1/app-integrations/payment-gateway"
SECRET = "whsec_saved_cards_localstripe"
STRIPE = {**support.STRIPE_BODY, "publicKey": "pk_test_local", "privateKey": "sk_test_local",
          "webhookSecret": SECRET}
THREE_D_SECURE = "4000002500003155"  # asks the buyer to authenticate, off-session too
DECLINED_AT_CHARGE = "4000000000000341"  # attaches to a customer; every charge is declined


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as ls:
        receiver = Receiver()
        register_webhook(ls["base"], "saved-card-tests", receiver.url, SECRET,
                         ["payment_intent.succeeded", "payment_intent.payment_failed"])
        try:
            yield {**ls, "receiver": receiver}
        finally:
            receiver.close()


@pytest.fixture
def stripe_base(localstripe, monkeypatch, aws_env):
    monkeypatch.setenv("JFW_STRIPE_API_BASE", localstripe["base"])
    settings.reload()
    yield localstripe["base"]
    monkeypatch.undo()
    settings.reload()


@pytest.fixture
def sk(stripe_base):
    import stripe

    return stripe.StripeClient("sk_test_local", base_addresses={"api": stripe_base},
                               max_network_retries=0)


@pytest.fixture
def gateway(admin, stripe_base) -> dict:
    return admin.ok("POST", GW, STRIPE)


# -- helpers ---------------------------------------------------------------------------------------

def user_id_of(buyer) -> str:
    return buyer.ok("GET", "v1/users/me")["id"]


def deliver(api, localstripe, gateway: dict, event_type: str, pi_id: str):
    """localstripe's signed webhook for ``pi_id``, through our notification route."""
    headers, raw = localstripe["receiver"].wait_for(for_pi(event_type, pi_id))
    resp = api.client.http.post(f"/api/v1/ipn/stripe/{gateway['id']}", body=raw, headers={
        "Content-Type": headers["Content-Type"], "Stripe-Signature": headers["Stripe-Signature"]})
    assert resp.status_code == 200, resp.body
    return resp


def run_saved_card_rows(brand_id: str) -> list[dict]:
    """The outbox consumer's work on the rows holding the brand's saved-card effects
    (jobs.process, as for an SQS message); what each saved-card effect recorded. A bundle runs
    its other effects too; their failures (the mail: this test's SES has no verified sender)
    are not this test's, and don't stop the saved-card effect."""
    for outbox_id in {holder_id(r) for r in outbox_rows(brand_id, "saved-card")}:
        try:
            jobs.process(brand_id, outbox_id)
        except Exception:  # noqa: BLE001 - another effect of the bundle; see above
            pass
    return [r.result for r in outbox_rows(brand_id, "saved-card")]


def checkout(buyer, shop, brand_id: str, body: dict | None = None, paid: bool = False):
    """A checkout link and its payment; ``paid``: the buyer then paid with PLAIN_CARD on the
    page (what the page's config holds is the payment's gateway data)."""
    link = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link", body)
    parts = urlsplit(link)
    payment = payments.get_payment(brand_id, parts.path.rsplit("/", 1)[1])
    if paid:
        pi = pay_as_the_browser(settings.get().stripe_api_base, payment.gateway_data)
        assert pi["status"] == "succeeded", pi
    return link, payment


def pay_on_the_page(api, link: str, stripe_base: str, card: str = PLAIN_CARD) -> dict:
    """The buyer types ``card`` on the page (a 3-D Secure one is then authenticated)."""
    parts = urlsplit(link)
    page = api.client.http.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.body
    config = json.loads(re.search(r'<script id="checkout-config" type="application/json">'
                                  r"(.*?)</script>", page.body.decode(), re.S).group(1))
    pi = pay_as_the_browser(stripe_base, config, card, authenticate=True)
    assert pi["status"] == "succeeded", pi
    return pi


def bought_and_saved(api, buyer, shop, gateway, localstripe, brand_id: str):
    """A consented checkout paid with the plain card, completed by its webhook, the card kept."""
    _, payment = checkout(buyer, shop, brand_id, {"saveCardForRenewals": True}, paid=True)
    deliver(api, localstripe, gateway, "payment_intent.succeeded", payment.merchant_ref_no)
    assert payments.get_payment(brand_id, payment.id).status == "Completed"
    assert run_saved_card_rows(brand_id)[-1]["saved"] is True
    return payment


def order_for(brand: dict, shop: dict) -> payments.Order:
    """What a renewal of PRO-30 charges (the shop's USD price, quoted as a checkout would)."""
    price = catalog.get_price(brand["id"], shop["usd"])
    quote = catalog.quote(brand, shop["pro"], price_id=shop["usd"])
    return payments.Order(price=price, quote=quote,
                          amount=money.to_minor(quote["total"], quote["currency"]),
                          currency=quote["currency"], name="Pro - PRO-30 (renewal)",
                          nothing_to_pay="Nothing to renew.")


def seed_card(sk, brand_id: str, user_id: str, gateway: dict, number: str,
              exp_year: int = 2030, saved_at=None) -> dict:
    """A customer with a card attached at localstripe, kept through the saved-card outbox
    handler (what the consumer runs after a consented payment completed)."""
    customer = sk.v1.customers.create(params={"email": "someone@example.com"})
    pm = sk.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": exp_year, "cvc": "123"}})
    sk.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    row = notify.row(brand_id, saved.SAVED_CARD, {
        "userId": user_id, "gatewayId": gateway["id"], "customerId": customer.id,
        "paymentMethodId": pm.id, "paymentId": "seeded",
        "savedAt": (saved_at or settings.now()).isoformat()})
    assert saved.remember(row).result["saved"] is True
    return {"customer": customer.id, "pm": pm.id}


# -- consent and saving ----------------------------------------------------------------------------

def test_consent_saves_the_card_after_completion_not_before(api, buyer, shop, gateway, sk,
                                                            stripe_base, localstripe,
                                                            demo_brand):
    b = demo_brand["id"]
    link, payment = checkout(buyer, shop, b, {"saveCardForRenewals": True})
    assert payment.save_card is True
    customer = payment.gateway_data["customerId"]
    pi = sk.v1.payment_intents.retrieve(payment.merchant_ref_no)
    assert pi.customer == customer and pi.metadata["payment_code"] == payment.id
    assert sk.v1.customers.retrieve(customer).metadata["user_id"] == user_id_of(buyer)

    # The page says what the buyer agreed to.
    page = api.client.http.get(f"{urlsplit(link).path}?{urlsplit(link).query}")
    assert b"kept for your renewals" in page.body

    # Paid at Stripe, but no completion has reached us: nothing is saved.
    pay_on_the_page(api, link, stripe_base)
    assert buyer.ok("GET", "v1/users/me/saved-cards") == []
    assert outbox_rows(b, "saved-card") == []

    deliver(api, localstripe, gateway, "payment_intent.succeeded", pi.id)
    assert payments.get_payment(b, payment.id).status == "Completed"
    [row] = outbox_rows(b, "saved-card")
    assert row.payload["paymentId"] == payment.id and row.payload["customerId"] == customer
    assert buyer.ok("GET", "v1/users/me/saved-cards") == []  # the outbox hasn't run yet

    assert run_saved_card_rows(b)[0]["saved"] is True
    [card] = buyer.ok("GET", "v1/users/me/saved-cards")
    year = min(2099, settings.now().year + 3)
    assert {k: card[k] for k in ("appIntegrationId", "gateway", "brand", "last4", "expMonth",
                                 "expYear", "expired", "paymentId")} == {
        "appIntegrationId": gateway["id"], "gateway": "stripe", "brand": "visa",
        "last4": PLAIN_CARD[-4:], "expMonth": 12, "expYear": year, "expired": False,
        "paymentId": payment.id}
    # Neither the number nor Stripe's ids are shown; the number is stored nowhere.
    text = json.dumps(card)
    assert "cus_" not in text and "pm_" not in text
    assert PLAIN_CARD not in raw_text(raw_items(f"B#{b}#"))
    item = cm.SavedCardItem.get(cm.cards_pk(b, user_id_of(buyer)), cm.card_sk(gateway["id"]))
    paid_with = sk.v1.payment_intents.retrieve(pi.id).payment_method  # the card typed
    assert item.customer_id == customer and item.payment_method_id == paid_with
    assert sk.v1.payment_methods.retrieve(paid_with).customer == customer

    # The webhook delivered again, and the row run again: still one card.
    deliver(api, localstripe, gateway, "payment_intent.succeeded", pi.id)
    run_saved_card_rows(b)
    assert len(outbox_rows(b, "saved-card")) == 1
    assert len(buyer.ok("GET", "v1/users/me/saved-cards")) == 1


def test_no_consent_saves_nothing(api, buyer, shop, gateway, sk, stripe_base, localstripe,
                                  demo_brand):
    b = demo_brand["id"]
    _, payment = checkout(buyer, shop, b, paid=True)  # JFW's SDK sends no body
    assert payment.save_card is False and "customerId" not in payment.gateway_data
    assert sk.v1.payment_intents.retrieve(payment.merchant_ref_no).customer is None
    _, payment2 = checkout(buyer, shop, b, {"saveCardForRenewals": False}, paid=True)
    page = api.client.http.get(f"/api/checkout/{payment2.id}?brandId={b}")
    assert page.status_code == 200 and b"kept for your renewals" not in page.body
    for p in (payment, payment2):
        deliver(api, localstripe, gateway, "payment_intent.succeeded", p.merchant_ref_no)
        assert payments.get_payment(b, p.id).status == "Completed"
    assert outbox_rows(b, "saved-card") == []
    assert buyer.ok("GET", "v1/users/me/saved-cards") == []
    assert payments.charge_saved_card(demo_brand, user_id_of(buyer),
                                      order_for(demo_brand, shop)) is None
    assert len(payments_of(b)) == 2  # no payment was made for the charge


def test_an_upgrade_and_a_license_purchase_take_the_consent_too(buyer, shop, gateway, sk,
                                                                demo_brand):
    link = buyer.ok("POST", "v1/licenses/purchase/checkout-link", {
        "packageId": shop["pro"], "subscriptionTypeId": "D30", "quantity": 2,
        "saveCardForRenewals": True})
    upgrade = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                       {"priceId": shop["usd"], "saveCardForRenewals": True})
    ids = [urlsplit(link).path.rsplit("/", 1)[1], upgrade["paymentId"]]
    for payment in (payments.get_payment(demo_brand["id"], i) for i in ids):
        assert payment.save_card is True
        assert sk.v1.payment_intents.retrieve(payment.merchant_ref_no).customer == \
            payment.gateway_data["customerId"]


def test_the_janitors_completion_saves_the_card_too(buyer, shop, gateway, sk, stripe_base,
                                                    demo_brand):
    """The webhook never came; the janitor's read of the PaymentIntent completes the payment
    through the same intake, and the consent is honoured the same way."""
    from chalicelib.payments.gateways import stripe as gw
    from chalicelib.payments.inbound import intake

    b = demo_brand["id"]
    _, payment = checkout(buyer, shop, b, {"saveCardForRenewals": True}, paid=True)
    pi = gw.fetch_payment_intent("sk_test_local", payment.merchant_ref_no, stripe_base)
    intake.apply(b, gw.event_from_payment_intent(pi, settings.now()), None, source="janitor")
    assert payments.get_payment(b, payment.id).status == "Completed"
    assert run_saved_card_rows(b)[0]["saved"] is True
    [card] = buyer.ok("GET", "v1/users/me/saved-cards")
    assert card["last4"] == PLAIN_CARD[-4:] and card["paymentId"] == payment.id


def test_the_consent_follows_a_payment_moved_to_stripe(admin, buyer, shop, gateway, sk,
                                                       demo_brand):
    pp = admin.ok("POST", GW, support.PAYPAL_BODY)
    link = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link"
                            f"?appIntegrationId={pp['id']}", {"saveCardForRenewals": True})
    assert link.startswith("https://www.sandbox.paypal.com/")
    [payment] = payments_of(demo_brand["id"])
    assert payment.save_card is True and payment.gateway_type == "paypal"
    buyer.ok("POST", f"v1/payments/{payment.id}/generate-checkout-link"
                     f"?appIntegrationId={gateway['id']}")
    moved = payments.get_payment(demo_brand["id"], payment.id)
    pi = sk.v1.payment_intents.retrieve(moved.merchant_ref_no)
    assert moved.gateway_type == "stripe" and pi.customer == moved.gateway_data["customerId"]


def test_a_second_consent_reuses_the_customer_and_the_newer_card_replaces_the_older(
        api, buyer, shop, gateway, sk, localstripe, demo_brand):
    b = demo_brand["id"]
    first = bought_and_saved(api, buyer, shop, gateway, localstripe, b)
    [old] = buyer.ok("GET", "v1/users/me/saved-cards")
    second = bought_and_saved(api, buyer, shop, gateway, localstripe, b)
    assert second.gateway_data["customerId"] == first.gateway_data["customerId"]
    [new] = buyer.ok("GET", "v1/users/me/saved-cards")
    assert new["id"] != old["id"] and new["paymentId"] == second.id
    # The replaced card is detached from the customer at Stripe.
    first_pm = sk.v1.payment_intents.retrieve(first.merchant_ref_no).payment_method
    assert sk.v1.payment_methods.retrieve(first_pm).customer is None

    # A save delivered late (an older completion) doesn't replace the newer card.
    uid = user_id_of(buyer)
    late = seed_card(sk, b, uid, gateway, PLAIN_CARD,
                     saved_at=settings.now() + timedelta(days=1))
    [now] = buyer.ok("GET", "v1/users/me/saved-cards")
    assert now["id"] == saved.card_id(gateway["id"], late["pm"])
    row = notify.row(b, saved.SAVED_CARD, {
        "userId": uid, "gatewayId": gateway["id"], "customerId": first.gateway_data[
            "customerId"], "paymentMethodId": first_pm, "paymentId": first.id,
        "savedAt": settings.now().isoformat()})
    sk.v1.payment_methods.attach(first_pm, params={"customer": first.gateway_data[
        "customerId"]})
    assert saved.remember(row).result == {"saved": False, "reason": "a newer card is saved"}
    assert buyer.ok("GET", "v1/users/me/saved-cards")[0]["id"] == now["id"]
    assert sk.v1.payment_methods.retrieve(first_pm).customer is None  # not kept, not chargeable


# -- charging off-session --------------------------------------------------------------------------

def test_charge_saved_card_completes_a_payment_through_the_webhook(
        api, buyer, shop, gateway, sk, localstripe, demo_brand):
    b = demo_brand["id"]
    bought_and_saved(api, buyer, shop, gateway, localstripe, b)
    uid = user_id_of(buyer)
    card = saved.find(b, uid, gateway["id"])

    payment = payments.charge_saved_card(demo_brand, uid, order_for(demo_brand, shop),
                                         fields={"notes": "renewal of PRO-30"},
                                         key="renewal:test-1")
    assert payment is not None and payment.status == "Created"
    assert (payment.amount_minor, payment.currency, payment.user_id) == (2000, "USD", uid)
    assert payment.notes == "renewal of PRO-30" and payment.price_id == shop["usd"]
    assert payment.gateway_data["offSession"] is True and payment.save_card is False
    pi = sk.v1.payment_intents.retrieve(payment.merchant_ref_no)
    assert (pi.status, pi.customer, pi.payment_method) == (
        "succeeded", card.customer_id, card.payment_method_id)
    assert pi.metadata["payment_code"] == payment.id

    # It is not paid through a link meanwhile.
    resp = buyer.post(f"v1/payments/{payment.id}/generate-checkout-link")
    assert resp.status_code == 409

    # The same key again: the same payment, no second charge.
    again = payments.charge_saved_card(demo_brand, uid, order_for(demo_brand, shop),
                                       key="renewal:test-1")
    assert again.id == payment.id and len(payments_of(b)) == 2

    deliver(api, localstripe, gateway, "payment_intent.succeeded", pi.id)
    done = payments.get_payment(b, payment.id)
    assert done.status == "Completed" and done.amount_gross_minor == 2000
    success = [r for r in outbox_rows(b, "mail") if r.payload["eventCode"] ==
               "PAYMENT.PROCESSED.SUCCESS" and r.payload["context"]["payment"]["code"] ==
               done.code]
    assert len(success) == 1
    events = [r.payload for r in outbox_rows(b, "payment-event")
              if r.payload["paymentId"] == payment.id]
    assert [(e["status"], e["fulfil"]) for e in events] == [("Completed", True)]
    assert outbox_rows(b, "saved-card")[-1].payload["paymentId"] != payment.id  # not re-saved


def test_an_off_session_charge_costs_a_bounded_number_of_dynamodb_calls(
        api, buyer, shop, gateway, sk, localstripe, demo_brand):
    """No Scan; a dozen requests at most (the figure is in the report)."""
    from collections import Counter

    from chalicelib.store.base import connection

    b = demo_brand["id"]
    bought_and_saved(api, buyer, shop, gateway, localstripe, b)
    uid, order = user_id_of(buyer), order_for(demo_brand, shop)
    calls: Counter[str] = Counter()

    def count(event_name: str, **_) -> None:
        calls[event_name.split(".", 2)[2]] += 1

    events = connection().client.meta.events
    events.register("before-call.dynamodb.*", count)
    try:
        payment = payments.charge_saved_card(demo_brand, uid, order, key="renewal:count")
    finally:
        events.unregister("before-call.dynamodb.*", count)
    assert payment is not None
    print(f"DynamoDB calls of one off-session charge: {sum(calls.values())} {dict(calls)}")
    assert "Scan" not in calls and sum(calls.values()) <= 12, calls


def test_a_declined_saved_card_answers_none_and_fails_the_payment(
        api, buyer, shop, gateway, sk, localstripe, demo_brand):
    b = demo_brand["id"]
    uid = user_id_of(buyer)
    seed_card(sk, b, uid, gateway, DECLINED_AT_CHARGE)

    assert payments.charge_saved_card(demo_brand, uid, order_for(demo_brand, shop)) is None
    [payment] = payments_of(b)
    assert payment.status == "Failed" and payment.gateway_type == "stripe"
    assert payment.gateway_data["declineCode"] == "card_declined"
    hist = [h for h in _history(b, payment.id) if h.to_status == "Failed"]
    assert len(hist) == 1 and "card_declined" in hist[0].note
    failed = [r for r in outbox_rows(b, "mail")
              if r.payload["eventCode"] == "PAYMENT.PROCESSED.FAILED"]
    assert len(failed) == 1

    # Stripe's own payment_failed webhook arrives after: history only, no second mail.
    pi_id = _pi_of_payment(localstripe, payment.id)
    deliver(api, localstripe, gateway, "payment_intent.payment_failed", pi_id)
    assert payments.get_payment(b, payment.id).status == "Failed"
    assert len([r for r in outbox_rows(b, "mail")
                if r.payload["eventCode"] == "PAYMENT.PROCESSED.FAILED"]) == 1


def test_a_card_that_asks_for_authentication_answers_none(api, buyer, shop, gateway, sk,
                                                          stripe_base, localstripe, demo_brand):
    b = demo_brand["id"]
    link, first = checkout(buyer, shop, b, {"saveCardForRenewals": True})
    pay_on_the_page(api, link, stripe_base, THREE_D_SECURE)  # authenticated on-session
    deliver(api, localstripe, gateway, "payment_intent.succeeded", first.merchant_ref_no)
    run_saved_card_rows(b)

    assert payments.charge_saved_card(demo_brand, user_id_of(buyer),
                                      order_for(demo_brand, shop)) is None
    [payment] = [p for p in payments_of(b) if p.id != first.id]
    assert payment.status == "Failed"
    assert payment.gateway_data["declineCode"] == "authentication_required"
    assert payment.merchant_ref_no.startswith("pi_")  # the janitor can still ask Stripe


def test_no_usable_saved_card_answers_none_and_writes_nothing(buyer, shop, gateway, sk,
                                                              demo_brand):
    b = demo_brand["id"]
    uid = user_id_of(buyer)
    order = order_for(demo_brand, shop)
    assert payments.charge_saved_card(demo_brand, uid, order) is None
    seed_card(sk, b, uid, gateway, PLAIN_CARD, exp_year=2020)  # expired
    [card] = buyer.ok("GET", "v1/users/me/saved-cards")
    assert card["expired"] is True
    assert payments.charge_saved_card(demo_brand, uid, order) is None
    assert payments_of(b) == []


def test_a_card_stripe_no_longer_has_is_forgotten(buyer, shop, gateway, sk, demo_brand):
    b = demo_brand["id"]
    uid = user_id_of(buyer)
    seeded = seed_card(sk, b, uid, gateway, PLAIN_CARD)
    sk.v1.customers.delete(seeded["customer"])
    assert payments.charge_saved_card(demo_brand, uid, order_for(demo_brand, shop)) is None
    [payment] = payments_of(b)
    assert payment.status == "Failed"
    assert payment.gateway_data["declineCode"] == "resource_missing"
    assert buyer.ok("GET", "v1/users/me/saved-cards") == []


def test_the_same_key_at_the_same_time_charges_once(atomic_moto, api, buyer, shop, gateway,
                                                    sk, localstripe, demo_brand):
    from tests.concurrency import run_together

    b = demo_brand["id"]
    bought_and_saved(api, buyer, shop, gateway, localstripe, b)
    uid = user_id_of(buyer)
    order = order_for(demo_brand, shop)
    answers = run_together(4, lambda i: payments.charge_saved_card(
        demo_brand, uid, order, key="renewal:same"))
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert len({a.id for a in answers}) == 1
    charged = [p for p in payments_of(b) if p.id == answers[0].id]
    assert len(charged) == 1 and len(payments_of(b)) == 2
    deliver(api, localstripe, gateway, "payment_intent.succeeded",
            payments.get_payment(b, answers[0].id).merchant_ref_no)
    assert payments.get_payment(b, answers[0].id).status == "Completed"
    succeeded = [e for _, _, e in localstripe["receiver"].events()
                 if e["type"] == "payment_intent.succeeded"
                 and e["data"]["object"]["metadata"].get("payment_code") == answers[0].id]
    assert len(succeeded) == 1  # one PaymentIntent charged


# -- whose card ------------------------------------------------------------------------------------

def test_another_users_card_cant_be_listed_deleted_or_used(api, buyer, shop, gateway, sk,
                                                           demo_brand):
    b = demo_brand["id"]
    bob = user_id_of(buyer)
    bobs = seed_card(sk, b, bob, gateway, PLAIN_CARD)
    [card] = buyer.ok("GET", "v1/users/me/saved-cards")

    alice = register_and_login(api, "alice", email="alice@shop-buyers.com")
    assert alice.ok("GET", "v1/users/me/saved-cards") == []
    resp = alice.delete(f"v1/users/me/saved-cards/{card['id']}")
    assert resp.status_code == 404
    assert resp.json_body["errors"][0]["code"] == "SAVED_CARD_NOT_FOUND"
    assert payments.charge_saved_card(demo_brand, user_id_of(alice),
                                      order_for(demo_brand, shop)) is None
    assert payments_of(b) == []
    assert len(buyer.ok("GET", "v1/users/me/saved-cards")) == 1

    # Bob forgets it: gone here, detached at Stripe, and nothing to charge any more.
    assert buyer.ok("DELETE", f"v1/users/me/saved-cards/{card['id']}") is True
    assert buyer.ok("GET", "v1/users/me/saved-cards") == []
    assert sk.v1.payment_methods.retrieve(bobs["pm"]).customer is None
    assert buyer.delete(f"v1/users/me/saved-cards/{card['id']}").status_code == 404
    assert payments.charge_saved_card(demo_brand, bob, order_for(demo_brand, shop)) is None
    assert payments_of(b) == []


def test_saved_cards_need_a_logged_in_user(api, demo_brand):
    assert api.get("v1/users/me/saved-cards").status_code == 401


# -- small helpers ------------------------------------------------------------------------------

def _history(brand_id: str, payment_id: str) -> list:
    from chalicelib.payments import models as m

    return [i for i in m.PaymentRecord.query(m.payment_pk(brand_id, payment_id))
            if isinstance(i, m.PaymentHistoryItem)]


def _pi_of_payment(localstripe, payment_id: str) -> str:
    """The PaymentIntent localstripe's payment_failed webhook names for our payment."""
    def match(e: dict) -> bool:
        obj = e["data"]["object"]
        return e["type"] == "payment_intent.payment_failed" and \
            (obj.get("metadata") or {}).get("payment_code") == payment_id

    localstripe["receiver"].wait_for(match)
    for _, _, e in localstripe["receiver"].events():
        if match(e):
            return e["data"]["object"]["id"]
    raise AssertionError("no payment_failed webhook")


# -- auto-renew: the renewal job charges the saved card first -------------------------------------

def _renewal_run_at(moment) -> dict:
    from chalicelib.invoicing import renewals

    settings.set_clock(lambda: moment)
    try:
        return renewals.run()
    finally:
        settings.set_clock(None)


def _expiry(buyer):
    from datetime import datetime

    return datetime.fromisoformat(buyer.ok("GET", "v1/users/me")["expiryDate"].replace("Z",
                                                                                     "+00:00"))


def test_a_renewal_charges_the_saved_card_and_the_invoice_is_paid_from_the_end(
        api, buyer, shop, gateway, localstripe, demo_brand):
    from tests.helpers.payments import drain_outbox, mails

    b = demo_brand["id"]
    bought_and_saved(api, buyer, shop, gateway, localstripe, b)
    drain_outbox()  # fulfilment applies PRO; invoicing issues INV-000001 and arms the renewal
    end = _expiry(buyer)
    ran = _renewal_run_at(end - timedelta(days=6))
    assert ran, ran
    [prov] = [i for i in buyer.ok("GET", "v1/invoices")["items"] if i["type"] == "Provisional"]
    [charge] = [p for p in payments_of(b) if p.invoice_id == prov["id"]]
    assert charge.gateway_data["offSession"] is True and charge.amount_minor == 2000
    # the card was charged: no pay-link mail
    assert mails(b, "INVOICE.RENEWAL.CREATED") == []
    deliver(api, localstripe, gateway, "payment_intent.succeeded", charge.merchant_ref_no)
    drain_outbox()
    paid = buyer.ok("GET", f"v1/invoices/{prov['id']}")
    assert (paid["type"], paid["status"], paid["code"]) == ("Post", "Paid", "INV-000002")
    assert _expiry(buyer) == end + timedelta(days=30)  # from the end, not from the charge
    # the job again: nothing more
    _renewal_run_at(end - timedelta(days=5))
    assert len([p for p in payments_of(b) if p.invoice_id == prov["id"]]) == 1


def test_a_declined_saved_card_falls_back_to_the_mailed_pay_link(
        api, buyer, shop, gateway, sk, localstripe, demo_brand):
    from tests.helpers.payments import drain_outbox, mails

    b = demo_brand["id"]
    bought_and_saved(api, buyer, shop, gateway, localstripe, b)
    drain_outbox()
    uid = user_id_of(buyer)
    seed_card(sk, b, uid, gateway, DECLINED_AT_CHARGE)  # the newer card replaces the good one
    end = _expiry(buyer)
    _renewal_run_at(end - timedelta(days=6))
    [prov] = [i for i in buyer.ok("GET", "v1/invoices")["items"] if i["type"] == "Provisional"]
    [failed] = [p for p in payments_of(b) if p.invoice_id == prov["id"]]
    assert failed.status == "Failed"
    drain_outbox()
    [mail] = mails(b, "INVOICE.RENEWAL.CREATED")
    assert f"/api/invoices/{prov['id']}/pay?" in str(mail.payload)
    assert prov["status"] == "Unpaid"
