"""Identity items, all in the ``identity`` table.

Access patterns (pk / sk):
- brand by id ............ ``B#<brand>`` / ``BRAND``; all brands: gsi1 ``BRANDS`` by created
- brand by host .......... ``DOMAIN#<host>`` / ``DOMAIN`` (global: the host is what we know)
- user by id ............. ``B#<brand>#U#<user>`` / ``USER``
- a brand's users ........ gsi1 ``B#<brand>#USERS`` by created
- session by Auth-Key .... ``B#<brand>#U#<user>`` / ``SESSION#<sha256>`` (BatchGet with the user)
- unique names ........... ``B#<brand>#UNAME#<lower>`` | ``#EMAIL#`` | ``#REFCODE#`` / ``UNIQUE``
- reset token ............ ``B#<brand>#RESET#<sha256>`` / ``RESET``
- counters ............... ``B#<brand>#<purpose>#<lower key>`` / ``<purpose>`` (ratelimit.py:
                           failed passwords per account, client+account and client; reset mails)
- role / permission ...... ``B#<brand>#ROLE#<id>`` / ``ROLE``; gsi1 ``B#<brand>#ROLES``
                           ``B#<brand>#PERM#<id>`` / ``PERMISSION``; gsi1 ``B#<brand>#PERMS``
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.store.base import BaseModel, Gsi1, table_meta

Meta = table_meta("identity")


def brand_pk(brand_id: str) -> str:
    return f"B#{brand_id}"


def user_pk(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#U#{user_id}"


class _Listed(BaseModel):
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class BrandItem(_Listed):
    Meta = Meta
    id = UnicodeAttribute()
    parent_id = UnicodeAttribute(attr_name="parentId", null=True)
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    abbr = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="Active")
    is_default = BooleanAttribute(attr_name="isDefault", default=False)
    is_system = BooleanAttribute(attr_name="isSystem", default=False)
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    profile = MapAttribute(default=dict)
    setting = MapAttribute(default=dict)
    domains = ListAttribute(default=list)
    path = ListAttribute(of=UnicodeAttribute, default=list)  # ancestor ids, root first
    child_count = NumberAttribute(attr_name="childCount", default=0)  # live child brands
    version = VersionAttribute()  # every write is conditional on the version it read


class DomainItem(BaseModel):
    Meta = Meta
    brand_id = UnicodeAttribute(attr_name="brandId")


class UserItem(_Listed):
    Meta = Meta
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    brand_is_system = BooleanAttribute(attr_name="brandIsSystem", default=False)
    code = UnicodeAttribute()
    username = UnicodeAttribute(null=True)
    email_address = UnicodeAttribute(attr_name="emailAddress", null=True)
    phone_number = UnicodeAttribute(attr_name="phoneNumber", null=True)
    # The number the user proved by a texted code (phoneverify.py); confirmed while it equals
    # phone_number, so changing the number unconfirms it without a second write.
    confirmed_phone = UnicodeAttribute(attr_name="confirmedPhoneNumber", null=True)
    first_name = UnicodeAttribute(attr_name="firstName", null=True)
    last_name = UnicodeAttribute(attr_name="lastName", null=True)
    nick_name = UnicodeAttribute(attr_name="nickName", null=True)
    profile = MapAttribute(default=dict)  # avatar, bio, website, phoneNumber1
    type = UnicodeAttribute(default="EndUser")
    status = UnicodeAttribute(default="Active")
    is_email_verified = BooleanAttribute(attr_name="isEmailAddressVerified", default=False)
    is_user_verified = BooleanAttribute(attr_name="isUserVerified", default=False)
    is_system = BooleanAttribute(attr_name="isSystem", default=False)
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    tags = UnicodeAttribute(null=True)
    role_ids = ListAttribute(attr_name="roleIds", of=UnicodeAttribute, default=list)
    extra_permissions = ListAttribute(attr_name="permissions", of=UnicodeAttribute, default=list)
    referral_code = UnicodeAttribute(attr_name="referralCode")
    referrer_id = UnicodeAttribute(attr_name="referrerId", null=True)
    language_code = UnicodeAttribute(attr_name="languageCode", default="en")
    time_zone_id = UnicodeAttribute(attr_name="timeZoneId", default="UTC")
    package_id = UnicodeAttribute(attr_name="packageId", null=True)
    expiry_date = UTCDateTimeAttribute(attr_name="expiryDate", null=True)
    password_hash = UnicodeAttribute(attr_name="passwordHash")
    # Bumped on password change, lock, suspend, delete: every older Auth-Key stops working.
    session_epoch = NumberAttribute(attr_name="sessionEpoch", default=0)
    last_login_date = UTCDateTimeAttribute(attr_name="lastLoginDate", null=True)


class SessionItem(BaseModel):
    Meta = Meta
    user_id = UnicodeAttribute(attr_name="userId")
    epoch = NumberAttribute()
    expires_at = UTCDateTimeAttribute(attr_name="expiresAt")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class UniqueItem(BaseModel):
    """Reserves a username, e-mail or referral code inside a brand."""

    Meta = Meta
    user_id = UnicodeAttribute(attr_name="userId")


class ResetTokenItem(BaseModel):
    Meta = Meta
    user_id = UnicodeAttribute(attr_name="userId")
    expires_at = UTCDateTimeAttribute(attr_name="expiresAt")
    # The user's sessionEpoch when issued: any later password change, lock or suspension voids it.
    epoch = NumberAttribute(null=True)


class CounterItem(BaseModel):
    """A fixed-window counter (identity/ratelimit.py): failed logins, reset mails."""

    Meta = Meta
    count = NumberAttribute(default=0)
    window_start = UTCDateTimeAttribute(attr_name="windowStart")
    last_hit = UTCDateTimeAttribute(attr_name="lastHit", null=True)  # progressive delays


class RoleItem(_Listed):
    Meta = Meta
    id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    permissions = ListAttribute(of=UnicodeAttribute, default=list)


class PermissionItem(_Listed):
    Meta = Meta
    id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    resource_type_id = UnicodeAttribute(attr_name="resourceTypeId")
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)


class PhoneCodeItem(BaseModel):
    """A texted phone verification code (phoneverify.py): ``B#<brand>#PHONEVERIFY#<user>`` /
    ``PHONEVERIFY``, one per user (a new code replaces the old). Only a salted hash is kept."""

    Meta = Meta
    user_id = UnicodeAttribute(attr_name="userId")
    phone_number = UnicodeAttribute(attr_name="phoneNumber")
    salt = UnicodeAttribute()
    code_hash = UnicodeAttribute(attr_name="codeHash")
    expires_at = UTCDateTimeAttribute(attr_name="expiresAt")
    attempts = NumberAttribute(default=0)
