"""Report handlers: parse, call the rule, shape the reply."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.reports import monthly, summary


def payments_summary(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.brand is not None
    return summary.summary(ctx.brand, ctx.query.get("testMode"))


def license_statistics(ctx: RequestContext) -> dict[str, Any]:
    return monthly.statistics(ctx.brand_id, ctx.query)
