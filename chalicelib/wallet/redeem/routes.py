"""Redeem codes and wallet earning events (JFW v6.9.3 §16; the redeem code administration is
ours: JFW has none). Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.wallet.redeem.constants import (
    CODE_STATUSES,
    EARNING_STATUSES,
    EARNING_TRIGGERS,
    EARNING_TYPES,
)

ROUTES = [
    Route("POST", "/api/v1/wallets/{id}/apply-redeem/{redeemCode}",
          "chalicelib.wallet.redeem.api:apply_redeem",
          "Apply a redeem code to the caller's open wallet in the code's currency: its amount "
          "is credited once (granted money). Failed guesses are limited per user and client "
          "IP (429 with Retry-After)",
          returns="boolean", tag="Wallets", idempotent=True, answers=(409, 429, 503)),
    Route("POST", "/api/v1/redeem-codes/batches", "chalicelib.wallet.redeem.api:create_batch",
          "Make a batch of redeem codes; the answer holds every code (the only time besides "
          "the export)", permission="REDEEM-CODE.CREATE",
          body="chalicelib.wallet.redeem.schemas:RedeemBatchBody", tag="Redeem codes",
          idempotent=True),
    Route("GET", "/api/v1/redeem-codes/batches", "chalicelib.wallet.redeem.api:list_batches",
          "The brand's redeem code batches", permission="REDEEM-CODE.READ", returns="page",
          tag="Redeem codes", query=(*PAGING, Q("status", enum=CODE_STATUSES),
                                     Q("currencyCode"), Q("tags"), Q("testMode", "boolean"))),
    Route("GET", "/api/v1/redeem-codes/batches/{id}", "chalicelib.wallet.redeem.api:get_batch",
          "A redeem code batch", permission="REDEEM-CODE.READ", tag="Redeem codes"),
    Route("GET", "/api/v1/redeem-codes/batches/{id}/codes",
          "chalicelib.wallet.redeem.api:list_codes",
          "A batch's codes by number (each shown by its last 4 characters) with their uses",
          permission="REDEEM-CODE.READ", returns="page", tag="Redeem codes",
          query=(Q("pageNumber", "integer", description="Zero-based page index (default 0)."),
                 Q("pageSize", "integer", description="Codes per page, 1-1000 (default 200).")
                 )),
    Route("GET", "/api/v1/redeem-codes/batches/{id}/export",
          "chalicelib.wallet.redeem.api:export_batch",
          "A batch's codes in full as CSV (text/csv)", permission="REDEEM-CODE.READ",
          returns="csv", tag="Redeem codes"),
    Route("PUT", "/api/v1/redeem-codes/batches/{id}/deactivate",
          "chalicelib.wallet.redeem.api:deactivate_batch",
          "Deactivate every code of a batch (what was redeemed stays)",
          permission="REDEEM-CODE.UPDATE", returns="boolean", tag="Redeem codes"),
    Route("PUT", "/api/v1/redeem-codes/{id}/deactivate",
          "chalicelib.wallet.redeem.api:deactivate_code",
          "Deactivate one code ({id}: the code's id, <batchId>-<number>)",
          permission="REDEEM-CODE.UPDATE", returns="boolean", tag="Redeem codes"),
    Route("GET", "/api/v1/wallet-earning-events", "chalicelib.wallet.redeem.api:list_earning",
          "The brand's wallet earning events (users see the Active ones)", returns="page",
          tag="Wallet earning events", query=(
              *PAGING, Q("type", enum=EARNING_TYPES, description="Default Earning."),
              Q("eventId", enum=EARNING_TRIGGERS),
              Q("status", enum=EARNING_STATUSES,
                description="EARNING-EVENT.READ only; others see Active events."))),
    # JFW's SDK (getEventsEarningWallet) calls v1/events?type= for this list: notify's
    # GET v1/events answers a ?type= query with it (wallet.service.list_earning_events).
    Route("GET", "/api/v1/wallet-earning-events/{id}", "chalicelib.wallet.redeem.api:get_earning",
          "A wallet earning event", permission="EARNING-EVENT.READ",
          tag="Wallet earning events"),
    Route("POST", "/api/v1/wallet-earning-events", "chalicelib.wallet.redeem.api:create_earning",
          "Create a wallet earning event: the amount granted once per user and reference when "
          "its trigger (USER.REGISTERED, USER.REFERRAL.REGISTERED, PAYMENT.REFERRAL.COMPLETED) "
          "happens",
          permission="EARNING-EVENT.CREATE",
          body="chalicelib.wallet.redeem.schemas:EarningEventBody",
          tag="Wallet earning events"),
    Route("PUT", "/api/v1/wallet-earning-events/{id}",
          "chalicelib.wallet.redeem.api:update_earning", "Change a wallet earning event",
          permission="EARNING-EVENT.UPDATE",
          body="chalicelib.wallet.redeem.schemas:EarningEventBody",
          tag="Wallet earning events"),
    Route("DELETE", "/api/v1/wallet-earning-events/{id}",
          "chalicelib.wallet.redeem.api:delete_earning",
          "Delete a wallet earning event (it stops granting; its grants stay)",
          permission="EARNING-EVENT.DELETE", returns="boolean", tag="Wallet earning events"),
]
