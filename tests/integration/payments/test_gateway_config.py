"""Payment gateways per brand (v1/app-integrations/payment-gateway): secrets encrypted at rest and
masked in every reply, one default per brand, tenant isolation, bad input."""

from __future__ import annotations

import pytest

from chalicelib.store import secrets
from tests.helpers import checkout as support
from tests.helpers import payments as ps
from tests.helpers.api import login, make_user
from tests.helpers.checkout import PAYPAL_BODY, STRIPE_BODY, error_of, raw_items, raw_text
from tests.helpers.tables import assert_unchanged, dump_tables

GW = "v1/app-integrations/payment-gateway"
SECRET_KEY = STRIPE_BODY["privateKey"]
SIGNING = STRIPE_BODY["webhookSecret"]


def assert_masked(dto: dict) -> None:
    assert dto["privateKey"] == "sk_test_…9876"
    assert dto["webhookSecret"] == "whsec_…1234" and dto["webhookSecrets"] == ["whsec_…1234"]
    text = repr(dto)
    assert SECRET_KEY not in text and SIGNING not in text


def test_stripe_gateway_secrets_are_masked_in_every_reply_and_sealed_in_the_table(admin,
                                                                                  demo_brand):
    from chalicelib.payments import service as payments

    body = {**STRIPE_BODY, "ipnListenerLink": "https://evil.example/steal"}
    created = admin.ok("POST", GW, body)
    gid = created["id"]
    assert_masked(created)
    assert created["ipnListenerLink"] == f"http://127.0.0.1:8000/api/v1/ipn/stripe/{gid}"
    assert created["appIntegration"]["id"] == "stripe"
    assert created["appIntegration"]["type"] == "PaymentGateway"
    assert created["publicKey"] == "pk_test_demo"  # publishable: not a secret
    assert created["isDefault"] is True and created["testMode"] is True
    assert_masked(admin.ok("GET", f"{GW}/{gid}"))
    [listed] = admin.ok("GET", GW)
    assert_masked(listed)

    # At rest: the gateway row and the global routing row hold only sealed values.
    rows = raw_items(f"B#{demo_brand['id']}#GW#{gid}") + raw_items(f"GATEWAY#{gid}")
    assert len(rows) == 2
    text = raw_text(rows)
    assert SECRET_KEY not in text and SIGNING not in text
    assert SECRET_KEY[8:] not in text and SIGNING[6:] not in text
    for row in rows:
        assert row["privateKeySealed"]["S"].startswith("v1:")
        assert row["webhookSecretsSealed"]["S"].startswith("v1:")

    # What the webhook gets: the secrets opened, the brand from the routing row.
    hook = payments.get_for_webhook(gid)
    assert hook["brandId"] == demo_brand["id"] and hook["type"] == "stripe"
    assert hook["privateKey"] == SECRET_KEY
    assert hook["webhookSecrets"] == [SIGNING] and hook["webhookSecret"] == SIGNING
    assert hook["testMode"] is True and hook["deleted"] is False


def test_put_keeps_secrets_left_out_or_sent_back_masked_and_takes_a_rotation_list(admin):
    from chalicelib.payments import service as payments

    gid = admin.ok("POST", GW, STRIPE_BODY)["id"]
    echoed = admin.ok("GET", f"{GW}/{gid}")
    echoed["name"] = "Stripe (cards)"
    updated = admin.ok("PUT", f"{GW}/{gid}", echoed)  # GET -> PUT round trip, masks and all
    assert updated["name"] == "Stripe (cards)"
    assert_masked(updated)
    assert payments.get_for_webhook(gid)["privateKey"] == SECRET_KEY

    left_out = {k: v for k, v in STRIPE_BODY.items() if k not in ("privateKey",
                                                                   "webhookSecret")}
    admin.ok("PUT", f"{GW}/{gid}", left_out)
    hook = payments.get_for_webhook(gid)
    assert (hook["privateKey"], hook["webhookSecrets"]) == (SECRET_KEY, [SIGNING])

    rolled = admin.ok("PUT", f"{GW}/{gid}", {**STRIPE_BODY, "webhookSecret": [
        "whsec_NewSigningSecret00005678", SIGNING]})
    assert rolled["webhookSecrets"] == ["whsec_…5678", "whsec_…1234"]
    assert payments.get_for_webhook(gid)["webhookSecrets"] == [
        "whsec_NewSigningSecret00005678", SIGNING]


def test_one_default_per_brand(admin, demo_brand):
    first = admin.ok("POST", GW, STRIPE_BODY)
    second = admin.ok("POST", GW, PAYPAL_BODY)
    assert first["isDefault"] is True and second["isDefault"] is False

    third = admin.ok("POST", GW, {**PAYPAL_BODY, "name": "PayPal 2", "isDefault": True})
    defaults = [g["id"] for g in admin.ok("GET", GW) if g["isDefault"]]
    assert defaults == [third["id"]]

    admin.ok("PUT", f"{GW}/{first['id']}", {**STRIPE_BODY, "isDefault": True})
    assert [g["id"] for g in admin.ok("GET", GW) if g["isDefault"]] == [first["id"]]

    resp = admin.put(f"{GW}/{first['id']}", {**STRIPE_BODY, "isDefault": False})
    assert resp.status_code == 400 and error_of(resp)["field"] == "isDefault"
    resp = admin.put(f"{GW}/{first['id']}", {**STRIPE_BODY, "status": "Inactive"})
    assert resp.status_code == 400 and error_of(resp)["field"] == "status"

    assert admin.ok("DELETE", f"{GW}/{first['id']}") is True
    assert [g for g in admin.ok("GET", GW) if g["isDefault"]] == []
    assert len(admin.ok("GET", GW)) == 2


def test_a_gateway_of_another_brand_is_404(api, admin, other_brand):
    gid = admin.ok("POST", GW, STRIPE_BODY)["id"]
    make_user(other_brand, "otheradmin", "Admin")
    stranger = login(api.as_(None, "other.test"), "otheradmin")
    assert stranger.ok("GET", GW) == []
    for method, body in (("GET", None), ("PUT", STRIPE_BODY), ("DELETE", None)):
        resp = stranger.request(method, f"{GW}/{gid}", body)
        assert resp.status_code == 404, (method, resp.body)
        assert error_of(resp)["code"] == "GATEWAY_NOT_FOUND"
    assert admin.ok("GET", f"{GW}/{gid}")["name"] == "Stripe"


def test_end_users_cannot_see_or_change_gateways(api, admin):
    from tests.helpers.api import register_and_login

    admin.ok("POST", GW, STRIPE_BODY)
    user = register_and_login(api, "carol")
    assert user.get(GW).status_code == 403
    assert user.post(GW, STRIPE_BODY).status_code == 403


@pytest.mark.parametrize("change, field", [
    ({"publicKey": "sk_test_wrong"}, "publicKey"),
    ({"privateKey": "pk_test_wrong"}, "privateKey"),
    ({"privateKey": "sk_live_51HxSecret", "publicKey": "pk_live_x"}, "publicKey"),
    ({"appIntegrationId": "bitcoin"}, "appIntegrationId"),
    ({"paypalReceiverEmail": "seller@demo.test"}, "paypalReceiverEmail"),
    ({"returnLink": "javascript:alert(1)"}, "returnLink"),
    ({"webhookSecret": []}, "webhookSecret"),
])
def test_bad_stripe_gateways_are_400_and_write_nothing(admin, change, field):
    before = dump_tables()
    resp = admin.post(GW, {**STRIPE_BODY, **change})
    assert resp.status_code == 400, resp.body
    assert error_of(resp)["field"].startswith(field)
    assert_unchanged(before, f"POST with {change}")


@pytest.mark.parametrize("change, field", [
    ({"paypalMode": "live"}, "paypalMode"),
    ({"paypalMode": "simulator"}, "paypalMode"),  # no JFW_PAYPAL_SIMULATOR_URL
    ({"webhookSecret": "whsec_x"}, "webhookSecret"),
    ({"paypalMode": "moon"}, "paypalMode"),
])
def test_bad_paypal_gateways_are_400_and_write_nothing(admin, change, field):
    before = dump_tables()
    resp = admin.post(GW, {**PAYPAL_BODY, **change})
    assert resp.status_code == 400, resp.body
    assert error_of(resp)["field"].startswith(field)
    assert_unchanged(before, f"POST with {change}")


# -- JFW's SDK bodies (ICreateAppIntegrationPaymentGatewayParams) -------------------------------

SDK_STRIPE = {"appIntegrationId": "stripe", "name": "Stripe", "ipnListenerLink": "",
              "cancelLinkWithoutLogin": "", "cancelLink": "https://demo.test/cancel",
              "returnLink": "https://demo.test/paid", "publicKey": "pk_test_demo",
              "privateKey": SECRET_KEY, "description": None, "notes": None, "testMode": True,
              "isDefault": True, "status": "Active"}
SDK_PAYPAL = {"appIntegrationId": "paypal", "name": "PayPal", "ipnListenerLink": "",
              "cancelLink": "https://demo.test/cancel", "returnLink": "https://demo.test/paid",
              "publicKey": "seller@demo.test", "privateKey": "paypal-app-secret",
              "testMode": True}
PAYPAL_CLIENT_ID = ("AeA1QIZXiflr1_-r0U2UbWTziOWX1GRQer5zoa4wvhXT3IKXsp1hAgDjwj8kclvtf2Cv8sc7"
                    "BbnHaBCN")


def test_the_sdk_stripe_body_makes_a_gateway_that_waits_for_its_webhook_secret(
        admin, buyer, shop, demo_brand):
    """JFW's SDK has no webhookSecret: the gateway is stored, says it can't receive
    notifications yet, its IPN URL answers 409 (kept, so it can be replayed) and it takes no
    checkout until the secret is set."""
    created = admin.ok("POST", GW, SDK_STRIPE)
    gid = created["id"]
    assert created["ipnListenerLink"] == f"http://127.0.0.1:8000/api/v1/ipn/stripe/{gid}"
    assert created["readyForNotifications"] is False and created["missing"] == ["webhookSecret"]
    assert created["webhookSecret"] is None
    assert created["cancelLinkWithoutLogin"] == "https://demo.test/cancel"
    assert admin.ok("GET", f"{GW}/{gid}")["missing"] == ["webhookSecret"]

    resp = buyer.post(f"v1/prices/{shop['usd']}/generate-checkout-link")
    assert resp.status_code == 409 and error_of(resp)["code"] == "GATEWAY_NOT_READY"
    assert "webhookSecret" in error_of(resp)["message"]

    pay = ps.make_payment(demo_brand, gid, amount=2000)
    body = ps.pi_event(pay.id, amount=2000)
    resp = ps.post_stripe(admin.client, gid, body, ps.signed(body, SIGNING))
    assert resp.status_code == 409 and error_of(resp)["code"] == "GATEWAY_NOT_READY"
    [row] = admin.ok("GET", "v1/payments/notifications?outcome=not_ready")["items"]
    assert "webhookSecret" in row["detail"] and row["gatewayId"] == gid
    assert ps.payment(demo_brand["id"], pay.id).status == "Created"
    assert admin.post(f"v1/payments/notifications/{row['id']}/replay").status_code == 409

    ready = admin.ok("PUT", f"{GW}/{gid}", {**SDK_STRIPE, "webhookSecret": SIGNING})
    assert ready["readyForNotifications"] is True and ready["missing"] == []
    replayed = admin.ok("POST", f"v1/payments/notifications/{row['id']}/replay")
    assert replayed["outcome"] == "applied"
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
    from chalicelib.payments.gateways import choice

    assert choice.for_checkout(demo_brand["id"], gid)["id"] == gid  # checkouts again


def test_stripe_without_a_webhook_secret_is_ready_with_one_and_put_keeps_it(admin):
    complete = admin.ok("POST", GW, STRIPE_BODY)
    assert complete["readyForNotifications"] is True and complete["missing"] == []
    left_out = admin.ok("PUT", f"{GW}/{complete['id']}", SDK_STRIPE)  # no secret: kept
    assert left_out["readyForNotifications"] is True


@pytest.mark.parametrize("public_key, receiver", [
    ("seller@demo.test", {"paypalReceiverEmail": "seller@demo.test", "paypalReceiverId": None}),
    ("SELLER0000001", {"paypalReceiverEmail": None, "paypalReceiverId": "SELLER0000001"}),
])
def test_the_sdk_paypal_body_takes_the_receiver_from_public_key(admin, public_key, receiver):
    from chalicelib.payments import service as payments

    created = admin.ok("POST", GW, {**SDK_PAYPAL, "publicKey": public_key})
    assert {k: created[k] for k in receiver} == receiver
    assert created["publicKey"] == public_key and created["readyForNotifications"] is True
    assert created["ipnListenerLink"].endswith(f"/api/v1/ipn/paypal/{created['id']}")
    hook = payments.get_for_webhook(created["id"])
    assert (hook["paypalReceiverEmail"], hook["paypalReceiverId"]) == (
        receiver["paypalReceiverEmail"], receiver["paypalReceiverId"])
    assert hook["missing"] == []


def test_a_paypal_client_id_is_no_receiver_until_one_is_set(admin, buyer, shop, demo_brand):
    created = admin.ok("POST", GW, {**SDK_PAYPAL, "publicKey": PAYPAL_CLIENT_ID,
                                    "isDefault": True})
    gid = created["id"]
    assert created["publicKey"] == PAYPAL_CLIENT_ID and created["paypalReceiverEmail"] is None
    assert created["readyForNotifications"] is False
    assert created["missing"] == ["paypalReceiverEmail"]
    resp = buyer.post(f"v1/prices/{shop['usd']}/generate-checkout-link")
    assert resp.status_code == 409 and error_of(resp)["code"] == "GATEWAY_NOT_READY"
    resp = ps.post_paypal(admin.client, gid, b"txn_id=1&payment_status=Completed")
    assert resp.status_code == 409 and error_of(resp)["code"] == "GATEWAY_NOT_READY"
    [row] = ps.notification_rows(demo_brand["id"])
    assert row.outcome == "not_ready" and row.ttl

    ready = admin.ok("PUT", f"{GW}/{gid}", {**SDK_PAYPAL, "publicKey": PAYPAL_CLIENT_ID,
                                           "paypalReceiverEmail": "seller@demo.test"})
    assert ready["readyForNotifications"] is True and ready["publicKey"] == PAYPAL_CLIENT_ID
    link = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link")
    assert support.query_of(link)["business"] == "seller@demo.test"


def test_a_paypal_gateway_answers_its_receiver_as_public_key(admin):
    created = admin.ok("POST", GW, PAYPAL_BODY)  # ours: a receiver and no publicKey
    assert created["publicKey"] == "seller@demo.test"
    assert created["cancelLinkWithoutLogin"] == PAYPAL_BODY["cancelLink"]
    own = admin.ok("POST", GW, {**PAYPAL_BODY, "cancelLinkWithoutLogin": "https://demo.test/x"})
    assert own["cancelLinkWithoutLogin"] == "https://demo.test/x"


def test_paypal_gateway_verification_url_per_mode(admin, simulator_setting):
    from chalicelib.payments import service as payments

    sandbox = admin.ok("POST", GW, PAYPAL_BODY)
    assert sandbox["paypalMode"] == "sandbox" and sandbox["privateKey"] is None
    assert sandbox["ipnListenerLink"].endswith(f"/api/v1/ipn/paypal/{sandbox['id']}")
    sim = admin.ok("POST", GW, {**PAYPAL_BODY, "paypalMode": "simulator"})
    live = admin.ok("POST", GW, {**PAYPAL_BODY, "paypalMode": None, "testMode": False})
    assert live["paypalMode"] == "live"
    urls = {g["id"]: payments.get_for_webhook(g["id"])["verifyUrl"]
            for g in (sandbox, sim, live)}
    assert urls == {sandbox["id"]: "https://ipnpb.sandbox.paypal.com/cgi-bin/webscr",
                    sim["id"]: simulator_setting + "/cgi-bin/webscr",
                    live["id"]: "https://ipnpb.paypal.com/cgi-bin/webscr"}
    assert payments.get_for_webhook(sim["id"])["paypalReceiverEmail"] == \
        "seller@demo.test"


def test_type_cannot_change_and_unknown_ids_are_404(admin):
    gid = admin.ok("POST", GW, STRIPE_BODY)["id"]
    before = dump_tables()
    resp = admin.put(f"{GW}/{gid}", PAYPAL_BODY)
    assert resp.status_code == 400 and error_of(resp)["field"] == "appIntegrationId"
    assert admin.put(f"{GW}/nope", STRIPE_BODY).status_code == 404
    assert admin.delete(f"{GW}/nope").status_code == 404
    assert_unchanged(before, "refused changes")


def test_delete_is_soft_and_notifications_still_find_the_gateway(admin, demo_brand):
    from chalicelib.payments import service as payments

    gid = admin.ok("POST", GW, STRIPE_BODY)["id"]
    assert admin.ok("DELETE", f"{GW}/{gid}") is True
    assert admin.get(f"{GW}/{gid}").status_code == 404
    assert admin.ok("GET", GW) == []
    payments.clear_gateway_cache()
    hook = payments.get_for_webhook(gid)
    assert hook["deleted"] is True and hook["webhookSecret"] == SIGNING
    assert hook["brandId"] == demo_brand["id"]


def test_app_integrations_lists_stripe_and_paypal(api, admin):
    rows = api.ok("GET", "v1/app-integrations")
    assert [(r["id"], r["type"], r["name"], r["status"]) for r in rows] == [
        ("stripe", "PaymentGateway", "Stripe", "Active"),
        ("paypal", "PaymentGateway", "PayPal", "Active")]
    assert api.ok("GET", "v1/app-integrations?type=SMS") == []
    assert [r["id"] for r in api.ok("GET", "v1/app-integrations?keywords=ipn")] == ["paypal"]


# -- secrets at rest ----------------------------------------------------------------------------

def test_sealed_values_open_only_in_their_own_place_and_with_their_key(monkeypatch):
    from chalicelib import settings

    sealed = secrets.encrypt("sk_live_abc", "gateway:G1:privateKey")
    assert sealed.startswith("v1:") and "sk_live_abc" not in sealed
    assert secrets.encrypt("sk_live_abc", "gateway:G1:privateKey") != sealed  # fresh nonce
    assert secrets.decrypt(sealed, "gateway:G1:privateKey") == "sk_live_abc"
    for bad_context in ("gateway:G2:privateKey", "gateway:G1:webhookSecret"):
        with pytest.raises(secrets.SecretsError, match="moved"):
            secrets.decrypt(sealed, bad_context)
    head, nonce, body = sealed.split(":")
    tampered = f"{head}:{nonce}:{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}"
    with pytest.raises(secrets.SecretsError):
        secrets.decrypt(tampered, "gateway:G1:privateKey")
    with pytest.raises(secrets.SecretsError, match="format"):
        secrets.decrypt("v9:" + sealed[3:], "gateway:G1:privateKey")

    import base64
    import os

    monkeypatch.setenv("JFW_SECRETS_KEY", base64.b64encode(os.urandom(32)).decode())
    settings.reload()
    try:
        with pytest.raises(secrets.SecretsError, match="wrong JFW_SECRETS_KEY"):
            secrets.decrypt(sealed, "gateway:G1:privateKey")
        own = secrets.encrypt("x", "c")
        assert secrets.decrypt(own, "c") == "x"
        monkeypatch.setenv("JFW_SECRETS_KEY", "dG9vIHNob3J0")
        settings.reload()
        with pytest.raises(secrets.SecretsError, match="32 bytes"):
            secrets.encrypt("x", "c")
        monkeypatch.delenv("JFW_SECRETS_KEY")
        monkeypatch.setenv("JFW_STAGE", "prod")
        settings.reload()
        with pytest.raises(secrets.SecretsError, match="not set"):
            secrets.encrypt("x", "c")
    finally:
        monkeypatch.undo()
        settings.reload()


def test_masks_show_the_kind_of_key_and_little_else():
    assert secrets.mask("sk_test_51HxSecretKeyValue9876") == "sk_test_…9876"
    assert secrets.mask("whsec_SigningSecretValue1234") == "whsec_…1234"
    assert secrets.mask("rk_live_short") == "rk_live_…"
    assert secrets.mask("plainsecretwithoutprefix1234") == "…1234"
    assert secrets.mask("tiny") == "…"
    assert secrets.mask(None) is None
    assert secrets.is_masked("sk_test_…9876") and not secrets.is_masked("sk_test_9876")
