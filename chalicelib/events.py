"""Queue consumers and scheduled jobs, registered on the Chalice app from store/schema.py.

The functions named there take the raw Lambda event dict and are imported on first call, so
the API's cold start doesn't pay for them.
"""

from __future__ import annotations

from typing import Any

from chalicelib import settings
from chalicelib.http.routing import resolve
from chalicelib.store import schema


def _raw(event: Any) -> dict:
    return event.to_dict() if hasattr(event, "to_dict") else event


def register(app: Any) -> dict[str, Any]:
    """Register every consumer and job; returns {name: Lambda handler} for app.py to expose:
    Lambda calls ``app.<function __name__>`` (Chalice's handler string), so each needs its own
    name and must be an attribute of app.py (tests/infra/test_handlers.py)."""
    from chalice import Rate  # cold start

    s = settings.get()
    handlers: dict[str, Any] = {}
    for q in schema.QUEUES:
        def consumer(event: Any, _ref: str = q.consumer) -> Any:
            # Returned to Lambda as-is: {"batchItemFailures": [...]} (ReportBatchItemFailures).
            return resolve(_ref)(_raw(event))

        name = consumer.__name__ = consumer.__qualname__ = f"consume_{q.name.replace('-', '_')}"
        handlers[name] = app.on_sqs_message(queue=s.queue_name(q.name), batch_size=q.batch_size,
                                            name=name)(consumer)
    for schedule, minutes, ref in schema.SCHEDULES:
        def job(event: Any, _ref: str = ref) -> Any:
            return resolve(_ref)(_raw(event))

        name = job.__name__ = job.__qualname__ = schedule.replace("-", "_")
        handlers[name] = app.schedule(Rate(minutes, unit=Rate.MINUTES), name=name)(job)
    return handlers
