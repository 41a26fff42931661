"""What lasts as long as the process, kept out of the garbage collector's way (cold start).

A cold start makes mostly objects that live until the process ends: the modules a first use
imports (http/routing.resolve), an AWS client with the service models botocore parses for it
(~1.3 MB of JSON for the first: store/aws.py, store/base.py). While they are made, CPython's
collector runs again and again (every 700 allocations), and each full collection walks every
object made so far: measured at 20-40 ms of bench/coldwebhook.py's app before this. So on
deployed stages ``lasting()`` pauses the collector while such things are made, then freezes
everything alive (``gc.freeze``: later collections skip it); app.py freezes what its import
made. Local stages (the stack, tests: processes that make and drop many worlds) skip both:
frozen cyclic garbage is never freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib import settings


def freeze() -> None:
    """Deployed stages: every object alive now out of the collector's sight."""
    if not settings.get().is_local:
        gc.freeze()


@contextmanager
def lasting() -> Iterator[None]:
    """Around making what lives as long as the process: deployed, the collector paused, then
    ``freeze``."""
    pause = gc.isenabled() and not settings.get().is_local
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.freeze()
            gc.enable()
