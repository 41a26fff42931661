"""Brand request bodies (JFW v6.9.3 field names). Unknown fields are ignored; for the PUTs, a
field left out keeps its value and a field sent as null clears it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from email_validator import validate_email
from pydantic import (
    AfterValidator,
    AliasChoices,
    Field,
    StringConstraints,
    field_serializer,
)

from chalicelib import settings
from chalicelib.identity.brands import check_host, is_local_host
from chalicelib.identity.schemas import Body, Name, Percent, Text, Url


def check_address(value: str) -> str:
    """An e-mail address (normalised); the local stages also take ``name@<host>.localhost``,
    the local stack's own senders, which email-validator refuses as a reserved name."""
    local, _, host = value.strip().rpartition("@")
    if local and settings.get().is_local and is_local_host(host):
        validate_email(f"{local}@example.com", check_deliverability=False)  # the local part
        return f"{local}@{check_host(host)}"
    return validate_email(value, check_deliverability=False).normalized


Host = Annotated[str, StringConstraints(max_length=253), AfterValidator(check_host)]
Address = Annotated[str, StringConstraints(max_length=254), AfterValidator(check_address)]
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
VelocityThreshold = Annotated[int, Field(ge=0, le=1000)]
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
    systemEmail: Address | None = None
    systemEmailTitle: Name | None = None
    emailSupport: Address | None = None
    emailSupportTitle: Name | None = None
    # Our addition: the tax rate quotes apply, in percent (0-100, up to 4 decimals). Stored as a
    # string so the decimal survives DynamoDB's map attribute exactly.
    taxRate: TaxRate | None = None
    # Also ours (payments/risk.py): a buyer's payments started in the last hour that make the
    # next one Medium / High risk; 0 turns that level's rule off.
    riskVelocityMedium: VelocityThreshold | None = None
    riskVelocityHigh: VelocityThreshold | None = None

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
