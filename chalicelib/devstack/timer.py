"""Runs the scheduled functions of store/schema.py SCHEDULES, as EventBridge rules would."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalicelib import settings

log = logging.getLogger("jfw.devstack.timer")

ACCOUNT = "123456789012"  # moto's default account


def scheduled_event(name: str, region: str) -> dict:
    """The event a scheduled Lambda receives from EventBridge."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": settings.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{name}"],
        "detail": {},
    }


class Job:
    def __init__(self, name: str, interval: float, fn: Callable[[dict], Any]) -> None:
        self.name = name
        self.interval = interval
        self.fn = fn
        # Like a rate() rule: the first run comes one interval after the start.
        self.due = time.monotonic() + interval
        self.runs = 0


class Timer(threading.Thread):
    def __init__(self, jobs: list[Job], stop: threading.Event) -> None:
        super().__init__(name="timer", daemon=True)
        self.jobs = jobs
        self.stop = stop

    def run(self) -> None:
        region = settings.get().region
        while self.jobs and not self.stop.is_set():
            job = min(self.jobs, key=lambda j: j.due)
            if self.stop.wait(max(0.0, job.due - time.monotonic())):
                return
            job.due = time.monotonic() + job.interval
            try:
                result = job.fn(scheduled_event(job.name, region))
                job.runs += 1
                log.debug("scheduled job %s: %r", job.name, result)
            except Exception:  # noqa: BLE001 - a failing job must not stop the others; it logs
                log.exception("scheduled job %s failed; next run in %.0f s", job.name,
                              job.interval)
