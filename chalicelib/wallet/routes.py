"""Wallets and their histories (JFW v6.9.3 §16, §20). Data only: see chalicelib/http/routing.py.

Redeem codes and earning events are in wallet/redeem/, currencies, exchange rates and
conversion in wallet/rates/, top-ups and paying with a wallet in wallet/funds/.
"""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.wallet.constants import HISTORY_STATUSES, HISTORY_TYPES, WALLET_STATUSES

ROUTES = [
    Route("GET", "/api/v1/wallets", "chalicelib.wallet.api:list_wallets",
          "The caller's wallets (a WALLET.READ holder may name another user's, userId)",
          returns="array", tag="Wallets", query=(
              Q("currencyCode"), Q("status", enum=WALLET_STATUSES,
                                   description="Default Open."),
              Q("testMode", "boolean", description="Default false."),
              Q("userId", description="Another user's wallets (WALLET.READ; ours)."))),
    # JFW's path is v1/wallets/{currencyCode}; every path under v1/wallets/ names its segment
    # {id} (API Gateway refuses siblings with different variable names), so here id IS the
    # currency code.
    Route("POST", "/api/v1/wallets/{id}", "chalicelib.wallet.api:open_wallet",
          "Open the caller's wallet in a currency ({id}: the ISO 4217 code, JFW's "
          "currencyCode; one wallet per user, currency and test mode; the first is the "
          "default). An existing one is answered as it is",
          tag="Wallets", query=(Q("testMode", "boolean", description="Default false."),)),
    Route("GET", "/api/v1/wallets/{id}", "chalicelib.wallet.api:get_wallet",
          "A wallet (its owner, or WALLET.READ)", tag="Wallets"),
    Route("PUT", "/api/v1/wallets/{id}/close", "chalicelib.wallet.api:close_wallet",
          "Close an empty wallet (409 with its balance otherwise: spend or convert it first)",
          returns="boolean", tag="Wallets", answers=(409,),
          query=(Q("id", description="Sent again by JFW's SDK; ignored."),)),
    Route("GET", "/api/v1/wallets/{id}/histories", "chalicelib.wallet.api:histories",
          "The wallet's ledger rows, newest first, each with its hash in the wallet's chain",
          returns="page", tag="Wallets", query=(
              *PAGING, Q("code"), Q("refObject"), Q("refId"), Q("tags"),
              Q("type", enum=HISTORY_TYPES), Q("status", enum=HISTORY_STATUSES))),
    Route("GET", "/api/v1/constants/wallet/status", "chalicelib.wallet.api:constant",
          "Wallet statuses", auth="none", brand=False, returns="strings", tag="Constants"),
    Route("PUT", "/api/v1/wallets/{id}/lock", "chalicelib.wallet.api:lock_wallet",
          "Lock a wallet (WALLET.UPDATE): nothing can be spent from it, money still arrives. "
          "A Locked wallet is answered as it is; a Closed one is 409",
          permission="WALLET.UPDATE", tag="Wallets", answers=(409,),
          query=(Q("reason", description="Why (kept as the wallet's lockedReason)."),)),
    Route("PUT", "/api/v1/wallets/{id}/unlock", "chalicelib.wallet.api:unlock_wallet",
          "Unlock a wallet (WALLET.UPDATE) after proving its whole ledger again: 409 with the "
          "finding while the ledger and the balance still disagree",
          permission="WALLET.UPDATE", tag="Wallets", answers=(409,)),
]
