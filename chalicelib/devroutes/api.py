"""Handlers of the dev-only routes (stages local and test): the process clock and the jobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chalicelib import settings
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import NotFound
from chalicelib.http.routing import resolve
from chalicelib.store import schema


def dev_clock(ctx: RequestContext) -> dict:
    """Move the whole process's clock (API, workers and timer of the local stack)."""
    offset = timedelta(seconds=ctx.body.offsetSeconds)
    if offset:
        settings.set_clock(lambda: datetime.now(UTC) + offset)
    else:
        settings.set_clock(None)
    return {"offsetSeconds": ctx.body.offsetSeconds, "now": settings.now()}


def dev_run_job(ctx: RequestContext, name: str) -> dict:
    """Run a schedule of store/schema.py now, as its timer would."""
    refs = {n: ref for n, _, ref in schema.SCHEDULES}
    if name not in refs:
        raise NotFound(f"There is no job '{name}'; jobs: {', '.join(sorted(refs))}.",
                       code="JOB_NOT_FOUND")
    result = resolve(refs[name])({"source": "dev", "detail-type": "Scheduled Event"})
    try:
        json.dumps(result)
    except TypeError:
        result = repr(result)
    return {"name": name, "result": result}
