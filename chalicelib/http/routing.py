"""Route definitions as data.

Each bounded context lists its routes in ``routes.py`` as ``Route`` values; one table then
serves four readers: the Chalice app (registration), the dispatcher (auth, permission, input
validation), the OpenAPI document, and the tests that walk every route (tenant isolation, bad
input). Handlers and body schemas are named as "module:attr" strings and imported on first use,
so importing the app stays as cheap as a bare Chalice app (ARCHITECTURE.md, "Cold start").
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any, Literal, NamedTuple

from chalicelib.lasting import lasting

Auth = Literal["none", "user", "optional"]
# What ``data`` holds in a JSON reply ("array": of objects, "strings": of strings), or, for a
# handler that answers its own Response: "raw" (JSON without the envelope), "html" (a page; its
# own errors are pages too), "csv" (a text/csv file), "redirect" (a 302 with Location), "pdf"
# (a PDF file's bytes: see BINARY_TYPES), "asset" (a script or stylesheet of the docs page),
# "empty" (no body: a 204).
Returns = Literal["object", "array", "strings", "page", "boolean", "string", "number", "raw",
                  "html", "csv", "redirect", "pdf", "asset", "empty"]
# Replies that are bytes, by ``returns``: their media type is an API binary type (base64 through
# API Gateway; http/dispatch.register), and the request must accept it (else a 406).
BINARY_TYPES = {"pdf": "application/pdf"}


# NamedTuple, not a frozen dataclass: every Lambda builds the whole route table at import, and
# dataclass creation costs milliseconds there (bench/coldstart.py).
class Q(NamedTuple):
    """A query-string parameter."""

    name: str
    type: Literal["string", "integer", "boolean", "date-time", "array", "number"] = "string"
    enum: tuple[str, ...] | None = None
    required: bool = False
    description: str = ""


PAGING: tuple[Q, ...] = (
    Q("pageNumber", "integer", description="Zero-based page index (default 0)."),
    Q("pageSize", "integer", description="Items per page, 1-1000 (default 200)."),
    Q("sortDataField", description="Field to sort by (default createdDate)."),
    Q("sortOrder", enum=("asc", "desc"), description="Default desc."),
    Q("keywords", description="Case-insensitive text search."),
)


class Route(NamedTuple):
    method: str
    path: str
    handler: str
    summary: str
    auth: Auth = "user"
    brand: bool = True
    permission: str | None = None
    body: str | None = None
    query: tuple[Q, ...] = ()
    returns: Returns = "object"
    stages: tuple[str, ...] | None = None
    tag: str = ""
    status: int = 200
    # Runs under the Idempotency-Key header (store/idempotency.py): documented with it, and 409.
    idempotent: bool = False
    # Statuses the handler answers besides those the pipeline's checks imply (http/openapi.py
    # derives 400/401/403/404/409/413/415 from the fields above): e.g. 429 of a rate limit, 401
    # of a wrong password, 502/503 of a payment gateway, 410 of a used-up link.
    answers: tuple[int, ...] = ()

    @property
    def path_params(self) -> list[str]:
        return [p.strip("{}+") for p in self.path.split("/") if p.startswith("{")]

    def enabled_in(self, stage: str) -> bool:
        return self.stages is None or stage in self.stages


@cache
def resolve(ref: str) -> Any:
    """Import "package.module:attr" once (deployed: out of the collector's way, lasting.py)."""
    module, _, attr = ref.partition(":")
    with lasting():
        return getattr(importlib.import_module(module), attr)
