"""Reports' front door: the one module other contexts (the outbox consumer, payments' dashboard
handler, bench) import, as ``from chalicelib.reports import service as reports``.

- ``on_payment_event``: the ``payment-event`` subscriber, subscribed to payments here: it moves
  the sales counters (counters.py) once per payment version;
- ``sales_summary``: the figures of ``v1/analytics/payments/summary`` and of
  ``v1/payments/dashboard`` (summary.py), from the counters;
- ``recompute_sales`` / ``sales_counters`` / ``rebuild_sales``: the counters from scratch, as
  held, and counting payments that predate them;
- ``on_license_event``: the ``license-event`` subscriber (licensing.subscribe_license_changes,
  here): the license counters of ``v1/licenses/statistics/monthly`` (license_counts.py,
  monthly.py); ``recompute_licenses`` / ``license_counters`` / ``rebuild_licenses`` as for
  sales.
"""

from chalicelib.licensing import service as licensing
from chalicelib.payments import service as payments
from chalicelib.reports.counters import held as sales_counters
from chalicelib.reports.counters import on_payment_event
from chalicelib.reports.counters import rebuild as rebuild_sales
from chalicelib.reports.counters import recompute as recompute_sales
from chalicelib.reports.license_counts import held as license_counters
from chalicelib.reports.license_counts import on_license_event
from chalicelib.reports.license_counts import rebuild as rebuild_licenses
from chalicelib.reports.license_counts import recompute as recompute_licenses
from chalicelib.reports.summary import summary as sales_summary

__all__ = ["license_counters", "on_license_event", "on_payment_event", "rebuild_licenses",
           "rebuild_sales", "recompute_licenses", "recompute_sales", "sales_counters",
           "sales_summary"]

payments.subscribe(on_payment_event)
licensing.subscribe_license_changes(on_license_event)
