"""Phone-template routes (JFW v6.9.3 paths) and the dev text list. Data only: see
chalicelib/http/routing.py. ``{id}`` is an event's id (or code), the name the sibling
``v1/events/{id}`` routes use."""

from chalicelib.http.routing import Q, Route
from chalicelib.settings import LOCAL_STAGES

LANGUAGE = Q("languageCode", description="ISO 639-1 language of the text (default en).")

ROUTES = [
    Route("GET", "/api/v1/events/phone-templates", "chalicelib.notify.texts.api:textable_events",
          "The events that can send a text message (IEvent[])",
          permission="PHONE-TEMPLATE.READ", returns="array", tag="Phone templates"),
    Route("GET", "/api/v1/events/{id}/phone-templates",
          "chalicelib.notify.texts.api:get_phone_template",
          "The brand's text for the event and language (the default when it has none)",
          permission="PHONE-TEMPLATE.READ", query=(LANGUAGE,), tag="Phone templates"),
    Route("GET", "/api/v1/events/{id}/phone-templates/default",
          "chalicelib.notify.texts.api:default_phone_template",
          "The event's built-in text: {languageCode, content}",
          permission="PHONE-TEMPLATE.READ", query=(LANGUAGE,), tag="Phone templates"),
    Route("PUT", "/api/v1/events/{id}/phone-templates",
          "chalicelib.notify.texts.api:put_phone_template",
          "Set the brand's text for the event and language (Liquid, plain text, at most 10 "
          "SMS segments)", permission="PHONE-TEMPLATE.UPDATE",
          body="chalicelib.notify.texts.schemas:PhoneTemplateBody", tag="Phone templates"),
    Route("DELETE", "/api/v1/events/{id}/phone-templates",
          "chalicelib.notify.texts.api:delete_phone_template",
          "Remove the brand's text for the language: the default applies again",
          permission="PHONE-TEMPLATE.DELETE", query=(LANGUAGE,), returns="boolean",
          tag="Phone templates"),
    # Local stack and tests only, like v1/dev/mails: texts are read from the sent log's gsi1
    # partition ``SENTTEXT``, which only these stages write.
    Route("GET", "/api/v1/dev/texts", "chalicelib.notify.texts.api:dev_texts",
          "Texts sent by the local stack, newest first: to, body, time",
          auth="none", brand=False, returns="array", stages=LOCAL_STAGES, tag="Dev",
          query=(Q("to", description="Only texts to this number."),)),
]
