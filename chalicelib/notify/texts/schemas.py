"""Phone-template request bodies (pydantic, JFW field names)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from chalicelib.http.schemas import Body
from chalicelib.notify.phonetemplates import MAX_CONTENT_CHARS


class PhoneTemplateBody(Body):
    languageCode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                   max_length=12)] | None = None
    content: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CONTENT_CHARS)]
    status: Literal["Active", "Inactive"] | None = None
