"""Converting between a user's wallets: one ledger post, the brand's rate and fee, rounded down
to the target's minor unit, granted and paid parts kept apart, concurrency never overdraws."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.wallet import ledger
from chalicelib.wallet.ledger import Move
from chalicelib.wallet.rates import convert
from chalicelib.wallet.rates import models as m
from tests.concurrency import run_together
from tests.helpers.api import register_and_login


@pytest.fixture
def alice(api):
    return register_and_login(api, "alice")


def set_rate(admin, frm: str, to: str, rate: str) -> None:
    r = admin.request("PUT", "v1/exchange-rates",
                      raw=f'{{"fromCurrencyCode": "{frm}", "toCurrencyCode": "{to}", '
                          f'"rate": {rate}}}')
    assert r.status_code == 200, r.body


def credit(brand_id: str, wallet_id: str, amount: int, part: str = "paid") -> None:
    ledger.post(brand_id, [Move(wallet_id, amount, "WalletAddMoney", part=part)])


def convert_body(src, dst, total, fee=None) -> str:
    fee_text = "" if fee is None else f', "fee": {fee}'
    return (f'{{"originalWalletId": "{src["id"]}", "targetWalletId": "{dst["id"]}", '
            f'"totalAmount": {total}{fee_text}}}')


def post_convert(user, src, dst, total, fee=None, key=None):
    return user.request("POST", "v1/wallets/convert", raw=convert_body(src, dst, total, fee),
                        headers={"Idempotency-Key": key} if key else None)


def wallet(user, w):
    return user.ok("GET", f"v1/wallets/{w['id']}")


def test_convert_with_fee_rounded_down_and_stated(alice, admin, demo_brand):
    usd = alice.ok("POST", "v1/wallets/USD")
    jpy = alice.ok("POST", "v1/wallets/JPY")
    credit(demo_brand["id"], usd["id"], 10000)
    set_rate(admin, "USD", "JPY", "151.237")
    admin.ok("PUT", "v1/exchange-rates/wallet-fee", {"walletConvertFeePercent": 1})
    quote = alice.ok("GET", f"v1/wallets/convert/quote?originalWalletId={usd['id']}"
                            f"&targetWalletId={jpy['id']}&totalAmount=100")
    # 100.00 - 1.00 fee = 99.00 USD x 151.237 = 14972.463 JPY -> 14972
    assert (quote["fee"], quote["amount"], quote["rate"], quote["rateVersion"]) == \
        (1, 14972, 151.237, 1)
    r = post_convert(alice, usd, jpy, "100.00", fee="1.00")
    assert r.status_code == 200 and r.json_body["data"] is True, r.body
    assert wallet(alice, usd)["amount"] == 0
    assert wallet(alice, jpy)["amount"] == 14972
    debit = alice.ok("GET", f"v1/wallets/{usd['id']}/histories")["items"][0]
    credited = alice.ok("GET", f"v1/wallets/{jpy['id']}/histories")["items"][0]
    assert debit["type"] == credited["type"] == "WalletConvert"
    assert debit["amount"] == -100 and credited["amount"] == 14972
    for row in (debit, credited):
        assert "x 151.237 (USD->JPY rate version 1 of " in row["description"]
        assert "= 14972.46300 JPY, rounded down to 14972 JPY" in row["description"]
        assert "fee 1.00 USD (1%)" in row["description"]
        assert row["refObject"] == "WalletConversion" and row["refId"] == debit["refId"]
    record = m.ConversionItem.get(m.conversion_pk(demo_brand["id"], debit["refId"]),
                                  m.CONVERSION_SK)
    assert (record.total_minor, record.fee_minor, record.credited_minor, record.rate,
            record.rate_version) == (10000, 100, 14972, "151.237", 1)


def test_three_decimals_and_parts_kept_apart(alice, admin, demo_brand):
    usd = alice.ok("POST", "v1/wallets/USD")
    kwd = alice.ok("POST", "v1/wallets/KWD")
    credit(demo_brand["id"], usd["id"], 3000, "granted")
    credit(demo_brand["id"], usd["id"], 7000, "paid")
    set_rate(admin, "USD", "KWD", "0.30712")
    # 50.00 USD: 30.00 granted first, then 20.00 paid; x 0.30712 = 15.356 KWD exactly;
    # paid share 15.356 x 20/50 = 6.1424 -> 6.142, granted the rest 9.214
    assert post_convert(alice, usd, kwd, 50).status_code == 200
    src, dst = wallet(alice, usd), wallet(alice, kwd)
    assert (src["amount"], src["paidAmount"], src["grantedAmount"]) == (50, 50, 0)
    assert (dst["amount"], dst["paidAmount"], dst["grantedAmount"]) == (15.356, 6.142, 9.214)
    rows = alice.ok("GET", f"v1/wallets/{kwd['id']}/histories")["items"]
    assert sorted(r["amount"] for r in rows) == [6.142, 9.214]


def test_a_conversion_to_jpy_from_kwd_and_back(alice, admin, demo_brand):
    kwd = alice.ok("POST", "v1/wallets/KWD")
    jpy = alice.ok("POST", "v1/wallets/JPY")
    credit(demo_brand["id"], kwd["id"], 1001)  # 1.001 KWD
    set_rate(admin, "KWD", "JPY", "492.4449")
    set_rate(admin, "JPY", "KWD", "0.00203")
    # 1.001 x 492.4449 = 492.9373449 -> 492 JPY
    assert post_convert(alice, kwd, jpy, "1.001").status_code == 200
    assert wallet(alice, jpy)["amount"] == 492 and wallet(alice, kwd)["amount"] == 0
    # 492 x 0.00203 = 0.99876 KWD -> 0.998
    assert post_convert(alice, jpy, kwd, 492).status_code == 200
    assert wallet(alice, kwd)["amount"] == 0.998 and wallet(alice, jpy)["amount"] == 0


def test_a_conversion_that_would_credit_nothing_is_400(alice, admin, demo_brand):
    jpy = alice.ok("POST", "v1/wallets/JPY")
    kwd = alice.ok("POST", "v1/wallets/KWD")
    credit(demo_brand["id"], jpy["id"], 100)
    set_rate(admin, "JPY", "KWD", "0.00203")
    r = post_convert(alice, jpy, kwd, 0)
    assert r.status_code == 400
    r = post_convert(alice, jpy, kwd, 1)  # 1 JPY -> 0.00203 KWD -> 0.002
    assert r.status_code == 200
    set_rate(admin, "JPY", "KWD", "0.0002")
    r = post_convert(alice, jpy, kwd, 2)  # 0.0004 KWD -> 0
    assert r.status_code == 400 and r.json_body["errors"][0]["code"] == "CONVERT_AMOUNT_TOO_SMALL"
    assert wallet(alice, jpy)["amount"] == 99 and wallet(alice, kwd)["amount"] == 0.002


def test_a_changed_fee_is_409_and_moves_nothing(alice, admin, demo_brand):
    usd = alice.ok("POST", "v1/wallets/USD")
    eur = alice.ok("POST", "v1/wallets/EUR")
    credit(demo_brand["id"], usd["id"], 1000)
    set_rate(admin, "USD", "EUR", "0.92")
    admin.ok("PUT", "v1/exchange-rates/wallet-fee", {"walletConvertFeePercent": 2.5})
    r = post_convert(alice, usd, eur, 10, fee=0)
    assert r.status_code == 409
    error = r.json_body["errors"][0]
    assert error["code"] == "FEE_CHANGED" and "0.25 USD" in error["message"]
    assert post_convert(alice, usd, eur, 10, fee="0.251").status_code == 400
    assert wallet(alice, usd)["amount"] == 10 and wallet(alice, eur)["amount"] == 0
    assert post_convert(alice, usd, eur, 10, fee="0.25").status_code == 200
    # 9.75 x 0.92 = 8.97
    assert wallet(alice, eur)["amount"] == 8.97 and wallet(alice, usd)["amount"] == 0


def test_a_missing_rate_is_409_naming_it(alice, admin, demo_brand):
    usd = alice.ok("POST", "v1/wallets/USD")
    eur = alice.ok("POST", "v1/wallets/EUR")
    credit(demo_brand["id"], usd["id"], 1000)
    set_rate(admin, "EUR", "USD", "1.08")
    r = post_convert(alice, usd, eur, 5)
    assert r.status_code == 409
    error = r.json_body["errors"][0]
    assert error["code"] == "EXCHANGE_RATE_MISSING"
    assert "No exchange rate from USD to EUR" in error["message"]
    assert wallet(alice, usd)["amount"] == 10


def test_wallets_that_cannot_convert(api, alice, admin, demo_brand):
    usd = alice.ok("POST", "v1/wallets/USD")
    eur = alice.ok("POST", "v1/wallets/EUR")
    eur_test = alice.ok("POST", "v1/wallets/EUR?testMode=true")
    credit(demo_brand["id"], usd["id"], 1000)
    set_rate(admin, "USD", "EUR", "0.92")
    bob = register_and_login(api, "bob")
    bobs = bob.ok("POST", "v1/wallets/EUR")
    assert post_convert(alice, usd, bobs, 1).status_code == 404
    assert post_convert(bob, usd, bobs, 1).status_code == 404
    assert post_convert(alice, {"id": "nope"}, eur, 1).status_code == 404
    assert post_convert(alice, usd, usd, 1).status_code == 400
    assert post_convert(alice, usd, eur_test, 1).status_code == 400
    assert post_convert(alice, usd, eur, 0).status_code == 400
    assert post_convert(alice, usd, eur, "1.001").status_code == 400
    assert post_convert(alice, usd, eur, 11).status_code == 409  # more than it holds
    assert bob.get(f"v1/wallets/convert/quote?originalWalletId={usd['id']}"
                   f"&targetWalletId={bobs['id']}&totalAmount=1").status_code == 404
    # a closed target
    assert alice.ok("PUT", f"v1/wallets/{eur['id']}/close") is True
    r = post_convert(alice, usd, eur, 1)
    assert r.status_code == 409 and r.json_body["errors"][0]["code"] == "WALLET_NOT_OPEN"
    assert wallet(alice, usd)["amount"] == 10
    assert api.post("v1/wallets/convert", {}).status_code in (400, 401)


def test_the_idempotency_key_converts_once(alice, admin, demo_brand):
    usd = alice.ok("POST", "v1/wallets/USD")
    jpy = alice.ok("POST", "v1/wallets/JPY")
    credit(demo_brand["id"], usd["id"], 1000)
    set_rate(admin, "USD", "JPY", "150")
    for _ in range(3):
        assert post_convert(alice, usd, jpy, 2, key="conv-1").status_code == 200
    assert wallet(alice, usd)["amount"] == 8 and wallet(alice, jpy)["amount"] == 300


def test_concurrent_conversions_and_spends_never_overdraw(alice, admin, demo_brand,
                                                         atomic_moto):
    brand_id = demo_brand["id"]
    usd = alice.ok("POST", "v1/wallets/USD")
    jpy = alice.ok("POST", "v1/wallets/JPY")
    user_id = usd["userId"]
    credit(brand_id, usd["id"], 400, "granted")
    credit(brand_id, usd["id"], 1100, "paid")  # 15.00 USD: 20 takers of 1.00
    credit(brand_id, jpy["id"], 500)  # 500 JPY
    set_rate(admin, "USD", "JPY", "150.5")
    admin.ok("PUT", "v1/exchange-rates/wallet-fee", {"walletConvertFeePercent": 1})

    def work(i: int):
        if i < 10:  # convert 1.00 USD: fee 0.01, 0.99 x 150.5 = 148.995 -> 148 JPY
            return convert.convert(brand_id, user_id, usd["id"], jpy["id"], Decimal("1.00"),
                                   Decimal("0.01"))
        if i < 20:  # spend 1.00 USD
            return ledger.post(brand_id, [Move(usd["id"], -100, "LicensePurchase")])
        return ledger.post(brand_id, [Move(jpy["id"], -100, "LicensePurchase")])  # 100 JPY

    outcomes = run_together(30, work)
    unexpected = [o for o in outcomes if isinstance(o, Exception)
                  and not isinstance(o, ledger.InsufficientFunds)]
    assert not unexpected, unexpected
    converted = sum(isinstance(o, dict) for o in outcomes[:10])
    spent_usd = sum(isinstance(o, ledger.Posted) for o in outcomes[10:20])
    spent_jpy = sum(isinstance(o, ledger.Posted) for o in outcomes[20:])
    assert converted + spent_usd == 15 and converted >= 5
    src, dst = wallet(alice, usd), wallet(alice, jpy)
    assert src["amount"] == 0 and src["paidAmount"] == 0 and src["grantedAmount"] == 0
    assert dst["amount"] == 500 + 148 * converted - 100 * spent_jpy >= 0
    assert dst["paidAmount"] >= 0 and dst["grantedAmount"] >= 0
    # the granted 4.00 USD went first, whatever the order: all granted credit <= 4 x 148
    assert dst["grantedAmount"] <= 4 * 148
    rows = alice.ok("GET", f"v1/wallets/{usd['id']}/histories?pageSize=1000")
    assert rows["totalItems"] == 2 + 15
