"""Money into and out of wallets through payments: a top-up credited once when its payment
completes (and taken back when refunded, as debt when spent), a purchase paid in full or in part
from a wallet (held with the payment, kept on completion, released on failure, returned on
refund), the quote's walletUsed, purchase/wallet."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from chalicelib import settings
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.inbound import intake
from chalicelib.wallet import models as m
from chalicelib.wallet.funds import shares
from tests.concurrency import run_together
from tests.helpers.checkout import error_of, paypal_completion
from tests.helpers.payments import drain_outbox, outbox_rows, payment, payment_events
from tests.helpers.tables import assert_unchanged, dump_tables

LINKS = "returnLink=https://demo.test/paid&cancelLink=https://demo.test/cancel"


def top_up(buyer, amount: str, currency: str = "USD", extra: str = "") -> str:
    return buyer.ok("POST", f"v1/wallets/add-money/checkout-link?currencyCode={currency}"
                            f"&amount={amount}&{LINKS}{extra}")


def payment_id_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["custom"][0]


def complete(brand_id: str, payment_id: str) -> None:
    intake.apply(brand_id, paypal_completion(payment(brand_id, payment_id)), None)
    drain_outbox()


def refund(brand_id: str, payment_id: str, amount: int) -> None:
    p = payment(brand_id, payment_id)
    intake.apply(brand_id, GatewayEvent(
        gateway="paypal", dedupe_key=f"R{payment_id}:{amount}", kind="payment.refunded",
        event_type="web_accept/Refunded", occurred_at=settings.now(), payment_ref=p.id,
        merchant_ref=f"R{payment_id}", parent_merchant_ref=f"TXN{p.id}", amount_minor=amount,
        currency=p.currency, receiver="seller@demo.test", receiver_matches=True,
        jfw_status="Refunded", test_mode=True), None)
    drain_outbox()


def wallet_of(buyer, currency: str = "USD") -> dict:
    [w] = buyer.ok("GET", f"v1/wallets?testMode=true&currencyCode={currency}")
    return w


def rows_of(buyer, wallet_id: str) -> list[dict]:
    return buyer.ok("GET", f"v1/wallets/{wallet_id}/histories")["items"]


def funded(buyer, brand_id: str, amount: str) -> dict:
    complete(brand_id, payment_id_of(top_up(buyer, amount)))
    return wallet_of(buyer)


def test_a_top_up_credits_once_when_its_payment_completes(buyer, paypal, demo_brand):
    url = top_up(buyer, "20.00")
    q = parse_qs(urlsplit(url).query)
    assert q["amount"] == ["20.00"] and q["currency_code"] == ["USD"]
    pid = payment_id_of(url)
    p = payment(demo_brand["id"], pid)
    assert p.payment_type == "WalletTopUp" and p.quote["purpose"] == "wallet-top-up"
    w = wallet_of(buyer)
    assert w["amount"] == 0 and w["testMode"] is True
    complete(demo_brand["id"], pid)
    assert wallet_of(buyer)["amount"] == 20
    [row] = rows_of(buyer, w["id"])
    assert (row["type"], row["amount"], row["refId"]) == ("WalletAddMoney", 20, pid)
    # the payment event delivered again (and again, at once) changes nothing
    [event] = payment_events(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    payload = {**event.payload, "eventId": event.id, "brandId": demo_brand["id"]}
    assert shares.settle(payload) == "stale"
    assert wallet_of(buyer)["amount"] == 20
    # one mail for the wallet, besides the payment's own
    mails = [r for r in outbox_rows(demo_brand["id"]) if r.kind == "mail"]
    assert [r.payload["eventCode"] for r in mails].count("WALLET.ADD-MONEY.SUCCESS") == 1


def test_a_top_up_ipn_delivered_twenty_times_at_once_credits_once(buyer, paypal, demo_brand,
                                                                    atomic_moto):
    pid = payment_id_of(top_up(buyer, "20.00"))
    event = paypal_completion(payment(demo_brand["id"], pid))
    run_together(20, lambda i: intake.apply(demo_brand["id"], event, None))
    [pe] = payment_events(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    payload = {**pe.payload, "eventId": pe.id, "brandId": demo_brand["id"]}
    outcomes = run_together(20, lambda i: shares.settle(payload))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert wallet_of(buyer)["amount"] == 20
    assert len(rows_of(buyer, wallet_of(buyer)["id"])) == 1


def test_a_top_up_needs_the_brands_own_links_and_a_sane_amount(buyer, paypal, demo_brand):
    before = dump_tables(demo_brand["id"])
    r = buyer.post("v1/wallets/add-money/checkout-link?currencyCode=USD&amount=5"
                   "&returnLink=https://evil.example/paid&cancelLink=https://demo.test/c")
    assert r.status_code == 400 and error_of(r)["field"] == "returnLink"
    for amount in ("0", "-1", "1.001", "99999999"):
        r = buyer.post(f"v1/wallets/add-money/checkout-link?currencyCode=USD&amount={amount}"
                       f"&{LINKS}")
        assert r.status_code == 400, (amount, r.json_body)
    r = buyer.post(f"v1/wallets/add-money/checkout-link?currencyCode=USD&amount=5&{LINKS}"
                   "&testMode=false")
    assert r.status_code == 409 and error_of(r)["code"] == "WALLET_TEST_MODE_MISMATCH"
    assert_unchanged(before, "refused top-ups", demo_brand["id"])


def test_refunding_a_top_up_takes_it_back_and_spent_money_becomes_debt(buyer, paypal,
                                                                       demo_brand):
    from chalicelib.wallet import ledger

    pid = payment_id_of(top_up(buyer, "20.00"))
    complete(demo_brand["id"], pid)
    w = wallet_of(buyer)
    ledger.post(demo_brand["id"], [ledger.Move(w["id"], -1500, "LicensePurchase")])
    refund(demo_brand["id"], pid, 2000)
    after = wallet_of(buyer)
    assert after["amount"] == 0 and after["debtAmount"] == 15
    # the next money in pays the debt first
    complete(demo_brand["id"], payment_id_of(top_up(buyer, "20.00")))
    after = wallet_of(buyer)
    assert after["amount"] == 5 and after["debtAmount"] == 0
    types = [r["type"] for r in rows_of(buyer, w["id"])]
    assert types == ["WalletAddMoney", "Refund", "LicensePurchase", "WalletAddMoney"]


def test_a_wallet_pays_a_whole_upgrade_and_a_refund_returns_it(admin, buyer, shop, paypal,
                                                                 demo_brand):
    w = funded(buyer, demo_brand["id"], "25.00")
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["usd"], "walletId": w["id"]})
    assert data["walletWithdrawalAmount"] == 20 and data["checkoutLink"] is None
    assert data["status"] == "Completed"
    p = payment(demo_brand["id"], data["paymentId"])
    assert (p.gateway_type, p.wallet_minor, p.amount_gross_minor) == ("wallet", 2000, 2000)
    drain_outbox()
    me = buyer.ok("GET", "v1/users/me")
    assert me["packageId"] == shop["pro"]
    assert wallet_of(buyer)["amount"] == 5
    rows = rows_of(buyer, w["id"])
    assert [(r["type"], r["amount"]) for r in rows] == [("LicensePurchase", -20),
                                                        ("WalletAddMoney", 25)]
    listed = admin.ok("GET", f"v1/payments/{p.id}")
    assert listed["amount"] == 20 and listed["walletAmount"] == 20
    admin.ok("POST", f"v1/payments/{p.id}/refund")
    drain_outbox()
    assert wallet_of(buyer)["amount"] == 25
    assert buyer.ok("GET", "v1/users/me")["packageId"] == shop["basic"]
    assert rows_of(buyer, w["id"])[0]["type"] == "Refund"
    mails = [r.payload["eventCode"] for r in outbox_rows(demo_brand["id"]) if r.kind == "mail"]
    assert mails.count("WALLET.REFUND.SUCCESS") == 1
    assert mails.count("PAYMENT.PROCESSED.REFUNDED") == 1


def test_a_wallet_pays_part_held_until_the_gateway_completes(buyer, shop, paypal, demo_brand):
    w = funded(buyer, demo_brand["id"], "5.00")
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["usd"], "walletId": w["id"]})
    assert data["walletWithdrawalAmount"] == 5
    assert parse_qs(urlsplit(data["checkoutLink"]).query)["amount"] == ["15.00"]
    assert wallet_of(buyer)["amount"] == 0  # held with the payment
    share = shares.get_share(demo_brand["id"], w["id"], data["paymentId"])
    assert share.state == "Held"
    complete(demo_brand["id"], data["paymentId"])
    share = shares.get_share(demo_brand["id"], w["id"], data["paymentId"])
    assert share.state == "Captured" and wallet_of(buyer)["amount"] == 0
    assert buyer.ok("GET", "v1/users/me")["packageId"] == shop["pro"]
    # the gateway's part refunded in full: the wallet's part comes back too
    refund(demo_brand["id"], data["paymentId"], 1500)
    assert wallet_of(buyer)["amount"] == 5


def test_a_part_payment_that_never_completes_gives_the_money_back(buyer, shop, paypal,
                                                                   demo_brand):
    w = funded(buyer, demo_brand["id"], "5.00")
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["usd"], "walletId": w["id"]})
    p = payment(demo_brand["id"], data["paymentId"])
    intake.apply(demo_brand["id"], GatewayEvent(
        gateway="paypal", dedupe_key=f"TXN{p.id}:Voided", kind="payment.canceled",
        event_type="web_accept/Voided", occurred_at=settings.now(), payment_ref=p.id,
        merchant_ref=f"TXN{p.id}", amount_minor=p.amount_minor, currency="USD",
        receiver="seller@demo.test", receiver_matches=True, jfw_status="Voided",
        test_mode=True), None)
    drain_outbox()
    assert wallet_of(buyer)["amount"] == 5
    [row, *_] = rows_of(buyer, w["id"])
    assert row["type"] == "Void" and row["amount"] == 5
    assert shares.get_share(demo_brand["id"], w["id"], p.id).state == "Released"


def test_out_of_order_events_converge(buyer, shop, paypal, demo_brand):
    """The refund's event applied before the completion's: the wallet ends as in order."""
    w = funded(buyer, demo_brand["id"], "5.00")
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["usd"], "walletId": w["id"]})
    pid = data["paymentId"]
    intake.apply(demo_brand["id"], paypal_completion(payment(demo_brand["id"], pid)), None)
    refund_event_payment = payment(demo_brand["id"], pid)
    intake.apply(demo_brand["id"], GatewayEvent(
        gateway="paypal", dedupe_key=f"R{pid}", kind="payment.refunded",
        event_type="web_accept/Refunded", occurred_at=settings.now(), payment_ref=pid,
        merchant_ref=f"R{pid}", parent_merchant_ref=f"TXN{pid}", amount_minor=1500,
        currency="USD", receiver="seller@demo.test", receiver_matches=True,
        jfw_status="Refunded", test_mode=True), None)
    assert refund_event_payment.status == "Completed"
    events = sorted(payment_events(demo_brand["id"]), key=lambda r: r.created_date)
    mine = [e for e in events if e.payload["paymentId"] == pid]
    for e in reversed(mine):  # newest first
        shares.settle({**e.payload, "eventId": e.id, "brandId": demo_brand["id"]})
    assert wallet_of(buyer)["amount"] == 5
    assert shares.get_share(demo_brand["id"], w["id"], pid).state == "Returned"


def test_the_quote_shows_what_the_wallet_pays(buyer, shop, paypal, demo_brand):
    w = funded(buyer, demo_brand["id"], "5.00")
    q = buyer.ok("POST", f"v1/packages/{shop['pro']}/calculate-total-price-checkout",
                 {"packageId": shop["pro"], "priceId": shop["usd"], "walletId": w["id"]})
    assert q["walletUsed"] == 5 and q["total"] == 15
    other = buyer.post(f"v1/packages/{shop['pro']}/calculate-total-price-checkout",
                       {"packageId": shop["pro"], "priceId": shop["usd"], "walletId": "nope"})
    assert other.status_code == 404


def test_purchase_by_wallet_issues_the_licenses_and_needs_the_whole_amount(buyer, shop, paypal,
                                                                          demo_brand):
    w = funded(buyer, demo_brand["id"], "30.00")
    body = {"packageId": shop["pro"], "subscriptionTypeId": "D30", "type": "Prepaid",
            "startDate": "2026-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z",
            "testMode": True, "quantity": 2}
    before = dump_tables(demo_brand["id"])
    r = buyer.post(f"v1/licenses/purchase/wallet?walletId={w['id']}", body)
    assert r.status_code == 409 and error_of(r)["code"] == "WALLET_INSUFFICIENT_FUNDS"
    assert "10.00 more" in error_of(r)["message"]
    assert_unchanged(before, "a purchase the wallet can't pay", demo_brand["id"])
    body["quantity"] = 1
    pid = buyer.ok("POST", f"v1/licenses/purchase/wallet?walletId={w['id']}", body)
    assert payment(demo_brand["id"], pid).status == "Completed"
    drain_outbox()
    assert wallet_of(buyer)["amount"] == 10
    from chalicelib.licensing import models as lm

    issued = [i for i in lm.LicenseItem.scan() if i.brand_id == demo_brand["id"]]
    assert len(issued) == 1 and issued[0].type == "Prepaid"


def test_someone_elses_wallet_cant_pay(api, buyer, shop, paypal, demo_brand):
    from tests.helpers.api import register_and_login

    w = funded(buyer, demo_brand["id"], "25.00")
    eve = register_and_login(api, "eve")
    r = eve.post(f"v1/packages/{shop['pro']}/upgrade/checkout",
                 {"priceId": shop["usd"], "walletId": w["id"]})
    assert r.status_code == 404
    assert wallet_of(buyer)["amount"] == 25


def test_a_wallet_with_money_held_does_not_close(buyer, shop, paypal, demo_brand):
    w = funded(buyer, demo_brand["id"], "5.00")
    buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
             {"priceId": shop["usd"], "walletId": w["id"]})
    [share] = [s for s in m.ShareItem.query(m.wallet_pk(demo_brand["id"], w["id"]),
                                            m.ShareItem.sk.startswith("PAY#"))
               if s.purpose == "spend"]
    assert share.state == "Held"
    r = buyer.put(f"v1/wallets/{w['id']}/close")
    assert r.status_code == 409 and "held" in error_of(r)["message"]
    assert Decimal(str(wallet_of(buyer)["amount"])) == 0


def test_commission_and_referral_earnings_count_the_money_once(api, admin, shop, paypal,
                                                               demo_brand):
    """Commission follows the money in (the top-up has it, a purchase the wallet pays in full
    has none); a referral earning follows purchases (the top-up earns nothing, the purchase
    does)."""
    from tests.helpers.api import register_and_login

    admin.ok("POST", "v1/commission-rates", {"type": "Commission", "unit": "License",
                                             "percentage": 10, "isDefault": True})
    admin.ok("POST", "v1/wallet-earning-events", {
        "eventId": "PAYMENT.REFERRAL.COMPLETED", "code": "REF", "name": "Referral",
        "amount": "1.00", "currencyCode": "USD", "type": "Earning", "status": "Active"})
    referrer = register_and_login(api, "rita")
    code = referrer.ok("GET", "v1/users/me")["referralCode"]
    buyer = register_and_login(api, "ben", referralCode=code)
    pid = payment_id_of(top_up(buyer, "20.00"))
    complete(demo_brand["id"], pid)
    assert payment(demo_brand["id"], pid).commission_minor == 200
    assert referrer.ok("GET", "v1/wallets?testMode=true") == []
    w = wallet_of(buyer)
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["usd"], "walletId": w["id"]})
    drain_outbox()
    assert payment(demo_brand["id"], data["paymentId"]).commission_minor == 0
    [earned] = referrer.ok("GET", "v1/wallets?testMode=true")
    assert earned["amount"] == 1 and earned["grantedAmount"] == 1
