"""Request bodies of the wallet routes (JFW v6.9.3 names). Unknown fields are ignored."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
