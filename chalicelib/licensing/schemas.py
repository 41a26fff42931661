"""Licensing request bodies (pydantic), JFW v6.9.3 field names (api-surface.md §11); unknown
fields are ignored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.catalog.schemas import Id, Tags
from chalicelib.http.schemas import Body, Text, Url

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


class LicenseSettingsBody(Body):
    """Our addition: the brand's licensing policy (constants.DEFAULT_SETTINGS)."""

    licenseDeliveryType: Literal["Direct", "Mail"] | None = None
    licenseChangePolicy: Literal["Replace", "Queue"] | None = None
    licenseGraceDays: Annotated[int, Field(ge=0, le=365)] | None = None
    licenseReminderDays: Annotated[list[Annotated[int, Field(ge=1, le=365)]],
                                   Field(max_length=10)] | None = None
    licenseOnPartialRefund: Literal["Keep", "Revoke"] | None = None


class DevClockBody(Body):
    offsetSeconds: Annotated[int, Field(ge=-10 * 366 * 86400, le=10 * 366 * 86400)]
