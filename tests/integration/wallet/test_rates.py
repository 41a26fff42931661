"""Currencies and exchange rates through the API: JFW's shapes, per-brand rates set by an
admin with a history row per change, the inverse not implied, the brand's conversion fee."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.identity import service as identity
from chalicelib.wallet.rates import models as m
from chalicelib.wallet.rates import rates
from tests.concurrency import run_together
from tests.helpers.api import Api, register_and_login


@pytest.fixture
def alice(api):
    return register_and_login(api, "alice")


def set_rate(admin, frm: str, to: str, rate: str):
    # A raw body keeps the rate's digits exactly as written (no float on the way).
    r = admin.request("PUT", "v1/exchange-rates",
                      raw=f'{{"fromCurrencyCode": "{frm}", "toCurrencyCode": "{to}", '
                          f'"rate": {rate}}}')
    assert r.status_code == 200, r.body
    return r.json_body["data"]


def test_currencies_in_jfws_shape(api, demo_brand):
    page = api.ok("GET", "v1/currencies?pageSize=1000")
    assert page["totalItems"] > 100 and page["pageNumber"] == 0
    by_code = {c["code"]: c for c in page["items"]}
    usd, jpy, kwd = by_code["USD"], by_code["JPY"], by_code["KWD"]
    assert usd["isDefault"] is True and usd["symbol"] == "$" and usd["decimalDigits"] == 2
    assert jpy["isDefault"] is False and jpy["decimalDigits"] == 0
    assert kwd["decimalDigits"] == 3 and kwd["isCoin"] is False and kwd["rounding"] == 0
    assert set(usd) >= {"id", "createdDate", "code", "name", "namePlural", "symbol",
                        "symbolNative", "decimalDigits", "rounding", "isCoin", "isDefault"}
    assert [c["code"] for c in api.ok("GET", "v1/currencies?code=jpy")["items"]] == ["JPY"]
    three = api.ok("GET", "v1/currencies?decimalDigits=3&pageSize=1000")["items"]
    assert "KWD" in {c["code"] for c in three} and {c["decimalDigits"] for c in three} == {3}
    assert "EUR" in {c["code"] for c in api.ok("GET", "v1/currencies?keywords=euro")["items"]}
    assert api.ok("GET", "v1/currencies?isCoin=true")["totalItems"] == 0
    first = api.ok("GET", "v1/currencies?pageSize=2&sortDataField=code&sortOrder=asc")
    assert [c["code"] for c in first["items"]] == sorted(c["code"] for c in first["items"])


def test_the_brands_currency_is_the_default(api, admin, demo_brand):
    admin.ok("PUT", f"v1/brands/{demo_brand['id']}/setting", {"coinCurrencyCode": "EUR"})
    identity.clear_brand_cache()
    listed = {c["code"]: c for c in api.ok("GET", "v1/currencies?pageSize=1000")["items"]}
    assert listed["EUR"]["isDefault"] is True and listed["USD"]["isDefault"] is False


def test_admin_sets_changes_and_deletes_a_rate_each_change_kept(api, admin, demo_brand):
    first = set_rate(admin, "USD", "JPY", "151.237")
    assert first["rate"] == 151.237 and first["version"] == 1 and first["lastUpdate"]
    assert first["id"] == "USD-JPY"
    second = set_rate(admin, "usd", "jpy", "150.5")
    assert second["version"] == 2
    set_rate(admin, "EUR", "USD", "1.0842")
    listed = api.ok("GET", "v1/exchange-rates")
    assert sorted((r["fromCurrencyCode"], r["toCurrencyCode"], r["rate"]) for r in listed) == [
        ("EUR", "USD", 1.0842), ("USD", "JPY", 150.5)]
    assert set(listed[0]) >= {"fromCurrencyCode", "toCurrencyCode", "rate", "lastUpdate"}
    assert [r["toCurrencyCode"] for r in api.ok("GET", "v1/exchange-rates?fromCurrencyCode=EUR")
            ] == ["USD"]
    assert admin.ok("DELETE", "v1/exchange-rates/USD-JPY") is True
    assert admin.delete("v1/exchange-rates/USD-JPY").status_code == 404
    assert [r["fromCurrencyCode"] for r in api.ok("GET", "v1/exchange-rates")] == ["EUR"]
    history = admin.ok("GET", "v1/exchange-rates/histories?fromCurrencyCode=USD"
                              "&toCurrencyCode=JPY")
    assert [(h["version"], h["action"], h["rate"], h["previousRate"])
            for h in history["items"]] == [(3, "Deleted", None, 150.5),
                                           (2, "Set", 150.5, 151.237),
                                           (1, "Set", 151.237, None)]
    again = set_rate(admin, "USD", "JPY", "149")
    assert again["version"] == 4


def test_the_rate_is_stored_as_a_decimal_string(admin, demo_brand):
    set_rate(admin, "USD", "KWD", "0.307120000")
    item = m.RateItem.get(m.rates_pk(demo_brand["id"]), m.rate_sk("USD", "KWD"))
    assert item.rate == "0.30712"


@pytest.mark.parametrize("rate", ["0", "-1", "1e10", "0.0000000001", "1.23456789012345",
                                  '"abc"', "null"])
def test_a_bad_rate_is_400_and_writes_nothing(api, admin, demo_brand, rate):
    r = admin.request("PUT", "v1/exchange-rates",
                      raw=f'{{"fromCurrencyCode": "USD", "toCurrencyCode": "JPY", '
                          f'"rate": {rate}}}')
    assert r.status_code == 400, r.body
    assert api.ok("GET", "v1/exchange-rates") == []


@pytest.mark.parametrize("body", [
    {"fromCurrencyCode": "USD", "toCurrencyCode": "USD", "rate": 1},
    {"fromCurrencyCode": "XYZ", "toCurrencyCode": "USD", "rate": 1},
    {"fromCurrencyCode": "USD", "toCurrencyCode": "US", "rate": 1},
    {"fromCurrencyCode": "USD", "rate": 1},
])
def test_bad_currencies_are_400(api, admin, demo_brand, body):
    assert admin.put("v1/exchange-rates", body).status_code == 400
    assert api.ok("GET", "v1/exchange-rates") == []


def test_only_an_admin_changes_rates(api, alice, demo_brand):
    body = {"fromCurrencyCode": "USD", "toCurrencyCode": "JPY", "rate": 150}
    assert alice.put("v1/exchange-rates", body).status_code == 403
    assert api.put("v1/exchange-rates", body).status_code == 401
    assert alice.delete("v1/exchange-rates/USD-JPY").status_code == 403
    assert alice.get("v1/exchange-rates/histories?fromCurrencyCode=USD&toCurrencyCode=JPY"
                     ).status_code == 403
    assert alice.put("v1/exchange-rates/wallet-fee",
                     {"walletConvertFeePercent": 1}).status_code == 403


def test_rates_are_per_brand(client, api, admin, demo_brand, other_brand):
    set_rate(admin, "USD", "JPY", "150")
    other = Api(client, "other.test")
    assert other.ok("GET", "v1/exchange-rates") == []
    r = other.get("v1/exchange-rates/convert?fromCurrency=USD&toCurrency=JPY&amount=1")
    assert r.status_code == 409


def test_convert_rounds_down_to_the_targets_minor_unit(api, admin, demo_brand):
    set_rate(admin, "USD", "JPY", "151.237")
    set_rate(admin, "USD", "KWD", "0.30712")
    set_rate(admin, "JPY", "USD", "0.0066")
    # 10.01 x 151.237 = 1513.88237 JPY -> 1513 (JPY has no decimals)
    assert api.ok("GET", "v1/exchange-rates/convert?fromCurrency=USD&toCurrency=JPY"
                         "&amount=10.01") == 1513
    # 1.99 x 0.30712 = 0.6111688 KWD -> 0.611 (3 decimals)
    assert api.ok("GET", "v1/exchange-rates/convert?fromCurrency=usd&toCurrency=KWD"
                         "&amount=1.99") == 0.611
    # 151 x 0.0066 = 0.9966 USD -> 0.99
    assert api.ok("GET", "v1/exchange-rates/convert?fromCurrency=JPY&toCurrency=USD"
                         "&amount=151") == 0.99
    assert api.ok("GET", "v1/exchange-rates/convert?fromCurrency=USD&toCurrency=USD"
                         "&amount=3.5") == 3.5
    assert api.get("v1/exchange-rates/convert?fromCurrency=USD&toCurrency=JPY"
                   "&amount=1.001").status_code == 400
    assert api.get("v1/exchange-rates/convert?fromCurrency=USD&toCurrency=JPY"
                   "&amount=-1").status_code == 400
    assert api.get("v1/exchange-rates/convert?fromCurrency=USD&toCurrency=JPY"
                   ).status_code == 400


def test_the_inverse_is_not_implied(api, admin, demo_brand):
    set_rate(admin, "USD", "JPY", "150")
    r = api.get("v1/exchange-rates/convert?fromCurrency=JPY&toCurrency=USD&amount=150")
    assert r.status_code == 409
    error = r.json_body["errors"][0]
    assert error["code"] == "EXCHANGE_RATE_MISSING"
    assert "No exchange rate from JPY to USD" in error["message"]


def test_the_brands_conversion_fee(api, admin, alice, demo_brand):
    assert alice.ok("GET", "v1/exchange-rates/wallet-fee") == {"walletConvertFeePercent": 0}
    assert admin.ok("PUT", "v1/exchange-rates/wallet-fee",
                    {"walletConvertFeePercent": 1.25}) == {"walletConvertFeePercent": 1.25}
    assert alice.ok("GET", "v1/exchange-rates/wallet-fee") == {"walletConvertFeePercent": 1.25}
    for bad in (-1, 50.5, 1.00001, "x"):
        assert admin.put("v1/exchange-rates/wallet-fee",
                         {"walletConvertFeePercent": bad}).status_code == 400
    assert alice.ok("GET", "v1/exchange-rates/wallet-fee") == {"walletConvertFeePercent": 1.25}


def test_concurrent_changes_each_get_their_version(admin, demo_brand, atomic_moto):
    outcomes = run_together(6, lambda i: rates.set_rate(
        demo_brand["id"], "USD", "EUR", Decimal(f"0.9{i}"), f"admin{i}"))
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sorted(o["version"] for o in outcomes) == [1, 2, 3, 4, 5, 6]
    history = admin.ok("GET", "v1/exchange-rates/histories?fromCurrencyCode=USD"
                              "&toCurrencyCode=EUR")["items"]
    assert [h["version"] for h in history] == [6, 5, 4, 3, 2, 1]
    # each row's previousRate is the rate of the version before it: no change was lost
    by_version = {h["version"]: h for h in history}
    assert all(by_version[v]["previousRate"] == by_version[v - 1]["rate"] for v in range(2, 7))
