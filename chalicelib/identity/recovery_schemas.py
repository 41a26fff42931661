"""Request bodies of the password routes (JFW field names)."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, StringConstraints

from chalicelib.identity.schemas import Body, Password

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
