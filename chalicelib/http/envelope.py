"""JFW's response envelope: {success, statusCode, message, data, errors}."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        # Money leaves the system as a JSON number with the currency's exponent already applied.
        # (Not ``value % 1``: it fails on more digits than the decimal context's 28.)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(body: Any) -> str:
    return json.dumps(body, default=_default, separators=(",", ":"))


def ok(data: Any, status: int = 200, message: str = "OK") -> dict:
    return {"success": True, "statusCode": status, "message": message, "data": data, "errors": []}


def error(status: int, code: str, message: str, correlation_id: str,
          field: str | None = None) -> dict:
    err = {"code": code, "message": message, "correlationId": correlation_id}
    if field:
        err["field"] = field
    return {"success": False, "statusCode": status, "message": message, "data": None,
            "errors": [err]}
