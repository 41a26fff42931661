"""Licensing request bodies (pydantic): licenses (JFW v6.9.3 field names, api-surface.md §11),
devices, license validation, certificates and package files (JFW's names where JFW has them);
unknown fields are ignored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.http.schemas import Body, Name, Text, Url
from chalicelib.licensing.constants import MAX_INLINE_BYTES

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
Tags = Annotated[str, StringConstraints(max_length=1000)]

Currency = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=3)]
LicenseCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=64)]
UserCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
NewLicenseType = Literal["Normal", "Prepaid", "Postpaid", "MailDelivery"]


class LicenseCreateBody(Body):
    packageId: Id
    # Our leniency: without a subscription type the license gives the package with no end.
    subscriptionTypeId: Id | None = None
    code: LicenseCode | None = None
    type: NewLicenseType = "Normal"
    amount: Decimal = Decimal(0)
    currencyCode: Currency
    startDate: datetime
    endDate: datetime
    description: Text | None = None
    tags: Tags | None = None
    testMode: bool = False
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1
    userCode: UserCode | None = None


class LicenseUpdateBody(Body):
    packageId: Id
    subscriptionTypeId: Id | None = None
    amount: Decimal = Decimal(0)
    currencyCode: Currency
    startDate: datetime | None = None
    endDate: datetime | None = None
    description: Text | None = None
    tags: Tags | None = None
    testMode: bool = False


class ApplyToUserBody(Body):
    licenseCode: LicenseCode
    userId: Id


class PurchaseBody(Body):
    returnURL: Url | None = None
    cancelURL: Url | None = None
    packageId: Id
    subscriptionTypeId: Id
    startDate: datetime | None = None
    endDate: datetime | None = None
    testMode: bool = False
    quantity: Annotated[int, Field(ge=1, le=40)] = 1
    appIntegrationId: Annotated[str, StringConstraints(max_length=64)] | None = None  # ours
    # Ours: keep the card (Stripe) for the buyer's renewals once the payment completed.
    saveCardForRenewals: bool = False


class PurchaseByWalletBody(Body):
    """``POST v1/licenses/purchase/wallet?walletId=`` (JFW v6.9.3 IPurchaseToAddLicenses...).
    ``type``, ``code``, ``description`` and ``tags`` are accepted as JFW sends them: the
    licenses bought are Prepaid with generated codes, as bought through a checkout link.
    ``userCode``, when sent, must be the buyer's own code (the wallet pays for its owner)."""

    packageId: Id
    subscriptionTypeId: Id
    type: Literal["Normal", "Refunded", "Prepaid", "Postpaid", "MailDelivery"] | None = None
    code: Annotated[str, StringConstraints(max_length=64)] | None = None
    startDate: datetime | None = None
    endDate: datetime | None = None
    description: Text | None = None
    tags: Tags | None = None
    testMode: bool = False
    quantity: Annotated[int, Field(ge=1, le=40)] = 1
    userCode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class LicenseSettingsBody(Body):
    """Our addition: the brand's licensing policy (constants.DEFAULT_SETTINGS)."""

    licenseDeliveryType: Literal["Direct", "Mail"] | None = None
    licenseChangePolicy: Literal["Replace", "Queue"] | None = None
    licenseGraceDays: Annotated[int, Field(ge=0, le=365)] | None = None
    licenseReminderDays: Annotated[list[Annotated[int, Field(ge=1, le=365)]],
                                   Field(max_length=10)] | None = None
    licenseOnPartialRefund: Literal["Keep", "Revoke"] | None = None


# -- devices, validation, certificates, package files ----------------------------------------------

DeviceType = Literal["ChromeOS", "Desktop", "GoogleSync", "Mobile", "SmartDevice", "Unspecified",
                     "Web"]
DeviceStatus = Literal["Inactive", "Active", "Suspended", "Locked"]

DeviceCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                              pattern=r"^[\x21-\x7e]+$")]
Short = Annotated[str, StringConstraints(max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32,
                                         pattern=r"^\+?[0-9 ()-]{3,32}$")]
Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class DeviceBody(Body):
    type: DeviceType
    code: DeviceCode
    isMobileApp: bool = False
    tags: Tags | None = None
    status: DeviceStatus = "Active"
    isDefault: bool = False
    testMode: bool = False
    name: Name
    phoneNumber: Phone | None = None
    osDevice: Short
    appVersionNumber: Short
    iccid: Short | None = None
    imsi: Short | None = None
    imei: Short | None = None
    simCardInfo: Short | None = None
    countryCode: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                                  pattern=r"^[A-Za-z]{2}$")] | None = None


class DeviceUpdateBody(Body):
    name: Name
    phoneNumber: Phone | None = None
    tags: Tags | None = None
    status: DeviceStatus | None = None


Opaque = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class LinkBody(Body):
    """The SDK's addDeviceToUser body. ``tags`` and ``status`` are accepted and ignored: a link
    is Online once made, and the package's device limit decides who goes Offline."""

    token: Opaque | None = None
    session: Opaque | None = None


PushToken = Annotated[Opaque, StringConstraints(min_length=1)]


class RefreshTokenBody(Body):
    oldToken: PushToken
    newToken: PushToken


class ValidateBody(Body):
    """Identify a license by its code, or a user by an Auth-Key (``userId``, when sent, must
    match it; a caller holding USER.READ may send ``userId`` alone). ``fingerprint`` is Keygen's
    name for the device code and may be sent instead of ``deviceCode``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"licenseCode": "DEMOP1KA1B2C3"}]})

    licenseCode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=64)] | None = None
    userId: Id | None = None
    authKey: Secret | None = None
    deviceCode: DeviceCode | None = None
    fingerprint: DeviceCode | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> ValidateBody:
        if self.licenseCode and (self.userId or self.authKey):
            raise ValueError("send licenseCode, or userId/authKey, not both")
        if not (self.licenseCode or self.userId or self.authKey):
            raise ValueError("send licenseCode, or authKey (and optionally userId)")
        if self.deviceCode and self.fingerprint and self.deviceCode != self.fingerprint:
            raise ValueError("deviceCode and fingerprint name different devices; send one")
        return self

    @property
    def device(self) -> str | None:
        return self.deviceCode or self.fingerprint


class CertificateBody(Body):
    deviceCode: DeviceCode | None = None


FileName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                            pattern=r"^[^/\\\x00-\x1f]+$")]
ContentType = Annotated[str, StringConstraints(
    strip_whitespace=True, max_length=200,
    pattern=r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$")]


class PackageFileBody(Body):
    """``contentBase64`` uploads a small file in the request; without it the reply carries a
    presigned PUT ``uploadUrl`` for the file's bytes (15 minutes)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"fileName": "guide.pdf", "contentType": "application/pdf",
         "contentBase64": "JVBERi0xLjQK"}]})

    fileName: FileName
    contentType: ContentType
    contentBase64: Annotated[str, StringConstraints(max_length=MAX_INLINE_BYTES * 4 // 3 + 4)] \
        | None = Field(None, description="Base64 of the file (at most 180 KiB); leave out to "
                                         "get a presigned upload URL instead.")
