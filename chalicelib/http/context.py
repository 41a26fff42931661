"""What a handler gets: the resolved brand, the caller, validated input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Caller:
    """The authenticated user behind an Auth-Key."""

    user_id: str
    brand_id: str
    user_type: str
    username: str | None
    session_id: str
    is_platform_admin: bool
    role_ids: list[str] = field(default_factory=list)
    permissions: frozenset[str] | None = None  # filled in lazily by the access check


@dataclass
class RequestContext:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, Any]
    raw_body: bytes
    correlation_id: str
    source_ip: str | None = None
    brand: dict | None = None
    caller: Caller | None = None
    body: Any = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def brand_id(self) -> str:
        assert self.brand is not None
        return self.brand["id"]
