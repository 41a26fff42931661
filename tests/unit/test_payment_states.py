"""The payment state machine (states.py): forward only, late events recorded, refunds early."""

from __future__ import annotations

import pytest

from chalicelib.payments import states


def test_the_statuses_are_jfws():
    assert states.STATUSES == ("Created", "Completed", "Refunded", "Failed", "Pending", "Denied",
                               "Reserved", "CanceledReversal", "Deleted", "Voided")
    assert set(states.ALLOWED) == set(states.STATUSES) == set(states.RANK)


@pytest.mark.parametrize("current,target", [
    ("Created", "Pending"), ("Created", "Completed"), ("Pending", "Completed"),
    ("Created", "Failed"), ("Failed", "Completed"), ("Completed", "Refunded"),
    ("Completed", "Reserved"), ("Reserved", "CanceledReversal"), ("Pending", "Voided"),
    ("Created", "Denied"),
])
def test_forward_moves_apply(current, target):
    d = states.decide(current, target)
    assert d.applied and d.to_status == target


@pytest.mark.parametrize("current,target", [
    ("Completed", "Pending"), ("Completed", "Created"), ("Refunded", "Completed"),
    ("Completed", "Failed"), ("Refunded", "Pending"), ("Voided", "Pending"),
])
def test_backward_moves_are_history_only(current, target):
    d = states.decide(current, target)
    assert not d.applied and d.to_status is None
    assert d.note.startswith("ignored: out of order")


def test_final_states_refuse_other_moves():
    d = states.decide("Denied", "Completed")
    assert not d.applied and d.note.startswith("ignored: not allowed")
    assert not states.decide("Deleted", "Refunded").applied


def test_same_status_changes_nothing_except_a_further_refund():
    assert not states.decide("Completed", "Completed").applied
    further = states.decide("Refunded", "Refunded")
    assert further.applied and further.to_status is None


def test_a_refund_before_completion_applies_and_marks_it():
    d = states.decide("Created", "Refunded")
    assert d.applied and d.to_status == "Refunded" and d.completion_missing
    late = states.decide("Refunded", "Completed", completion_missing=True)
    assert not late.applied and late.late_completion and late.to_status is None


def test_an_expired_payment_still_takes_a_verified_completion():
    assert not states.decide("Voided", "Completed").applied
    d = states.decide("Voided", "Completed", expired=True)
    assert d.applied and d.to_status == "Completed"


def test_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError):
        states.decide("Created", "Paid")


def test_open_statuses():
    assert {s for s in states.STATUSES if states.is_open(s)} == {"Created", "Pending"}


def test_the_janitor_watches_open_payments_and_declined_stripe_ones():
    assert states.needs_watch("Pending", "paypal")
    assert states.needs_watch("Failed", "stripe")
    assert not states.needs_watch("Failed", "paypal")
    assert not states.needs_watch("Completed", "stripe")


def test_the_money_status_follows_the_facts_whatever_their_order():
    assert states.money_status(False, 0, {}) is None
    assert states.money_status(True, 0, {}) == "Completed"
    assert states.money_status(False, 500, {}) == "Refunded"  # before any completion
    assert states.money_status(True, 500, {}) == "Refunded"
    assert states.money_status(True, 0, {"dp_1": "won"}) == "CanceledReversal"
    assert states.money_status(True, 500, {"dp_1": "won"}) == "Refunded"
    assert states.money_status(True, 500, {"dp_1": "open"}) == "Reserved"
    assert states.money_status(True, 0, {"dp_1": "won", "dp_2": "lost"}) == "Reserved"


def test_a_dispute_is_opened_once_and_closed_once():
    assert states.dispute_change({}, "dp_1", "won") is None  # closed before it was opened
    assert states.dispute_change({"dp_1": "won"}, "dp_1", "open") == (
        "ignored: dispute dp_1 is already won")
    assert states.dispute_change({"dp_1": "open"}, "dp_1", "lost") is None
    assert states.dispute_change({"dp_1": "lost"}, "dp_1", "won") == (
        "ignored: dispute dp_1 was already closed lost")
