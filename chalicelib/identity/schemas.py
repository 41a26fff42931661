"""Identity request bodies (pydantic), JFW v6.9.3 field names: registration and login, password
recovery, user / role / permission administration, brands. Unknown fields are ignored, as JFW
clients send extras; for the brand PUTs, a field left out keeps its value and a field sent as
null clears it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from email_validator import validate_email
from pydantic import (
    AfterValidator,
    AliasChoices,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_serializer,
)

from chalicelib import settings
from chalicelib.http.schemas import Body, Name, Percent, Text, Url
from chalicelib.identity.brands import check_host
from chalicelib.notify import service as notify

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64,
                                            pattern=r"^[A-Za-z0-9._@+-]+$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]


# -- registration and login ---------------------------------------------------------------------

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


# -- password recovery --------------------------------------------------------------------------

Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Link = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ForgotPasswordBody(Body):
    emailAddress: EmailStr
    resetPasswordLink: Link


class ResetPasswordBody(Body):
    emailAddress: EmailStr
    token: Token
    newPassword: Password


class ChangePasswordBody(Body):
    oldPassword: Password
    newPassword: Password
    confirmPassword: Password


# -- user, role and permission administration ----------------------------------------------

Short = Annotated[str, StringConstraints(max_length=1000)]
Tags = Annotated[str, StringConstraints(max_length=500)]
Phone = Annotated[str, StringConstraints(max_length=17, pattern=r"^\+?[0-9]{6,16}$")]
LanguageCode = Annotated[str, StringConstraints(max_length=16,
                                                pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
TimeZoneId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# An id in a body: a built-in code (``USER.READ``, ``ADMIN``) or a generated id.
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
RoleCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
# RESOURCE.ACTION, as JFW's USER.READ; stored upper-case.
PermissionCode = Annotated[str, StringConstraints(
    strip_whitespace=True, min_length=3, max_length=64,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)+$")]
ResourceTypeId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=64)]


class UpdateUserBody(Body):
    """PUT v1/users/{id}: a field left out keeps its value; ``null`` clears it. Other fields are
    kept aside (``model_extra``): a user editing their own profile may not change the
    privileged ones (user_admin.NOT_OWNER_EDITABLE)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    username: Username
    emailAddress: EmailStr | None = None
    nickName: Name | None = None
    firstName: Name | None = None
    lastName: Name | None = None
    languageCode: LanguageCode | None = None
    timeZoneId: TimeZoneId | None = None
    phoneNumber: Phone | None = None
    phoneNumber1: Phone | None = None
    avatar: Url | None = None
    bio: Short | None = None
    website: Url | None = None


class AdminSetPasswordBody(Body):
    newPassword: Password
    confirmPassword: Password


class RoleBody(Body):
    code: RoleCode
    name: Name
    description: Short | None = None
    tags: Tags | None = None


class PermissionBody(Body):
    resourceTypeId: ResourceTypeId
    code: PermissionCode
    name: Name
    description: Short | None = None
    tags: Tags | None = None


# At most 50 per call: each one is a write in the same DynamoDB transaction (limit 100).
class PermissionIdsBody(Body):
    permissionIds: Annotated[list[Ref], Field(min_length=1, max_length=50)]


class RoleIdsBody(Body):
    roleIds: Annotated[list[Ref], Field(min_length=1, max_length=50)]


class UserIdsBody(Body):
    userIds: Annotated[list[Ref], Field(min_length=1, max_length=50)]


# -- brands ------------------------------------------------------------------------------------

def check_address(value: str) -> str:
    """An e-mail address (normalised); the local stages also take ``name@<host>.localhost``,
    the local stack's own senders, which email-validator refuses as a reserved name."""
    local, _, host = value.strip().rpartition("@")
    if local and settings.get().is_local and notify.is_local_host(host):
        validate_email(f"{local}@example.com", check_deliverability=False)  # the local part
        return f"{local}@{check_host(host)}"
    return validate_email(value, check_deliverability=False).normalized


Host = Annotated[str, StringConstraints(max_length=253), AfterValidator(check_host)]
Address = Annotated[str, StringConstraints(max_length=254), AfterValidator(check_address)]
Abbr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20,
                                        pattern=r"^[A-Za-z0-9_-]+$")]
BrandTags = Annotated[str, StringConstraints(max_length=200)]
BrandShort = Annotated[str, StringConstraints(max_length=200)]
Color = Annotated[str, StringConstraints(
    strip_whitespace=True, max_length=40,
    pattern=r"^(#[0-9A-Fa-f]{3,8}|(rgb|hsl)a?\([0-9.,%\sdeg]+\)|[A-Za-z]{3,30})$")]
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                                pattern=r"^[A-Za-z]{3}$")]
TaxRate = Percent
VelocityThreshold = Annotated[int, Field(ge=0, le=1000)]
# Literal text around one {number} or {number:0Nd} (N 1-12): "INV-{number:06d}". The same
# pattern as invoicing/numbering.py FORMAT (identity imports no invoicing).
NumberFormat = Annotated[str, StringConstraints(
    pattern=r"^[A-Za-z0-9 ._/#-]{0,20}\{number(:0([1-9]|1[0-2])d)?\}[A-Za-z0-9 ._/#-]{0,20}$")]
PasswordPolicyLevel = Literal["Low", "Medium", "High"]
DomainType = Literal["CPanel", "Admin", "Client", "Protocol", "Documentation"]


class NewBrandSetting(Body):
    domain: Host


class NewBrandProfile(Body):
    # POST sends logoUrl/faviconUrl; IBrand and PUT .../profile say logoURL/faviconURL.
    logoURL: Url | None = Field(None, validation_alias=AliasChoices("logoURL", "logoUrl"))
    faviconURL: Url | None = Field(None, validation_alias=AliasChoices("faviconURL", "faviconUrl"))
    slogan: BrandShort | None = None


class BrandCreateBody(Body):
    name: Name
    abbr: Abbr
    description: Text | None = None
    tags: BrandTags | None = None
    setting: NewBrandSetting
    profile: NewBrandProfile | None = None
    parentId: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class BrandUpdateBody(Body):
    name: Name
    abbr: Abbr
    description: Text | None = None
    tags: BrandTags | None = None


class BrandSettingBody(Body):
    domainWhiteListURLs: Text | None = None
    googleAnalyticsAccount: BrandShort | None = None
    reCaptchaKey: BrandShort | None = None
    coinCurrencyCode: CurrencyCode | None = None
    cdnURL: Url | None = None
    cdnFolder: BrandShort | None = None
    passwordPolicyLevel: PasswordPolicyLevel | None = None
    systemEmail: Address | None = None
    systemEmailTitle: Name | None = None
    emailSupport: Address | None = None
    emailSupportTitle: Name | None = None
    # Our addition: the tax rate quotes apply, in percent (0-100, up to 4 decimals). Stored as a
    # string so the decimal survives DynamoDB's map attribute exactly.
    taxRate: TaxRate | None = None
    # Also ours (payments/checkout/risk.py): a buyer's payments started in the last hour that
    # make the next one Medium / High risk; 0 turns that level's rule off.
    riskVelocityMedium: VelocityThreshold | None = None
    riskVelocityHigh: VelocityThreshold | None = None
    # Also ours (invoicing/numbering.py): how invoice and credit-note numbers print.
    invoiceNumberFormat: NumberFormat | None = None
    creditNoteNumberFormat: NumberFormat | None = None
    # Also ours (notify/templates.py): the language of the brand's mails when it has no
    # template in the user's language (before the built-in English default).
    languageCode: LanguageCode | None = None

    @field_serializer("taxRate")
    def _tax_rate_as_text(self, v: Decimal | None) -> str | None:
        return None if v is None else str(v)


class BrandProfileBody(Body):
    slogan: BrandShort | None
    logoURL: Url | None = Field(None, validation_alias=AliasChoices("logoURL", "logoUrl"))
    faviconURL: Url | None = Field(None, validation_alias=AliasChoices("faviconURL", "faviconUrl"))
    primaryColor: Color | None = None
    primaryColorHover: Color | None = None
    secondaryColor: Color | None = None
    tertiaryColor: Color | None = None


class DomainBody(Body):
    domain: Host
    type: DomainType = "Client"


class PhoneCodeBody(Body):
    """The code texted by ``POST v1/users/me/phone-number/verification``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "123456"}]})
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]
