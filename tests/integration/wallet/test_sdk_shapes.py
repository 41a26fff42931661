"""JFW's SDK (v6.9.3) wallet functions, called as the SDK calls them (paths, verbs, query, body),
answer in the SDK's shapes: src/features/wallet, currency, exchangeRate, event, license and
constant (api-surface.md §16, §20). Each assertion names the SDK type it checks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalicelib.payments.inbound import intake
from tests.helpers.checkout import paypal_completion
from tests.helpers.payments import drain_outbox, payment

HISTORY_TYPES = {"Unknown", "LicensePurchase", "Payment", "Refund", "Void", "Capture",
                 "Authorization", "Reversal", "Inquiry", "WalletAddMoney", "WalletWithdraw",
                 "WalletEarningCoin", "WalletRedeem", "WalletConvert"}
HISTORY_STATUSES = {"Waiting", "Completed", "Refunded", "Failed", "Pending", "Denied",
                    "Reserved", "CanceledReversal", "Deleted", "Voided", "Expired"}


def envelope(resp) -> dict:
    """HttpResponse<T>: {success, statusCode, message, errors, data}."""
    env = resp.json_body
    assert set(env) >= {"success", "statusCode", "message", "errors", "data"}, env
    assert env["success"] is True and env["statusCode"] == resp.status_code == 200, env
    return env["data"]


def is_wallet(w: dict) -> None:
    """IWallet: id, createdDate?, code, amount (number), displayAmount (string), currencyCode,
    isDefault (boolean), tags?"""
    assert isinstance(w["id"], str) and isinstance(w["code"], str)
    assert isinstance(w["amount"], (int, float)) and not isinstance(w["amount"], bool)
    assert isinstance(w["displayAmount"], str) and isinstance(w["currencyCode"], str)
    assert isinstance(w["isDefault"], bool) and "tags" in w and "createdDate" in w


def is_page(data: dict) -> list:
    """HttpResponseList<T>: data = {items, totalItems, pageNumber, pageSize}."""
    assert set(data) >= {"items", "totalItems", "pageNumber", "pageSize"}, data
    return data["items"]


def test_the_sdks_wallet_functions(api, admin, buyer, shop, paypal, demo_brand):
    http = buyer.client.http

    def call(method: str, path: str, body=None, who=buyer):
        return getattr(who, method.lower())(path, body=body) if body is not None else \
            getattr(who, method.lower())(path)

    # createWalletDefault(currencyCode, testMode): POST v1/wallets/{currencyCode}?testMode=
    usd = envelope(call("POST", "v1/wallets/USD?testMode=true"))
    is_wallet(usd)
    eur = envelope(call("POST", "v1/wallets/EUR?testMode=true"))
    # getWallets(params): GET v1/wallets -> IWallet[] (a plain array)
    listed = envelope(call("GET", "v1/wallets?testMode=true&status=Open"))
    assert isinstance(listed, list) and len(listed) == 2
    for w in listed:
        is_wallet(w)
    # addMoneyToWalletWithCheckoutLink: POST ...?currencyCode&amount&returnLink&cancelLink
    link = envelope(call("POST", "v1/wallets/add-money/checkout-link?currencyCode=USD"
                                 "&amount=40&returnLink=https%3A%2F%2Fdemo.test%2Fpaid"
                                 "&cancelLink=https%3A%2F%2Fdemo.test%2Fcancel&testMode=true"))
    assert isinstance(link, str) and link.startswith("https://")
    pid = parse_qs(urlsplit(link).query)["custom"][0]
    intake.apply(demo_brand["id"], paypal_completion(payment(demo_brand["id"], pid)), None)
    drain_outbox()
    # getWalletHistories(id, params): GET v1/wallets/{id}/histories -> HttpResponseList
    [row] = is_page(envelope(call("GET", f"v1/wallets/{usd['id']}/histories?pageNumber=0"
                                         "&pageSize=10&sortOrder=desc")))
    assert isinstance(row["id"], str) and "user" in row and isinstance(row["code"], str)
    assert row["type"] in HISTORY_TYPES and row["status"] in HISTORY_STATUSES
    assert isinstance(row["amount"], (int, float)) and row["currencyCode"] == "USD"
    assert {"notes", "tags", "description", "paymentDate"} <= set(row)
    # applyRedeemCode: POST v1/wallets/{walletId}/apply-redeem/{redeemCode}, body null -> true
    batch = admin.ok("POST", "v1/redeem-codes/batches", {"amount": "1.50", "currencyCode": "USD",
                                                         "quantity": 1, "testMode": True})
    assert envelope(http.post(f"/api/v1/wallets/{usd['id']}/apply-redeem/{batch['codes'][0]}",
                              headers={"Brand-URL": "demo.test",
                                       "Auth-Key": buyer.auth_key})) is True
    # getCurrencies: GET v1/currencies -> HttpResponseList<ICurrency>
    currencies = is_page(envelope(call("GET", "v1/currencies?code=USD")))
    [c] = currencies
    assert c["code"] == "USD" and isinstance(c["name"], str) and c["decimalDigits"] == 2
    assert isinstance(c["isCoin"], bool) and isinstance(c["isDefault"], bool)
    assert isinstance(c["rounding"], (int, float))
    admin.ok("PUT", "v1/exchange-rates", {"fromCurrencyCode": "USD", "toCurrencyCode": "EUR",
                                          "rate": "0.9"})
    # getExchangeRates: GET v1/exchange-rates -> IExchangeRate[]
    [rate] = envelope(call("GET", "v1/exchange-rates"))
    assert (rate["fromCurrencyCode"], rate["toCurrencyCode"]) == ("USD", "EUR")
    assert isinstance(rate["rate"], (int, float)) and "lastUpdate" in rate
    # convertCurrency: GET v1/exchange-rates/convert?fromCurrency&toCurrency&amount -> number
    assert envelope(call("GET", "v1/exchange-rates/convert?fromCurrency=USD&toCurrency=EUR"
                                "&amount=10")) == 9
    # convertWalletMoney: POST v1/wallets/convert {originalWalletId, targetWalletId, fee?,
    # totalAmount} -> boolean
    assert envelope(call("POST", "v1/wallets/convert", {
        "originalWalletId": usd["id"], "targetWalletId": eur["id"], "fee": None,
        "totalAmount": 10})) is True
    # purchaseToAddLicensesByWallet: POST v1/licenses/purchase/wallet?walletId= -> string
    bought = envelope(call("POST", f"v1/licenses/purchase/wallet?walletId={usd['id']}", {
        "packageId": shop["pro"], "subscriptionTypeId": "D30", "type": "Prepaid",
        "startDate": "2026-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z",
        "testMode": True, "quantity": 1, "userCode": buyer.ok("GET", "v1/users/me")["code"]}))
    assert isinstance(bought, str)
    # getEventsEarningWallet: GET v1/events?type=Earning -> HttpResponseList<IWalletEarningEvent>
    assert isinstance(is_page(envelope(call("GET", "v1/events?type=Earning"))), list)
    # getWalletStatuses: GET v1/constants/wallet/status -> string[]
    statuses = envelope(api.get("v1/constants/wallet/status"))
    assert "Open" in statuses and all(isinstance(s, str) for s in statuses)
    # closeWallet(id): PUT v1/wallets/{id}/close?id= -> boolean (EUR still holds money: 409)
    resp = buyer.put(f"v1/wallets/{eur['id']}/close?id={eur['id']}")
    assert resp.status_code == 409 and resp.json_body["success"] is False
    empty = envelope(call("POST", "v1/wallets/GBP?testMode=true"))
    assert envelope(buyer.put(f"v1/wallets/{empty['id']}/close?id={empty['id']}")) is True
