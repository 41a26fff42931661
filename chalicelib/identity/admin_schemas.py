"""Request bodies of the user, role and permission admin routes (JFW v6.9.3 field names)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, EmailStr, Field, StringConstraints

from chalicelib.identity.schemas import Body, Name, Password, Url, Username

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
