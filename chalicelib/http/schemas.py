"""The request-body base and field types every context's ``schemas.py`` shares (pydantic).

Field names are JFW's; unknown fields are ignored, as JFW clients send extras.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Url = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")]
# A percent (tax rate, coupon, commission): 0-100 with up to 4 decimals, exact. Amounts of money
# are plain ``Decimal`` fields: their rule needs the currency (money.to_minor).
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)
