"""Request bodies (pydantic). Field names are JFW's; unknown fields are ignored, as JFW clients
send extras."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64,
                                            pattern=r"^[A-Za-z0-9._@+-]+$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Url = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")]
# A percent (tax rate, coupon, commission): 0-100 with up to 4 decimals, exact. Amounts of money
# are plain ``Decimal`` fields: their rule needs the currency (money.to_minor).
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class RegisterBody(Body):
    username: Username | None = None
    phoneNumber: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{6,16}$")] | None = None
    password: Password
    emailAddress: EmailStr | None = None
    firstName: Name | None = None
    lastName: Name | None = None
    nickName: Name | None = None
    referralCode: Annotated[str, StringConstraints(max_length=32)] | None = None
    timeZoneId: Annotated[str, StringConstraints(max_length=64)] | None = None


class AuthBody(Body):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=254)]
    password: Password


UserType = Literal["EndUser", "Partner", "Admin", "SuperAdmin"]
