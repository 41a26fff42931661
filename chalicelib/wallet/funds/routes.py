"""Money in and out of wallets through payments: top-ups (JFW v6.9.3 §16). Paying with a wallet
is a walletId on the checkouts (payments/checkout/, licensing's purchase/wallet). Data only: see
chalicelib/http/routing.py."""

from chalicelib.http.routing import Q, Route

ROUTES = [
    Route("POST", "/api/v1/wallets/add-money/checkout-link",
          "chalicelib.wallet.funds.api:add_money_checkout_link",
          "A checkout link that adds money to the caller's wallet in a currency (opened when "
          "missing); credited when the payment completes, once. Idempotency-Key honoured",
          returns="string", tag="Wallets", idempotent=True, answers=(409, 502), query=(
              Q("currencyCode", required=True), Q("amount", "number", required=True,
                                                  description="More than 0."),
              Q("returnLink", required=True, description="One of the brand's own pages."),
              Q("cancelLink", required=True, description="One of the brand's own pages."),
              Q("testMode", "boolean", description="Must match the gateway's mode."),
              Q("appIntegrationId", description="A gateway id, stripe or paypal (ours)."))),
]
