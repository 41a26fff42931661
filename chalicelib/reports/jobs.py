"""Reports' entry points run by a timer, not by a route:

- ``run_license_recount``: the scheduled job ``report-license-recount`` (store/schema.py
  SCHEDULES, every 10 minutes): recounts the licenses whose status time alone has changed
  (a NotStarted license past its startDate, an Active one past its endDate), reading only
  what is due (license_counts.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.reports import license_counts


def run_license_recount(event: Any = None, context: Any = None) -> dict:
    """Scheduled: counts of the run (due, recounted, unchanged, gone, errors)."""
    return license_counts.recount_due()
