"""Report handlers: parse, call the rule, shape the reply."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.reports import summary


def payments_summary(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.brand is not None
    return summary.summary(ctx.brand, ctx.query.get("testMode"))
