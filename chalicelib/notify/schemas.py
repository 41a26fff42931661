"""Notify request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, StrictBool, StringConstraints

from chalicelib.http.schemas import Body

# -- events (events.py) ------------------------------------------------------------------------

class EventUpdateBody(Body):
    """PUT v1/events/{id}: turn the event's mail and/or text on or off for the brand (a field
    left out stays as it is)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"mailEnabled": False}]})

    mailEnabled: StrictBool | None = None
    smsEnabled: StrictBool | None = None


# -- e-mail templates (emailtemplates.py) --------------------------------------------------------

EventRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LanguageCode = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                                pattern=r"^[A-Za-z]{2}$")]  # ISO 639-1
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                               pattern=r"^[A-Za-z]{2}$")]  # ISO 3166-1 alpha-2
Subject = Annotated[str, StringConstraints(min_length=1, max_length=998)]
HtmlBody = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
Tags = Annotated[str, StringConstraints(max_length=500)]


class EmailTemplateBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"eventId": "USER.PASSWORD.CHANGED", "languageCode": "en", "countryCode": "US",
         "subject": "Your {{ brand.name }} password was changed",
         "body": "<p>Hello {{ user.name }}, your password was changed on {{ change.date }}.</p>",
         "tags": "security"},
    ]})

    eventId: EventRef
    languageCode: LanguageCode = "en"
    countryCode: CountryCode | None = None
    subject: Subject
    body: HtmlBody
    tags: Tags | None = None


class EmailTemplatePreviewBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"eventId": "USER.PASSWORD.CHANGED", "languageCode": "en",
         "subject": "Your {{ brand.name }} password was changed",
         "body": "<p>Hello {{ user.name }}, your password was changed on {{ change.date }}.</p>"},
    ]})

    eventId: EventRef
    subject: Subject
    body: HtmlBody
    languageCode: LanguageCode | None = None
