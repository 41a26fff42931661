"""Brand request bodies (JFW v6.9.3 field names). Unknown fields are ignored; for the PUTs, a
field left out keeps its value and a field sent as null clears it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    EmailStr,
    Field,
    StringConstraints,
    field_serializer,
)

from chalicelib.identity.brands import check_host
from chalicelib.identity.schemas import Body, Name, Percent, Text, Url

Host = Annotated[str, StringConstraints(max_length=253), AfterValidator(check_host)]
Abbr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20,
                                        pattern=r"^[A-Za-z0-9_-]+$")]
Tags = Annotated[str, StringConstraints(max_length=200)]
Short = Annotated[str, StringConstraints(max_length=200)]
Color = Annotated[str, StringConstraints(
    strip_whitespace=True, max_length=40,
    pattern=r"^(#[0-9A-Fa-f]{3,8}|(rgb|hsl)a?\([0-9.,%\sdeg]+\)|[A-Za-z]{3,30})$")]
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                                pattern=r"^[A-Za-z]{3}$")]
TaxRate = Percent
PasswordPolicyLevel = Literal["Low", "Medium", "High"]
DomainType = Literal["CPanel", "Admin", "Client", "Protocol", "Documentation"]


class NewBrandSetting(Body):
    domain: Host


class NewBrandProfile(Body):
    # POST sends logoUrl/faviconUrl; IBrand and PUT .../profile say logoURL/faviconURL.
    logoURL: Url | None = Field(None, validation_alias=AliasChoices("logoURL", "logoUrl"))
    faviconURL: Url | None = Field(None, validation_alias=AliasChoices("faviconURL", "faviconUrl"))
    slogan: Short | None = None


class BrandCreateBody(Body):
    name: Name
    abbr: Abbr
    description: Text | None = None
    tags: Tags | None = None
    setting: NewBrandSetting
    profile: NewBrandProfile | None = None
    parentId: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class BrandUpdateBody(Body):
    name: Name
    abbr: Abbr
    description: Text | None = None
    tags: Tags | None = None


class BrandSettingBody(Body):
    domainWhiteListURLs: Text | None = None
    googleAnalyticsAccount: Short | None = None
    reCaptchaKey: Short | None = None
    coinCurrencyCode: CurrencyCode | None = None
    cdnURL: Url | None = None
    cdnFolder: Short | None = None
    passwordPolicyLevel: PasswordPolicyLevel | None = None
    systemEmail: EmailStr | None = None
    systemEmailTitle: Name | None = None
    emailSupport: EmailStr | None = None
    emailSupportTitle: Name | None = None
    # Our addition: the tax rate quotes apply, in percent (0-100, up to 4 decimals). Stored as a
    # string so the decimal survives DynamoDB's map attribute exactly.
    taxRate: TaxRate | None = None

    @field_serializer("taxRate")
    def _tax_rate_as_text(self, v: Decimal | None) -> str | None:
        return None if v is None else str(v)


class BrandProfileBody(Body):
    slogan: Short | None
    logoURL: Url | None = Field(None, validation_alias=AliasChoices("logoURL", "logoUrl"))
    faviconURL: Url | None = Field(None, validation_alias=AliasChoices("faviconURL", "faviconUrl"))
    primaryColor: Color | None = None
    primaryColorHover: Color | None = None
    secondaryColor: Color | None = None
    tertiaryColor: Color | None = None


class DomainBody(Body):
    domain: Host
    type: DomainType = "Client"
