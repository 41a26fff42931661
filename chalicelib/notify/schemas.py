"""Notify request bodies."""

from __future__ import annotations

from pydantic import ConfigDict, StrictBool

from chalicelib.http.schemas import Body

# -- events (events.py) ------------------------------------------------------------------------

class EventUpdateBody(Body):
    """PUT v1/events/{id}: turn the event's mail and/or text on or off for the brand (a field
    left out stays as it is)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"mailEnabled": False}]})

    mailEnabled: StrictBool | None = None
    smsEnabled: StrictBool | None = None
