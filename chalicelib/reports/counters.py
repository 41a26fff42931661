"""The sales counters, moved by payment events (subscribed in service.py), and their
recomputation from the payments themselves.

A payment event says how the payment stands after a change, with the payment's version
(payments/effects.py ``paymentVersion``). For each payment a ``COUNTED`` row keeps what the
counters hold of it and the version that came from; an event newer than that row moves the
counters by the difference (new - counted) in ONE transaction with the row, conditioned on the
row still holding the version read. So an event delivered twice, or one older than what was
counted (late, out of order), changes nothing, and concurrent deliveries of one payment move
the counters once. Figures are what ``sales.py`` says a payment counts for.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.payments import service as payments
from chalicelib.reports import models as m
from chalicelib.reports import sales
from chalicelib.store.tx import ConditionFailed, transaction

log = logging.getLogger("jfw.reports")

C = m.SalesCounterItem
ATTEMPTS = 8
ZERO = {"payments": 0, "sells": 0, "revenue": 0}


def on_payment_event(payload: dict[str, Any]) -> None:
    if payload.get("event") == "PAYMENT.RISK.FLAGGED":
        return  # a flag, not a change: it carries the version of the change still to come
    if payload.get("paymentVersion") is None or not payload.get("currency"):
        return
    count(payload["brandId"], payload["paymentId"], int(payload["paymentVersion"]),
          sales.of_event(payload))


def count(brand_id: str, payment_id: str, version: int, sale: sales.Sale) -> bool:
    """Make the counters hold ``sale`` for the payment, if ``version`` is newer than what they
    hold; whether they moved."""
    for attempt in range(ATTEMPTS):
        counted = _counted(brand_id, payment_id)
        if counted is not None and int(counted.payment_version) >= version:
            return False
        deltas = _deltas(counted.counted if counted is not None else None, sale.as_dict())
        try:
            _write(brand_id, payment_id, version, sale, counted, deltas)
            return True
        except ConditionFailed:
            continue  # another delivery counted first: read what it counted
        except TransactWriteError as e:
            if attempt == ATTEMPTS - 1 or not _conflict(e):
                raise
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))  # noqa: S311 - jitter
    raise RuntimeError(f"payment {payment_id}: sales counters not moved after {ATTEMPTS} tries")


def _conflict(e: TransactWriteError) -> bool:
    return any(r is not None and r.code == "TransactionConflict"
               for r in (e.cancellation_reasons or []))


def _counted(brand_id: str, payment_id: str) -> m.CountedPaymentItem | None:
    try:
        return m.CountedPaymentItem.get(m.counted_payment_pk(brand_id, payment_id),
                                        m.COUNTED_SK, consistent_read=True)
    except m.CountedPaymentItem.DoesNotExist:
        return None


def _buckets(s: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    """(sk, mode, currency, day) of the counters a sale counts in."""
    out = [(m.total_sk(s["mode"], s["currency"]), s["mode"], s["currency"], None)]
    if s.get("day"):
        out.append((m.day_sk(s["day"], s["mode"], s["currency"]), s["mode"], s["currency"],
                    s["day"]))
    return out


def _deltas(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[tuple, dict[str, int]]:
    """Per counter, what to add so it holds ``new`` instead of ``old`` (zero deltas left out)."""
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: dict(ZERO))
    for sign, s in ((-1, old), (1, new)):
        if not s:
            continue
        for bucket in _buckets(s):
            for k in ZERO:
                out[bucket][k] += sign * int(s[k])
    return {b: d for b, d in out.items() if any(d.values())}


def _write(brand_id: str, payment_id: str, version: int, sale: sales.Sale,
           counted: m.CountedPaymentItem | None, deltas: dict[tuple, dict[str, int]]) -> None:
    R = m.CountedPaymentItem
    row = R(m.counted_payment_pk(brand_id, payment_id), m.COUNTED_SK, payment_version=version,
            counted=sale.as_dict())
    with transaction() as tx:
        if counted is None:
            tx.save(row, condition=R.pk.does_not_exist())
        else:
            tx.save(row, condition=R.payment_version == counted.payment_version)
        for (sk, mode, currency, day), d in deltas.items():
            actions = [C.kind.set(C), C.mode.set(mode), C.currency.set(currency),
                       C.payments.add(d["payments"]), C.sells.add(d["sells"]),
                       C.revenue_minor.add(d["revenue"])]
            if day:
                actions.append(C.day.set(day))
            tx.update(C(m.sales_pk(brand_id), sk), actions=actions)


# -- from scratch ---------------------------------------------------------------------------------

def recompute(brand_id: str) -> dict[tuple, dict[str, int]]:
    """What the counters should hold, from the brand's payments (one Query of them, paged): the
    check of the counters (tests, bench), and the figures to ``rebuild`` them from."""
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: dict(ZERO))
    for p in payments.brand_payments(brand_id):
        s = sales.of_payment(p).as_dict()
        for sk, *_ in _buckets(s):
            for k in ZERO:
                out[sk][k] += int(s[k])
    return {sk: d for sk, d in out.items() if any(d.values())}


def held(brand_id: str) -> dict[str, dict[str, int]]:
    """What the counters hold (one Query of the brand's counters), non-zero ones."""
    out = {}
    for c in C.query(m.sales_pk(brand_id), consistent_read=True):
        d = {"payments": int(c.payments or 0), "sells": int(c.sells or 0),
             "revenue": int(c.revenue_minor or 0)}
        if any(d.values()):
            out[c.sk] = d
    return out


def rebuild(brand_id: str) -> int:
    """Count every payment of the brand that the counters don't hold yet at its version: for a
    brand whose payments predate the counters (a deploy), run once; safe to run again, and
    alongside the outbox (each payment moves through ``count``). How many moved."""
    moved = 0
    for p in payments.brand_payments(brand_id):
        moved += count(brand_id, p.id, int(p.version or 0), sales.of_payment(p))
    return moved
