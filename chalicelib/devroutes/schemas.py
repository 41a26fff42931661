"""Request bodies of the dev-only routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.http.schemas import Body


class DevClockBody(Body):
    offsetSeconds: Annotated[int, Field(ge=-10 * 366 * 86400, le=10 * 366 * 86400)]
