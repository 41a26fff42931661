"""What payments do to wallets: a top-up's credit, the part of a purchase a wallet pays.

One ``ShareItem`` per (wallet, payment) says what the payment adds to the wallet now
(``contribution_minor``). Every payment event (payments' ``payment-event``, any order, any
number of times) is turned into what the contribution SHOULD be for the payment as it is after
that event (``desired``); the difference is posted through the ledger, with the share's update,
in one transaction referenced by the payment's version. So the wallet follows the newest payment
state whatever order the events come in, and a repeat changes nothing:

- top-up: the amount once the payment completed and is not held for review; minus what was
  refunded (a lost dispute takes it all). A refund of top-up money already spent takes what is
  there and records the rest as the wallet's debt, which the next credits pay off first
  (ledger.py): the balance never goes below zero and the money owed is never forgotten.
- a purchase's part (``Funds``, below): taken from the balance when the payment is created, in
  the payment's own transaction (so no path creates a payment the wallet did not pay, or takes
  money for a payment that doesn't exist); kept when the payment completes; given back when it
  fails or expires without completing (``Void``), and when it is refunded in full or lost to a
  dispute (``Refund``), into the parts it came from. A partial refund of a gateway's part leaves
  the wallet's part spent. A payment that completes after its part was given back (a late
  success after the janitor expired it) takes the part again (``forced``: what is missing
  becomes debt).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from chalicelib import money, settings
from chalicelib.http.errors import Conflict, NotFound
from chalicelib.store.tx import ConditionFailed
from chalicelib.wallet import ledger
from chalicelib.wallet import models as m

log = logging.getLogger("jfw.wallet")

TOP_UP = "wallet-top-up"
S = m.ShareItem
FAILED = ("Failed", "Denied", "Voided", "Deleted")
ATTEMPTS = 8


def get_share(brand_id: str, wallet_id: str, payment_id: str) -> Any | None:
    try:
        return S.get(m.wallet_pk(brand_id, wallet_id), m.share_sk(payment_id),
                     consistent_read=True)
    except S.DoesNotExist:
        return None


# -- a wallet paying a checkout -------------------------------------------------------------------

@dataclass
class Funds:
    """A wallet offered to payments' checkout (``payments.checkout(..., funds=...)``).
    ``whole``: the wallet must pay everything (``v1/licenses/purchase/wallet``)."""

    brand_id: str
    wallet_id: str
    whole: bool = False

    def _wallet(self, user_id: str) -> Any:
        try:
            wallet = ledger.get_wallet(self.brand_id, self.wallet_id)
        except NotFound:
            wallet = None
        if wallet is None or wallet.user_id != user_id:
            raise NotFound(f"Wallet {self.wallet_id} was not found.", code="WALLET_NOT_FOUND")
        ledger.check_mac(wallet)
        if wallet.status != "Open":
            raise ledger.WalletNotOpen(f"Wallet {wallet.id} is {wallet.status}: it can't pay.")
        return wallet

    def quoted(self, user_id: str, quote: dict[str, Any]) -> dict[str, Any]:
        """A quote (catalog's calculate-total-price-checkout reply) with what this wallet would
        pay: ``walletUsed``, and ``total`` left to pay through a gateway."""
        currency = quote["currency"]
        total = money.to_minor(quote["total"], currency)
        share = self._share(user_id, total, currency, None)
        return {**quote, "walletUsed": money.to_decimal(share, currency),
                "total": money.to_decimal(total - share, currency)}

    def share(self, user: Any, what: Any, test_mode: bool) -> int:
        return self._share(user.id, what.amount, what.currency, test_mode)

    def _share(self, user_id: str, amount: int, currency: str, test_mode: bool | None) -> int:
        """What the wallet pays of ``amount``; ``test_mode`` None: not checked (a quote)."""
        wallet = self._wallet(user_id)
        if wallet.currency != currency:
            raise Conflict(f"Wallet {wallet.id} holds {wallet.currency}; this costs "
                           f"{currency}. Use a {currency} wallet (or convert).",
                           code="WALLET_CURRENCY_MISMATCH")
        if test_mode is not None and bool(wallet.test_mode) != bool(test_mode):
            raise Conflict(f"Wallet {wallet.id} is a {'test' if wallet.test_mode else 'live'} "
                           f"wallet; this payment is {'test' if test_mode else 'live'}.",
                           code="WALLET_TEST_MODE_MISMATCH")
        balance = int(wallet.balance_minor)
        if self.whole and balance < amount:
            short = money.to_decimal(amount - balance, currency)
            raise ledger.InsufficientFunds(
                f"The wallet holds {money.to_decimal(balance, currency)} {currency}; "
                f"{short} more is needed. Add money (v1/wallets/add-money/checkout-link) first.")
        return min(balance, amount)

    def write(self, items: list[tuple[Any, Any]], share: int) -> None:
        payment = items[0][0]
        now = settings.now()

        def with_share(parts: list[dict[str, int]]) -> list[tuple[Any, Any]]:
            took = {k: -v for k, v in parts[0].items()}
            item = S(m.wallet_pk(self.brand_id, self.wallet_id), m.share_sk(payment.id),
                     payment_id=payment.id, wallet_id=self.wallet_id, purpose="spend",
                     state="Held", amount_minor=share, contribution_minor=-share,
                     paid_minor=took["paid"], granted_minor=took["granted"],
                     payment_version=int(payment.version), created_date=now, modified_date=now)
            return [(item, S.pk.does_not_exist())]

        whole = payment.gateway_type == "wallet"
        ledger.post(self.brand_id, [ledger.Move(
            self.wallet_id, -share, _spend_type(payment), ref_object="Payment",
            ref_id=payment.id, description=(payment.name if whole else
                                            f"{payment.name} (the wallet's part)"))],
            ref=f"SHARE#{payment.id}#v{int(payment.version)}", puts=items, then=with_share)


def _spend_type(payment: Any) -> str:
    return "LicensePurchase" if payment.package_id else "Payment"


# -- following the payment ------------------------------------------------------------------------

def purpose_of(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """(``topup`` | ``spend`` | None, the wallet id) of a payment event."""
    quote = payload.get("quote") or {}
    if quote.get("purpose") == TOP_UP and quote.get("walletId"):
        return "topup", quote["walletId"]
    if payload.get("walletId") and payload.get("walletMinor"):
        return "spend", payload["walletId"]
    return None, None


def desired(purpose: str, amount: int, payload: dict[str, Any]) -> int:
    """What the payment should add to the wallet, for the payment as the event describes it."""
    status = payload.get("status") or ""
    completed = bool(payload.get("completed"))
    refunded = int(payload.get("refundedMinor") or 0)
    if purpose == "topup":
        if not completed or payload.get("held"):
            return 0
        back = amount if status == "Reserved" else min(amount, refunded)
        return amount - back
    if not completed:
        return 0 if status in FAILED else -amount
    paid = int(payload.get("amountGrossMinor") or payload.get("amountMinor") or 0)
    if status == "Reserved" or (paid and refunded >= paid):
        return 0
    return -amount


def _state(purpose: str, want: int, share: Any, completed: bool) -> str:
    if purpose == "topup":
        if want:
            return "Credited"
        return "TakenBack" if share is not None and share.state != "Waiting" else "Waiting"
    if want:
        return "Captured" if completed else "Held"
    return "Returned" if completed else "Released"


def settle(payload: dict[str, Any]) -> str | None:
    """The ``payment-event`` subscriber: bring the payment's share of its wallet to what the
    payment says now. Returns what was done (for logs and tests)."""
    purpose, wallet_id = purpose_of(payload)
    brand_id, payment_id = payload.get("brandId"), payload.get("paymentId")
    if purpose is None or not brand_id or not payment_id:
        return None
    version = int(payload.get("paymentVersion") or 0)
    for _ in range(ATTEMPTS):
        share = get_share(brand_id, wallet_id, payment_id)
        if share is not None and version <= int(share.payment_version):
            return "stale"
        if purpose == "spend" and share is None:
            log.error("payment %s names wallet %s but holds nothing from it", payment_id,
                      wallet_id)
            return "no-share"
        amount = int(share.amount_minor) if share is not None else int(
            payload.get("amountMinor") or 0)
        want = desired(purpose, amount, payload)
        have = int(share.contribution_minor) if share is not None else 0
        try:
            done = _apply(brand_id, wallet_id, payment_id, purpose, share, amount, want, have,
                          version, payload)
        except ConditionFailed:
            continue  # another event of this payment moved the share first: read it again
        except ledger.Duplicate:
            return "duplicate"
        return done
    raise ledger.Busy(f"the share of payment {payment_id} kept changing")


def _apply(brand_id: str, wallet_id: str, payment_id: str, purpose: str, share: Any,
           amount: int, want: int, have: int, version: int, payload: dict[str, Any]) -> str:
    now = settings.now()
    state = _state(purpose, want, share, bool(payload.get("completed")))
    if share is None:
        share = S(m.wallet_pk(brand_id, wallet_id), m.share_sk(payment_id),
                  payment_id=payment_id, wallet_id=wallet_id, purpose=purpose, state=state,
                  amount_minor=amount, created_date=now)
        condition = S.pk.does_not_exist()
    else:
        condition = S.payment_version == int(share.payment_version)
    share.state, share.contribution_minor = state, want
    share.payment_version, share.modified_date = version, now
    delta = want - have
    if delta == 0:
        share.save(condition=condition)
        return state
    code = payload.get("paymentCode") or payment_id
    if purpose == "topup":
        move = ledger.Move(wallet_id, delta, "WalletAddMoney" if delta > 0 else "Refund",
                           forced=delta < 0, ref_object="Payment", ref_id=payment_id,
                           description=f"Top-up {code}" if delta > 0
                           else f"Top-up {code} refunded")
        moves = [move]
    elif delta > 0:  # the wallet's part goes back to the parts it came from
        kind = "Refund" if state == "Returned" else "Void"
        what = "refunded" if kind == "Refund" else "not completed: the money is released"
        moves = [ledger.Move(wallet_id, value, kind, part=part, ref_object="Payment",
                             ref_id=payment_id, description=f"Payment {code} {what}")
                 for part, value in (("paid", int(share.paid_minor)),
                                     ("granted", int(share.granted_minor))) if value]
    else:
        moves = [ledger.Move(wallet_id, delta, "LicensePurchase", forced=True,
                             split={"paid": int(share.paid_minor),
                                    "granted": int(share.granted_minor)},
                             ref_object="Payment", ref_id=payment_id,
                             description=f"Payment {code} completed after its release")]
    ledger.post(brand_id, moves, ref=f"SHARE#{payment_id}#v{version}",
                puts=[(share, condition)])
    return state

