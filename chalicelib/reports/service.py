"""Reports' front door: the one module other contexts (the outbox consumer, payments' dashboard
handler, bench) import, as ``from chalicelib.reports import service as reports``.

- ``on_payment_event``: the ``payment-event`` subscriber, subscribed to payments here: it moves
  the sales counters (counters.py) once per payment version;
- ``sales_summary``: the figures of ``v1/analytics/payments/summary`` and of
  ``v1/payments/dashboard`` (summary.py), from the counters;
- ``recompute_sales`` / ``sales_counters`` / ``rebuild_sales``: the counters from scratch, as
  held, and counting payments that predate them.
"""

from chalicelib.payments import service as payments
from chalicelib.reports.counters import held as sales_counters
from chalicelib.reports.counters import on_payment_event
from chalicelib.reports.counters import rebuild as rebuild_sales
from chalicelib.reports.counters import recompute as recompute_sales
from chalicelib.reports.summary import summary as sales_summary

__all__ = ["on_payment_event", "rebuild_sales", "recompute_sales", "sales_counters",
           "sales_summary"]

payments.subscribe(on_payment_event)
