"""The payment state machine over JFW's PaymentStatus values (ARCHITECTURE.md, "Status changes
follow an explicit state machine").

A gateway event names the status it reports (``GatewayEvent.jfw_status``); ``decide`` says what
that does to a payment in its current status. Every event is recorded in the payment's history
either way; only an allowed transition changes the status. Rules:

- Forward moves only. ``RANK`` orders the statuses along a payment's life (Created < Pending <
  Failed/Denied/Voided < Completed < Reserved < CanceledReversal < Refunded); an event whose
  status isn't reachable from the current one is history-only, noted "ignored: out of order"
  when it ranks below the current status (a late ``Pending`` after ``Completed``), else
  "ignored: not allowed".
- ``Failed`` is not final: a Stripe PaymentIntent whose card was declined can still succeed with
  another card (``payment_intent.payment_failed`` then ``payment_intent.succeeded``), and ACH
  goes processing again. (A decline while the PaymentIntent still takes another card doesn't
  even report Failed: gateways/stripe.py leaves the payment open, the reason in its history.)
  ``Denied`` (PayPal: the seller denied it) and ``Voided`` are final, except that a payment
  the janitor expired (``expired``: no answer in time, not a gateway decision) still takes a
  verified completion, since the buyer's money moved.
- A refund or dispute that arrives BEFORE its completion is applied at once ("applied correctly
  either way", not held): Created/Pending -> Refunded (or Reserved), and the payment is marked
  ``completion_missing``. When the completion arrives later it still counts (below): its gross,
  fee and date are recorded, the buyer gets the receipt, and fulfilment decides from the money
  facts (a partial refund leaves the buyer what they paid for). Holding the refund until the
  completion would leave a refunded buyer with a payment that looks open for as long as the
  completion never comes.
- ``Refunded`` -> ``Refunded`` is a further (partial) refund: applied (amounts, transaction
  record, mail) without a status change. Any other same-status event changes nothing.
- ``Deleted`` is an administrator's act; no gateway event leads there.

What happens to the money once it moved (the completion, refunds, disputes) is kept as facts
that only grow, and the status is derived from them (``money_status``), so the same events give
the same payment in any order and with any duplicates (gateways send them out of order):
- completed: the gateway said the buyer paid (gross, fee, date recorded). A completion that
  arrives after a refund or dispute still counts ("late completion"): it is what lets a
  partially refunded buyer have what they paid for;
- refunded: the refunded total, which only rises (Stripe reports running totals: the highest
  wins; PayPal reports each refund: they add up, each once);
- disputes: per dispute (Stripe's dispute id; PayPal's reversals of one payment are one), open,
  then won or lost. A dispute's closing that arrives before its opening records it closed; the
  late opening changes nothing.
The status: Reserved while a dispute is open or after one was lost (the money is held or gone);
else Refunded when anything was refunded; else CanceledReversal when a dispute was won; else
Completed. A new dispute on a refunded payment therefore moves it back to Reserved: the facts
only grow, the status follows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.payments.constants import STATUSES  # noqa: F401 - states.STATUSES

OPEN = frozenset({"Created", "Pending"})

RANK: dict[str, int] = {
    "Created": 0, "Pending": 1, "Failed": 2, "Denied": 2, "Voided": 2, "Completed": 3,
    "Reserved": 4, "CanceledReversal": 5, "Refunded": 6, "Deleted": 9,
}

ALLOWED: dict[str, frozenset[str]] = {
    "Created": frozenset({"Pending", "Completed", "Failed", "Denied", "Voided", "Refunded",
                          "Reserved", "Deleted"}),
    "Pending": frozenset({"Completed", "Failed", "Denied", "Voided", "Refunded", "Reserved",
                          "Deleted"}),
    "Failed": frozenset({"Pending", "Completed", "Voided", "Deleted"}),
    "Denied": frozenset({"Deleted"}),
    "Voided": frozenset({"Deleted"}),
    "Completed": frozenset({"Refunded", "Reserved"}),
    "Reserved": frozenset({"CanceledReversal", "Refunded"}),
    "CanceledReversal": frozenset({"Reserved", "Refunded"}),
    "Refunded": frozenset({"Refunded"}),
    "Deleted": frozenset(),
}

# Statuses derived from the money facts (``money_status``).
MONEY = frozenset({"Completed", "Reserved", "CanceledReversal", "Refunded"})
DISPUTE_OPEN, DISPUTE_WON, DISPUTE_LOST = "open", "won", "lost"

# Statuses that take money back before any completion was seen.
_BEFORE_COMPLETION = frozenset({"Refunded", "Reserved"})


@dataclass(frozen=True)
class Decision:
    """``to_status`` is the new status (None: unchanged); ``applied`` says whether the event
    changes the payment at all (amounts, mails, events), ``note`` is the history note."""

    applied: bool
    note: str
    to_status: str | None = None
    completion_missing: bool = False
    late_completion: bool = False


def decide(current: str, target: str, *, expired: bool = False,
           completion_missing: bool = False) -> Decision:
    """What an event reporting ``target`` does to a payment in ``current``."""
    if target not in RANK:
        raise ValueError(f"{target!r} is not a JFW PaymentStatus")
    if target == "Completed" and completion_missing and current in _BEFORE_COMPLETION | {
            "CanceledReversal"}:
        return Decision(False, f"late completion recorded: the payment is already {current}",
                        late_completion=True)
    if current == target == "Refunded":
        return Decision(True, "further refund")
    if current == target:
        return Decision(False, f"ignored: already {current}")
    if current == "Voided" and expired and target in ("Completed", "Pending"):
        return Decision(True, f"{target} after expiry: applied, the buyer's money moved",
                        to_status=target)
    if target in ALLOWED.get(current, frozenset()):
        before = current in OPEN and target in _BEFORE_COMPLETION
        note = (f"{current} -> {target} before any completion"
                if before else f"{current} -> {target}")
        return Decision(True, note, to_status=target, completion_missing=before)
    if RANK[target] < RANK.get(current, 0):
        return Decision(False, f"ignored: out of order ({target} after {current})")
    return Decision(False, f"ignored: not allowed ({current} -> {target})")


def is_open(status: str) -> bool:
    """Waiting for the gateway."""
    return status in OPEN


def needs_watch(status: str, gateway_type: str | None) -> bool:
    """Whether the janitor keeps re-checking a payment in ``status``: an open one, and a
    Stripe one whose card was declined (the buyer may still pay with another card, and that
    success's webhook may be the one that never arrives)."""
    return status in OPEN or (status == "Failed" and gateway_type == "stripe")


def takes_money_events(status: str) -> bool:
    """Whether refunds and disputes (and a late completion) apply to a payment in ``status``:
    one still open (the completion may be late) or one whose money moved."""
    return status in OPEN or status in MONEY


def money_status(completed: bool, refunded_minor: int, disputes: Mapping[str, str]
                 ) -> str | None:
    """The status the money facts give (None: nothing about the money is known yet)."""
    outcomes = set(disputes.values())
    if DISPUTE_OPEN in outcomes or DISPUTE_LOST in outcomes:
        return "Reserved"
    if refunded_minor > 0:
        return "Refunded"
    if DISPUTE_WON in outcomes:
        return "CanceledReversal"
    return "Completed" if completed else None


def dispute_change(disputes: Mapping[str, str], ref: str, outcome: str) -> str | None:
    """Why recording ``outcome`` for dispute ``ref`` changes nothing, or None when it does: an
    opening of a dispute already known, or a second closing."""
    known = disputes.get(ref)
    if known is None:
        return None
    if outcome == DISPUTE_OPEN:
        return f"ignored: dispute {ref} is already {known}"
    if known != DISPUTE_OPEN:
        return f"ignored: dispute {ref} was already closed {known}"
    return None
