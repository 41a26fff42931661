"""Texts as tests see them: what moto's SNS sent, and the code a user was texted."""

from __future__ import annotations

import re

from tests.helpers.mail import ACCOUNT, REGION


def sns_sent() -> list[tuple[str, str]]:
    """Every SMS moto's SNS accepted, oldest first: (phone number, message)."""
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


def texts_to(number: str) -> list[str]:
    return [message for phone, message in sns_sent() if phone == number]


def code_in(message: str) -> str:
    found = re.search(r"\b(\d{6})\b", message)
    assert found, f"no 6-digit code in {message!r}"
    return found.group(1)
