"""Licensing items, all in the ``licensing`` table (licensing-contract.md is the source).

Access patterns (pk / sk):
- license ............... ``B#<b>#LIC#<id>`` / ``LICENSE``; a brand's licenses: gsi1
                          ``B#<b>#LICENSES`` / ``<created>#<id>``; sparse ``due`` index while it
                          has an end date and is not Expired/Used/Inactive: duePk ``LICDUE#<n>``,
                          dueSk ``<endDate>#L#<b>#<id>``
- license code .......... ``B#<b>#LICCODE#<CODE>`` / ``UNIQUE`` -> licenseId (unique per brand)
- fulfilment ............ ``B#<b>#LICPAY#<paymentId>`` / ``FULFILMENT`` (a payment fulfilled once)
- subscription .......... ``B#<b>#U#<userId>`` / ``SUBSCRIPTION``: the user's package, expiry,
                          version; duePk ``LICDUE#<n>``, dueSk ``<next due>#S#<b>#<userId>``
                          (next reminder, expiry or end of grace); mirrored onto the identity
                          UserItem (packageId, expiryDate) in the same transaction
- reminder marker ....... ``B#<b>#U#<userId>`` / ``REMINDER#<expiry iso>#<offset days>``
- device ................ ``B#<b>#DEV#<id>`` / ``DEVICE``;
                          gsi1 ``B#<b>#DEVICES`` / ``<created>#<id>``
- device code ........... ``B#<b>#DEVCODE#<code>`` / ``UNIQUE`` -> deviceId
- user-device link ...... ``B#<b>#U#<userId>#DEVICES`` / ``DEV#<deviceId>``
- device-limit head ..... ``B#<b>#U#<userId>#DEVICES`` / ``HEAD`` (version counter)
- signing key ........... ``B#<b>#SIGNKEY`` / ``CURRENT`` (Ed25519; private key sealed)
- package file .......... ``B#<b>#PKGFILE#<packageId>`` / ``FILE#<id>``
- download grant ........ ``B#<b>#DLGRANT#<sha256(token)>`` / ``GRANT``; a user's grants: gsi1
                          ``B#<b>#U#<userId>#DLGRANTS`` / ``<created>#<digest>``
- a payment's grants .... ``B#<b>#DLPAY#<paymentId>`` / ``GRANTS`` (granted once; revoked on refund)

Every record carries a ``kind`` discriminator, so one Query (of the ``due`` index, or of a user's
partition) returns typed items. Money is integer minor units plus the ISO 4217 currency.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.identity import service as identity
from chalicelib.store.base import BaseModel, DueIndex, Gsi1, table_meta
from chalicelib.store.ids import stamp

user_pk = identity.user_pk  # the user partition, as identity keys it

Meta = table_meta("licensing")

DUE_SHARDS = 8
DUE_PREFIX = "LICDUE#"

LICENSE_SK = "LICENSE"
UNIQUE_SK = "UNIQUE"
FULFILMENT_SK = "FULFILMENT"
SUBSCRIPTION_SK = "SUBSCRIPTION"
REMINDER_PREFIX = "REMINDER#"
DEVICE_SK = "DEVICE"
USER_DEVICE_PREFIX = "DEV#"
HEAD_SK = "HEAD"
SIGNKEY_SK = "CURRENT"
FILE_PREFIX = "FILE#"
GRANT_SK = "GRANT"

# LicenseStatus / LicenseType (api-surface §21, exact wire values).
# (constants.py lists them for the routes and GET v1/constants/license/...)
NOT_STARTED, INACTIVE, ACTIVE, EXPIRED, USED = "NotStarted", "Inactive", "Active", "Expired", "Used"
NORMAL, REFUNDED, PREPAID, POSTPAID, MAIL_DELIVERY = (
    "Normal", "Refunded", "Prepaid", "Postpaid", "MailDelivery")


# -- keys ----------------------------------------------------------------------------------------

def license_pk(brand_id: str, license_id: str) -> str:
    return f"B#{brand_id}#LIC#{license_id}"


def licenses_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#LICENSES"


def license_code_pk(brand_id: str, code: str) -> str:
    return f"B#{brand_id}#LICCODE#{code.upper()}"


def fulfilment_pk(brand_id: str, payment_id: str) -> str:
    return f"B#{brand_id}#LICPAY#{payment_id}"


def reminder_sk(expiry: datetime, offset_days: int) -> str:
    return f"{REMINDER_PREFIX}{stamp(expiry)}#{offset_days}"


def device_pk(brand_id: str, device_id: str) -> str:
    return f"B#{brand_id}#DEV#{device_id}"


def devices_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#DEVICES"


def device_code_pk(brand_id: str, code: str) -> str:
    return f"B#{brand_id}#DEVCODE#{code}"


def user_devices_pk(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#U#{user_id}#DEVICES"


def user_device_sk(device_id: str) -> str:
    return f"{USER_DEVICE_PREFIX}{device_id}"


def signkey_pk(brand_id: str) -> str:
    return f"B#{brand_id}#SIGNKEY"


def package_file_pk(brand_id: str, package_id: str) -> str:
    return f"B#{brand_id}#PKGFILE#{package_id}"


def package_file_sk(file_id: str) -> str:
    return f"{FILE_PREFIX}{file_id}"


def grant_pk(brand_id: str, token_digest: str) -> str:
    return f"B#{brand_id}#DLGRANT#{token_digest}"


def due_shard(key: str) -> str:
    return f"{DUE_PREFIX}{zlib.crc32(key.encode()) % DUE_SHARDS}"


def due_shards() -> list[str]:
    return [f"{DUE_PREFIX}{n}" for n in range(DUE_SHARDS)]


def license_due_sk(moment: datetime, brand_id: str, license_id: str) -> str:
    return f"{stamp(moment)}#L#{brand_id}#{license_id}"


def subscription_due_sk(moment: datetime, brand_id: str, user_id: str) -> str:
    return f"{stamp(moment)}#S#{brand_id}#{user_id}"


# -- records -------------------------------------------------------------------------------------

class LicensingRecord(BaseModel):
    """Base of every licensing item; queries of it return the stored subclass."""

    Meta = Meta
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    due_pk = UnicodeAttribute(attr_name="duePk", null=True)
    due_sk = UnicodeAttribute(attr_name="dueSk", null=True)
    due = DueIndex()


class LicenseItem(LicensingRecord, discriminator="LICENSE"):
    """ILicense. ``status`` stores Inactive / Used / Expired / Active; NotStarted and Expired are
    also derived from the dates when read (licenses.effective_status)."""

    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    code = UnicodeAttribute()
    package_id = UnicodeAttribute(attr_name="packageId")
    subscription_type_id = UnicodeAttribute(attr_name="subscriptionTypeId", null=True)
    type = UnicodeAttribute(default=NORMAL)
    status = UnicodeAttribute(default=ACTIVE)
    amount_minor = NumberAttribute(attr_name="amountMinor", default=0)
    currency = UnicodeAttribute(attr_name="currencyCode", default="USD")
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    start_date = UTCDateTimeAttribute(attr_name="startDate", null=True)
    end_date = UTCDateTimeAttribute(attr_name="endDate", null=True)
    # Length of the entitlement once applied; None = one-time purchase (no end).
    duration = JSONAttribute(null=True)  # {"unit": "Month", "quantity": 1} from the subtype
    used_by_user_id = UnicodeAttribute(attr_name="usedByUserId", null=True)
    used_by_user_code = UnicodeAttribute(attr_name="usedByUserCode", null=True)
    used_date = UTCDateTimeAttribute(attr_name="usedDate", null=True)
    assigned_user_id = UnicodeAttribute(attr_name="assignedUserId", null=True)  # buyer (Prepaid)
    source = UnicodeAttribute(default="Manual")  # Manual | Payment | Purchase | Wallet
    source_id = UnicodeAttribute(attr_name="sourceId", null=True)  # e.g. the payment id
    payment_id = UnicodeAttribute(attr_name="paymentId", null=True)
    ref_license = UnicodeAttribute(attr_name="refLicense", null=True)
    created_by = UnicodeAttribute(attr_name="createdBy", null=True)  # user code
    # What a refund or dispute took (fulfilment.revoke_license): the license's type, status and
    # due entry before, and its holder's subscription before and the version it left, so a
    # dispute won later gives back exactly that.
    revoked_from = JSONAttribute(attr_name="revokedFrom", null=True)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    version = NumberAttribute(default=0)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class LicenseCodeItem(LicensingRecord, discriminator="LICCODE"):
    license_id = UnicodeAttribute(attr_name="licenseId")


class FulfilmentItem(LicensingRecord, discriminator="FULFILMENT"):
    """Written with a not-exists condition in the same transaction as the licenses it issued."""

    payment_id = UnicodeAttribute(attr_name="paymentId")
    user_id = UnicodeAttribute(attr_name="userId", null=True)
    license_ids = ListAttribute(attr_name="licenseIds", of=UnicodeAttribute, default=list)
    delivery = UnicodeAttribute(default="Direct")  # Direct | Mail | Prepaid
    status = UnicodeAttribute(default="Issued")  # Issued | Revoked
    downloads_granted = BooleanAttribute(attr_name="downloadsGranted", default=False)
    version = NumberAttribute(default=0)
    # The ClientRequestToken of the transaction that wrote it (store/tx.py ``is_own``).
    write_id = UnicodeAttribute(attr_name="writeId", null=True)
    # The newest payment version acted on (payment events carry it): an older event that
    # arrives late changes nothing.
    payment_version = NumberAttribute(attr_name="paymentVersion", null=True)
    # What happened to it: [{"at", "action": Issued | Revoked | Restored, "status", "eventId"}].
    history = JSONAttribute(default=list)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    revoked_date = UTCDateTimeAttribute(attr_name="revokedDate", null=True)


class SubscriptionItem(LicensingRecord, discriminator="SUBSCRIPTION"):
    """The user's current entitlement. Every change is conditioned on ``version``."""

    user_id = UnicodeAttribute(attr_name="userId")
    brand_id = UnicodeAttribute(attr_name="brandId")
    package_id = UnicodeAttribute(attr_name="packageId", null=True)
    expiry_date = UTCDateTimeAttribute(attr_name="expiryDate", null=True)
    license_id = UnicodeAttribute(attr_name="licenseId", null=True)
    # The licenses whose time adds up to expiryDate (one, plus each same-package extension).
    license_ids = ListAttribute(attr_name="licenseIds", of=UnicodeAttribute, default=list)
    status = UnicodeAttribute(default=ACTIVE)  # Active | Grace | Expired
    # Queue policy: the license that starts when the current one ends.
    queued_license_id = UnicodeAttribute(attr_name="queuedLicenseId", null=True)
    queued_package_id = UnicodeAttribute(attr_name="queuedPackageId", null=True)
    queued_duration = JSONAttribute(attr_name="queuedDuration", null=True)
    queued_one_time = BooleanAttribute(attr_name="queuedOneTime", null=True)
    version = NumberAttribute(default=0)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class ReminderItem(LicensingRecord, discriminator="REMINDER"):
    user_id = UnicodeAttribute(attr_name="userId")
    offset_days = NumberAttribute(attr_name="offsetDays")
    expiry_date = UTCDateTimeAttribute(attr_name="expiryDate")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class DeviceItem(LicensingRecord, discriminator="DEVICE"):
    """IDevice."""

    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    type = UnicodeAttribute(default="Unspecified")
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    is_mobile_app = BooleanAttribute(attr_name="isMobileApp", default=False)
    tags = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="Active")
    is_default = BooleanAttribute(attr_name="isDefault", default=False)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    phone_number = UnicodeAttribute(attr_name="phoneNumber", null=True)
    os_device = UnicodeAttribute(attr_name="osDevice", null=True)
    app_version_number = UnicodeAttribute(attr_name="appVersionNumber", null=True)
    iccid = UnicodeAttribute(null=True)
    imsi = UnicodeAttribute(null=True)
    imei = UnicodeAttribute(null=True)
    sim_card_info = UnicodeAttribute(attr_name="simCardInfo", null=True)
    country_code = UnicodeAttribute(attr_name="countryCode", null=True)
    owner_user_id = UnicodeAttribute(attr_name="ownerUserId", null=True)
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    version = NumberAttribute(default=0)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class DeviceCodeItem(LicensingRecord, discriminator="DEVCODE"):
    device_id = UnicodeAttribute(attr_name="deviceId")


class UserDeviceItem(LicensingRecord, discriminator="USERDEVICE"):
    """A user's use of a device (IDeviceUser's extra fields)."""

    user_id = UnicodeAttribute(attr_name="userId")
    device_id = UnicodeAttribute(attr_name="deviceId")
    status = UnicodeAttribute(default="Online")  # UserDeviceStatus: Online | Offline | Deleted
    last_access_at = UTCDateTimeAttribute(attr_name="lastAccessAt", null=True)
    token = UnicodeAttribute(null=True)
    session = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class UserDevicesHeadItem(LicensingRecord, discriminator="USERDEVICEHEAD"):
    """Bumped by every change to a user's device set: the limit check is conditioned on it."""

    user_id = UnicodeAttribute(attr_name="userId")
    version = NumberAttribute(default=0)
    online_count = NumberAttribute(attr_name="onlineCount", default=0)


class SigningKeyItem(LicensingRecord, discriminator="SIGNKEY"):
    brand_id = UnicodeAttribute(attr_name="brandId")
    key_id = UnicodeAttribute(attr_name="keyId")
    algorithm = UnicodeAttribute(default="Ed25519")
    public_key = UnicodeAttribute(attr_name="publicKey")  # base64 raw 32 bytes
    private_key_sealed = UnicodeAttribute(attr_name="privateKeySealed")  # store/secrets.py
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class PackageFileItem(LicensingRecord, discriminator="PKGFILE"):
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    package_id = UnicodeAttribute(attr_name="packageId")
    name = UnicodeAttribute()
    s3_key = UnicodeAttribute(attr_name="s3Key")
    content_type = UnicodeAttribute(attr_name="contentType", null=True)
    size = NumberAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    # downloads.py (devices helper): Pending until the presigned upload lands; soft-deleted.
    status = UnicodeAttribute(default="Uploaded")  # Pending | Uploaded
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class DownloadGrantItem(LicensingRecord, discriminator="DLGRANT"):
    brand_id = UnicodeAttribute(attr_name="brandId")
    file_id = UnicodeAttribute(attr_name="fileId")
    package_id = UnicodeAttribute(attr_name="packageId")
    user_id = UnicodeAttribute(attr_name="userId", null=True)
    payment_id = UnicodeAttribute(attr_name="paymentId", null=True)
    remaining = NumberAttribute(default=1)
    expires_at = UTCDateTimeAttribute(attr_name="expiresAt")
    revoked = BooleanAttribute(default=False)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    # downloads.py (devices helper): what the download route needs without another read, and
    # the token sealed (store/secrets.py) so the owner can see the link again in v1/downloads.
    file_name = UnicodeAttribute(attr_name="fileName", null=True)
    s3_key = UnicodeAttribute(attr_name="s3Key", null=True)
    content_type = UnicodeAttribute(attr_name="contentType", null=True)
    max_count = NumberAttribute(attr_name="maxCount", default=1)
    download_count = NumberAttribute(attr_name="downloadCount", default=0)
    last_download_at = UTCDateTimeAttribute(attr_name="lastDownloadAt", null=True)
    token_sealed = UnicodeAttribute(attr_name="tokenSealed", null=True)
    revoked_date = UTCDateTimeAttribute(attr_name="revokedDate", null=True)


def download_payment_pk(brand_id: str, payment_id: str) -> str:
    return f"B#{brand_id}#DLPAY#{payment_id}"


class DownloadPaymentItem(LicensingRecord, discriminator="DLPAY"):
    """``B#<b>#DLPAY#<paymentId>`` / ``GRANTS``: the grants one payment made (downloads.py):
    written once, with them, so a payment grants once and a refund finds what to revoke."""

    payment_id = UnicodeAttribute(attr_name="paymentId")
    user_id = UnicodeAttribute(attr_name="userId", null=True)
    grant_digests = ListAttribute(attr_name="grantDigests", of=UnicodeAttribute, default=list)
    revoked = BooleanAttribute(default=False)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
