"""Wallets through the API: open, list, read, close, histories; the ledger's rules through its
writer (ledger.post): a balance never below zero, a reference posted once, concurrency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.wallet import ledger
from chalicelib.wallet import models as m
from chalicelib.wallet.ledger import Move
from tests.concurrency import run_together
from tests.helpers.api import register_and_login


@pytest.fixture
def alice(api):
    return register_and_login(api, "alice")


def _credit(brand_id: str, wallet_id: str, amount: int, part: str = "paid", ref=None):
    return ledger.post(brand_id, [Move(wallet_id, amount, "WalletAddMoney", part=part)], ref=ref)


def test_open_list_and_default(alice, demo_brand):
    usd = alice.ok("POST", "v1/wallets/usd")
    assert usd["currencyCode"] == "USD" and usd["isDefault"] is True
    assert usd["amount"] == 0 and usd["displayAmount"] == "0.00" and usd["status"] == "Open"
    again = alice.ok("POST", "v1/wallets/USD")
    assert again["id"] == usd["id"]
    eur = alice.ok("POST", "v1/wallets/EUR")
    assert eur["isDefault"] is False
    jpy_test = alice.ok("POST", "v1/wallets/JPY?testMode=true")
    listed = alice.ok("GET", "v1/wallets")
    assert {w["currencyCode"] for w in listed} == {"USD", "EUR"}
    assert [w["id"] for w in alice.ok("GET", "v1/wallets?testMode=true")] == [jpy_test["id"]]
    assert [w["currencyCode"] for w in alice.ok("GET", "v1/wallets?currencyCode=EUR")] == ["EUR"]
    assert alice.ok("GET", f"v1/wallets/{usd['id']}")["id"] == usd["id"]


def test_bad_currency_is_400_and_writes_nothing(alice):
    r = alice.post("v1/wallets/XYZ")
    assert r.status_code == 400
    assert alice.ok("GET", "v1/wallets") == []


def test_another_users_wallet_is_404(api, alice, demo_brand):
    w = alice.ok("POST", "v1/wallets/USD")
    bob = register_and_login(api, "bob")
    assert bob.get(f"v1/wallets/{w['id']}").status_code == 404
    assert bob.put(f"v1/wallets/{w['id']}/close").status_code == 404
    assert bob.get(f"v1/wallets/{w['id']}/histories").status_code == 404
    assert bob.get("v1/wallets?userId=" + w["userId"]).status_code == 403


def test_admin_sees_a_users_wallets(admin, alice, demo_brand):
    w = alice.ok("POST", "v1/wallets/USD")
    assert [x["id"] for x in admin.ok("GET", f"v1/wallets?userId={w['userId']}")] == [w["id"]]
    assert admin.ok("GET", f"v1/wallets/{w['id']}")["id"] == w["id"]


def test_close_only_when_empty(alice, demo_brand):
    w = alice.ok("POST", "v1/wallets/USD")
    _credit(demo_brand["id"], w["id"], 500)
    r = alice.put(f"v1/wallets/{w['id']}/close?id={w['id']}")
    assert r.status_code == 409 and "5.00 USD" in r.json_body["errors"][0]["message"]
    ledger.post(demo_brand["id"], [Move(w["id"], -500, "LicensePurchase")])
    assert alice.ok("PUT", f"v1/wallets/{w['id']}/close?id={w['id']}") is True
    assert alice.ok("GET", "v1/wallets") == []
    assert [x["id"] for x in alice.ok("GET", "v1/wallets?status=Closed")] == [w["id"]]
    with pytest.raises(ledger.WalletNotOpen):
        _credit(demo_brand["id"], w["id"], 100)
    reopened = alice.ok("POST", "v1/wallets/USD")
    assert reopened["id"] != w["id"]


def test_histories_chain_and_paging(alice, demo_brand):
    w = alice.ok("POST", "v1/wallets/USD")
    for i in range(5):
        _credit(demo_brand["id"], w["id"], 100 * (i + 1), part="granted" if i % 2 else "paid")
    ledger.post(demo_brand["id"], [Move(w["id"], -250, "LicensePurchase")])
    page = alice.ok("GET", f"v1/wallets/{w['id']}/histories?pageSize=4")
    assert page["totalItems"] == 6 and len(page["items"]) == 4
    first = page["items"][0]
    assert first["type"] == "LicensePurchase" and first["amount"] == -2.5
    assert first["balanceAfter"] == 12.5
    # granted first: 200 + 400 granted, the 250 debit takes 250 of them
    assert first["grantedAfter"] == 3.5 and first["paidAfter"] == 9.0
    assert first["user"]["code"]
    rest = alice.ok("GET", f"v1/wallets/{w['id']}/histories?pageSize=4&pageNumber=1")
    assert [r["sequence"] for r in rest["items"]] == [2, 1]
    typed = alice.ok("GET", f"v1/wallets/{w['id']}/histories?type=LicensePurchase")
    assert typed["totalItems"] == 1
    rows = list(m.LedgerRowItem.query(m.wallet_pk(demo_brand["id"], w["id"]),
                                      m.LedgerRowItem.sk.startswith("L#")))
    assert [r.prev for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == Decimal("12.5")


def test_overdraw_is_refused_and_writes_nothing(alice, demo_brand):
    w = alice.ok("POST", "v1/wallets/USD")
    _credit(demo_brand["id"], w["id"], 100)
    with pytest.raises(ledger.InsufficientFunds):
        ledger.post(demo_brand["id"], [Move(w["id"], -101, "LicensePurchase")])
    after = alice.ok("GET", f"v1/wallets/{w['id']}")
    assert after["amount"] == 1 and alice.ok(
        "GET", f"v1/wallets/{w['id']}/histories")["totalItems"] == 1


def test_a_reference_is_posted_once(alice, demo_brand):
    w = alice.ok("POST", "v1/wallets/USD")
    _credit(demo_brand["id"], w["id"], 100, ref="TOPUP#p1")
    with pytest.raises(ledger.Duplicate):
        _credit(demo_brand["id"], w["id"], 100, ref="TOPUP#p1")
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == 1


def test_twenty_concurrent_spends_of_one_from_ten(alice, demo_brand, atomic_moto):
    w = alice.ok("POST", "v1/wallets/USD")
    _credit(demo_brand["id"], w["id"], 1000)
    outcomes = run_together(20, lambda i: ledger.post(
        demo_brand["id"], [Move(w["id"], -100, "LicensePurchase")]))
    ok = [o for o in outcomes if isinstance(o, ledger.Posted)]
    refused = [o for o in outcomes if isinstance(o, ledger.InsufficientFunds)]
    assert len(ok) == 10 and len(refused) == 10, outcomes
    after = alice.ok("GET", f"v1/wallets/{w['id']}")
    assert after["amount"] == 0
    assert alice.ok("GET", f"v1/wallets/{w['id']}/histories")["totalItems"] == 11


def test_concurrent_credits_with_one_reference_count_once(alice, demo_brand, atomic_moto):
    w = alice.ok("POST", "v1/wallets/USD")
    outcomes = run_together(20, lambda i: _credit(demo_brand["id"], w["id"], 2000,
                                                  ref="TOPUP#same"))
    assert sum(isinstance(o, ledger.Posted) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, (ledger.Posted, ledger.Duplicate)) for o in outcomes)
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == 20


def test_concurrent_opens_make_one_wallet_and_one_default(alice, demo_brand, atomic_moto):
    from chalicelib.wallet import wallets

    user_id = alice.ok("GET", "v1/users/me")["id"]
    made = run_together(8, lambda i: wallets.open_wallet(
        demo_brand["id"], user_id, ("USD", "EUR")[i % 2]))
    assert not [o for o in made if isinstance(o, Exception)], made
    listed = alice.ok("GET", "v1/wallets")
    assert len(listed) == 2 and sum(w["isDefault"] for w in listed) == 1


def test_constants(api):
    assert api.ok("GET", "v1/constants/wallet/status") == ["Open", "Locked", "Closed"]
