"""Catalog request bodies (pydantic), JFW v6.9.3 field names; unknown fields are ignored.

Array bodies are ``RootModel`` lists marked ``__jfw_list__`` (the dispatcher then treats an empty
body as ``[]``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import Field, RootModel, StringConstraints

from chalicelib.http.schemas import Body, Name, Text, Url

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
Tags = Annotated[str, StringConstraints(max_length=1000)]
Short = Annotated[str, StringConstraints(max_length=100)]
ZOrder = Annotated[int, Field(ge=-(2 ** 53), le=2 ** 53)]
Status = Literal["Inactive", "Active"]
FeatureType = Literal["Function", "Limitation"]
ResetPolicy = Literal["Lifetime", "Daily", "Weekly", "Monthly", "Yearly", "Custom"]
Unit = Literal["Hour", "Day", "Week", "Month", "Year"]


class PackageBody(Body):
    code: Code
    name: Name
    imageURL: Url | None = None
    patternAvatarURL: Url | None = None
    styles: Text | None = None
    description: Text | None = None
    tags: Tags | None = None
    zOrder: ZOrder = 1
    isDefault: bool = False
    status: Status = "Active"
    # IPackage fields JFW's body does not list; accepted so a brand can set them.
    isFree: bool = False
    tier: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class FeatureBody(Body):
    eventId: Id | None = None
    code: Code
    name: Name
    unit: Short | None = None
    defaultValue: Annotated[int, Field(ge=-1, le=2 ** 31 - 1)] = 0
    helpURL: Url | None = None
    image: Url | None = None
    styles: Text | None = None
    description: Text | None = None
    tags: Tags | None = None
    notes: Text | None = None
    zOrder: ZOrder = 1
    status: Status = "Active"


class FeatureLinkBody(Body):
    """How a package grants a feature (PUT v1/packages/{packageId}/features/{featureId})."""

    type: FeatureType
    title: Name | None = None
    value: Annotated[int, Field(ge=-1, le=2 ** 31 - 1)] | None = None
    isUnlimited: bool | None = None
    resetPolicy: ResetPolicy | None = None
    customIntervalDays: Annotated[int, Field(ge=1, le=36500)] | None = None


class PackageFeatureBody(FeatureLinkBody):
    featureId: Id


class FeaturePackageBody(FeatureLinkBody):
    packageId: Id


class PackageFeaturesBody(RootModel[list[PackageFeatureBody]]):
    __jfw_list__: ClassVar[bool] = True


class FeaturePackagesBody(RootModel[list[FeaturePackageBody]]):
    __jfw_list__: ClassVar[bool] = True


class SubscriptionTypeBody(Body):
    name: Name
    unit: Unit
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    tags: Tags | None = None
    zOrder: ZOrder = 1
    status: Status = "Active"
    isDefault: bool = False
    description: Text | None = None


class PriceBody(Body):
    packageId: Id
    subscriptionTypeId: Id | None = None
    code: Code
    name: Name
    amount: Decimal
    currency: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                               max_length=3)]
    checkoutLink: Url | None = None
    description: Text | None = None
    tags: Tags | None = None
    zOrder: ZOrder = 1
    # Our addition (JFW's Pricing Flow): Subscription | OneTime; "Usage" is reserved.
    pricingModel: Annotated[str, StringConstraints(max_length=32)] | None = None
