"""Request bodies of the webhook endpoint routes. Unknown fields are ignored."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.http.schemas import Body, Text

WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=2000)]
EventCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=100)]
Status = Literal["Enabled", "Disabled"]


class EndpointBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://hooks.example.com/jfw", "description": "Our order system",
         "enabledEvents": ["PAYMENT.PROCESSED.SUCCESS", "PAYMENT.PROCESSED.REFUNDED"]}]})

    url: WebhookUrl
    description: Text | None = None
    enabledEvents: list[EventCode] = Field(default_factory=lambda: ["*"], max_length=50)
    status: Status | None = None


class EndpointUpdateBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"enabledEvents": ["*"], "status": "Enabled"}]})

    url: WebhookUrl | None = None
    description: Text | None = None
    enabledEvents: list[EventCode] | None = Field(default=None, max_length=50)
    status: Status | None = None
