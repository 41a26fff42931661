"""The payment state machine over JFW's PaymentStatus values (design.md, "Status changes follow an
explicit state machine").

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
  goes processing again. ``Denied`` (PayPal: the seller denied it) and ``Voided`` are final,
  except that a payment the janitor expired (``expired``: no answer in time, not a gateway
  decision) still takes a verified completion, since the buyer's money moved.
- A refund or dispute that arrives BEFORE its completion is applied at once ("applied correctly
  either way", not held): Created/Pending -> Refunded (or Reserved), and the payment is marked
  ``completion_missing``. When the completion arrives later it is history-only ("late
  completion: the refund stands"); its gross, fee and date are still recorded, and nothing is
  fulfilled or mailed. Holding the refund until the completion would leave a refunded buyer
  with a payment that looks open for as long as the completion never comes.
- ``Refunded`` -> ``Refunded`` is a further (partial) refund: applied (amounts, transaction
  record, mail) without a status change. Any other same-status event changes nothing.
- ``Deleted`` is an administrator's act; no gateway event leads there.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES: tuple[str, ...] = ("Created", "Completed", "Refunded", "Failed", "Pending", "Denied",
                             "Reserved", "CanceledReversal", "Deleted", "Voided")

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
