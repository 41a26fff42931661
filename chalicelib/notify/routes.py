"""Notify routes. Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.settings import LOCAL_STAGES

ROUTES = [
    # Local stack and tests only: the route does not exist on AWS. Mails are read from the
    # sent-mail log's gsi1 partition ``SENTMAIL``, which only these stages write.
    Route("GET", "/api/v1/dev/mails", "chalicelib.notify.api:dev_mails",
          "Mails sent by the local stack, newest first: to, subject, body, time",
          auth="none", brand=False, returns="array", stages=LOCAL_STAGES, tag="Dev",
          query=(Q("to", description="Only mails to this address (case-insensitive)."),)),
    # -- e-mail templates (api-surface §18; emailtemplates.py) -------------------------------
    Route("GET", "/api/v1/email-templates", "chalicelib.notify.api:list_email_templates",
          "The brand's e-mail templates (paged)", permission="EMAIL-TEMPLATE.READ",
          returns="page", tag="Email templates", query=(
              *PAGING, Q("eventId", description="An event's id or code."), Q("countryCode"),
              Q("languageCode"), Q("subject"), Q("body"), Q("tags"))),
    Route("GET", "/api/v1/email-templates/placeholder-keys",
          "chalicelib.notify.api:email_template_placeholder_keys",
          "The placeholders templates may use, by group: brand, user and each event's own",
          permission="EMAIL-TEMPLATE.READ", tag="Email templates",
          query=(Q("eventId", description="Only this event's (id or code)."),)),
    Route("POST", "/api/v1/email-templates/preview",
          "chalicelib.notify.api:preview_email_template",
          "Render a subject and body with sample data (checked as a save checks; writes "
          "nothing)", permission="EMAIL-TEMPLATE.READ",
          body="chalicelib.notify.schemas:EmailTemplatePreviewBody", tag="Email templates"),
    Route("POST", "/api/v1/email-templates/test",
          "chalicelib.notify.api:send_test_email_template",
          "Mail a subject and body, rendered with sample data, to the caller's own address "
          "(20 an hour)", permission="EMAIL-TEMPLATE.UPDATE",
          body="chalicelib.notify.schemas:EmailTemplatePreviewBody", tag="Email templates",
          answers=(429,)),
    Route("GET", "/api/v1/email-templates/{id}", "chalicelib.notify.api:get_email_template",
          "An e-mail template", permission="EMAIL-TEMPLATE.READ", tag="Email templates"),
    Route("POST", "/api/v1/email-templates", "chalicelib.notify.api:create_email_template",
          "Create a template (one per event x language x country: else 409; Liquid checked)",
          permission="EMAIL-TEMPLATE.CREATE",
          body="chalicelib.notify.schemas:EmailTemplateBody", tag="Email templates"),
    Route("PUT", "/api/v1/email-templates/{id}", "chalicelib.notify.api:update_email_template",
          "Replace a template (409 if its event x language x country is another's)",
          permission="EMAIL-TEMPLATE.UPDATE",
          body="chalicelib.notify.schemas:EmailTemplateBody", tag="Email templates"),
    Route("DELETE", "/api/v1/email-templates/{id}", "chalicelib.notify.api:delete_email_template",
          "Delete a template (the event's mail goes back to the default)",
          permission="EMAIL-TEMPLATE.DELETE", returns="boolean", tag="Email templates"),
    Route("GET", "/api/v1/events/{id}/email-templates/default",
          "chalicelib.notify.api:event_default_email_template",
          "An event's built-in subject and body", permission="EMAIL-TEMPLATE.READ",
          tag="Email templates", query=(Q("languageCode"),)),
    Route("GET", "/api/v1/events/{id}/email-templates",
          "chalicelib.notify.api:event_email_template",
          "The brand's template for an event in a language (else English), else the default "
          "(id null, isDefault true)", permission="EMAIL-TEMPLATE.READ", tag="Email templates",
          query=(Q("languageCode"),)),
]
