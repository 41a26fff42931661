"""Currencies, exchange rates and wallet conversion (JFW v6.9.3: currency/, exchangeRate/,
wallet/convert; the rate and fee writes are ours, in JFW's style). Data only: see
chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route

ROUTES = [
    Route("GET", "/api/v1/currencies", "chalicelib.wallet.rates.api:list_currencies",
          "ISO 4217 currencies (isDefault: the brand's currency; decimalDigits: the minor "
          "unit every amount of it has)", auth="none", returns="page", tag="Currencies",
          query=(*PAGING, Q("code"), Q("name"), Q("namePlural"), Q("symbol"),
                 Q("symbolNative"), Q("decimalDigits", "integer"), Q("rounding", "number"),
                 Q("tags"), Q("isCoin", "boolean"))),
    Route("GET", "/api/v1/exchange-rates", "chalicelib.wallet.rates.api:list_rates",
          "The brand's exchange rates in force, one per direction (the inverse is not "
          "implied)", auth="none", returns="array", tag="Exchange rates",
          query=(Q("fromCurrencyCode"), Q("toCurrencyCode"))),
    Route("GET", "/api/v1/exchange-rates/convert",
          "chalicelib.wallet.rates.api:convert_currency",
          "An amount converted at the brand's rate (no fee), rounded down to the target "
          "currency's minor unit; 409 when no rate is set for the direction",
          auth="none", returns="number", tag="Exchange rates", answers=(409,),
          query=(Q("fromCurrency", required=True), Q("toCurrency", required=True),
                 Q("amount", "number", required=True))),
    Route("PUT", "/api/v1/exchange-rates", "chalicelib.wallet.rates.api:set_rate",
          "Set the brand's rate for one direction (ours: JFW has no write API); each change "
          "is kept (histories)", permission="EXCHANGE-RATE.UPDATE",
          body="chalicelib.wallet.rates.schemas:RateBody", tag="Exchange rates",
          answers=(409,)),
    Route("DELETE", "/api/v1/exchange-rates/{id}", "chalicelib.wallet.rates.api:delete_rate",
          "Delete the brand's rate for one direction ({id}: FROM-TO, e.g. USD-JPY); the "
          "change is kept", permission="EXCHANGE-RATE.DELETE", returns="boolean",
          tag="Exchange rates", answers=(409,)),
    Route("GET", "/api/v1/exchange-rates/histories",
          "chalicelib.wallet.rates.api:rate_histories",
          "Every change of one direction's rate, newest first (ours)",
          permission="EXCHANGE-RATE.READ", returns="page", tag="Exchange rates",
          query=(*PAGING, Q("fromCurrencyCode", required=True),
                 Q("toCurrencyCode", required=True))),
    Route("GET", "/api/v1/exchange-rates/wallet-fee", "chalicelib.wallet.rates.api:get_fee",
          "The brand's wallet conversion fee, a percent of the amount converted (ours)",
          tag="Exchange rates"),
    Route("PUT", "/api/v1/exchange-rates/wallet-fee", "chalicelib.wallet.rates.api:set_fee",
          "Set the brand's wallet conversion fee (0-50 %, up to 4 decimals; ours)",
          permission="EXCHANGE-RATE.UPDATE", body="chalicelib.wallet.rates.schemas:FeeBody",
          tag="Exchange rates"),
    Route("GET", "/api/v1/wallets/convert/quote", "chalicelib.wallet.rates.api:quote_conversion",
          "What converting totalAmount between two of the caller's wallets would take and "
          "credit now: fee, rate (and its version), amount (ours)", tag="Wallets",
          answers=(409,), query=(Q("originalWalletId", required=True),
                                 Q("targetWalletId", required=True),
                                 Q("totalAmount", "number", required=True))),
    Route("POST", "/api/v1/wallets/convert", "chalicelib.wallet.rates.api:convert_wallets",
          "Convert totalAmount of one of the caller's wallets into another at the brand's rate "
          "less the brand's fee (a fee sent must be the current one: 409 FEE_CHANGED), "
          "rounded down, in one transaction", returns="boolean", tag="Wallets",
          body="chalicelib.wallet.rates.schemas:ConvertBody", idempotent=True,
          answers=(409, 503)),
]
