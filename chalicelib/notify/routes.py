"""Notify routes. Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.settings import LOCAL_STAGES

TRACKING_STATUSES = ("Sent", "Delivered", "Bounced", "Complained", "Failed", "Skipped")

ROUTES = [
    # Local stack and tests only: the route does not exist on AWS. Mails are read from the
    # sent-mail log's gsi1 partition ``SENTMAIL``, which only these stages write.
    Route("GET", "/api/v1/dev/mails", "chalicelib.notify.api:dev_mails",
          "Mails sent by the local stack, newest first: to, subject, body, time",
          auth="none", brand=False, returns="array", stages=LOCAL_STAGES, tag="Dev",
          query=(Q("to", description="Only mails to this address (case-insensitive)."),)),

    # Events (events.py; JFW v6.9.3 v1/events). ``type`` is JFW's SDK asking for the wallet
    # earning events (getEventsEarningWallet calls v1/events?type=): the wallet's list answers.
    Route("GET", "/api/v1/events", "chalicelib.notify.api:list_events",
          "Every event the platform fires (JFW's IEvent, plus mailEnabled, smsEnabled and "
          "placeholders for this brand; permission EVENT.READ), in display order. With "
          "?type=Earning|Redeem, or for a caller without EVENT.READ: the wallet earning "
          "events, as GET v1/wallet-earning-events answers (JFW's SDK reads them here too)",
          returns="page", tag="Events", query=(
              *PAGING, Q("groupCodeName"), Q("code"), Q("name"), Q("description"), Q("tags"),
              Q("zOrder", "integer"), Q("status", enum=("Inactive", "Active")),
              Q("isSystem", "boolean"),
              Q("includeParentBrand", "boolean", description="Accepted; events are global."),
              Q("type", enum=("Earning", "Redeem"),
                description="The wallet earning events of this type instead (JFW's SDK)."),
              Q("eventId", description="With type: only earning events of this trigger."))),
    Route("GET", "/api/v1/events/email-templates", "chalicelib.notify.api:mail_events",
          "The events that send a mail (those an e-mail template can be written for)",
          permission="EVENT.READ", returns="array", tag="Events"),
    Route("GET", "/api/v1/events/{id}", "chalicelib.notify.api:get_event",
          "An event, by its id or its code", permission="EVENT.READ", tag="Events"),
    Route("PUT", "/api/v1/events/{id}", "chalicelib.notify.api:update_event",
          "Turn an event's mail and/or text on or off for the brand (the password-reset mail "
          "can't be turned off)", permission="EVENT.UPDATE",
          body="chalicelib.notify.schemas:EventUpdateBody", tag="Events"),
    # -- delivery tracking and SES feedback (trackingemails.py, suppressions.py, feedback.py) --
    Route("GET", "/api/v1/tracking-emails", "chalicelib.notify.api:list_tracking_emails",
          "The brand's delivery log (JFW Tracking Email): mails and texts sent, delivered, "
          "bounced, complained about, failed or skipped; newest first",
          permission="OUTBOX.READ", returns="page", tag="Tracking emails", query=(
              *PAGING, Q("to", description="Recipient contains (case-insensitive)."),
              Q("emailTo", description="Same as to (JFW's name)."),
              Q("eventCode"), Q("eventId", description="An event id or code."),
              Q("deliveryStatus", enum=TRACKING_STATUSES),
              Q("channel", enum=("Email", "Sms")),
              Q("notificationChannelType", enum=("Email", "Sms")),
              Q("emailSubject", description="Subject contains (case-insensitive)."),
              Q("fromDate", "date-time"), Q("toDate", "date-time"))),
    Route("GET", "/api/v1/tracking-emails/suppressions",
          "chalicelib.notify.api:list_suppressions",
          "Addresses the brand's mail no longer goes to (bounced, complained), still in force",
          permission="OUTBOX.READ", returns="page", tag="Tracking emails", query=(
              *PAGING, Q("emailAddress", description="Address contains (case-insensitive)."),
              Q("reason", enum=("Bounce", "Complaint", "TransientBounces")))),
    Route("DELETE", "/api/v1/tracking-emails/suppressions/{id}",
          "chalicelib.notify.api:delete_suppression",
          "Lift a suppression the brand's mail caused: the address gets mail again",
          permission="OUTBOX.DELETE", returns="boolean", tag="Tracking emails"),
    Route("GET", "/api/v1/tracking-emails/{id}", "chalicelib.notify.api:get_tracking_email",
          "One delivery log row, with its status and reason", permission="OUTBOX.READ",
          tag="Tracking emails"),
    Route("POST", "/api/v1/ses/notifications", "chalicelib.notify.api:ses_notifications",
          "Amazon SNS messages from SES (bounces, complaints, deliveries), verified by their "
          "SNS signature; a replayed MessageId changes nothing", auth="none", brand=False,
          tag="Tracking emails", answers=(400, 403, 503)),
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
