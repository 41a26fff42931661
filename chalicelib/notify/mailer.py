"""The ``mail`` outbox kind: render the event's template for the brand and send it through SES."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.utils import formataddr, parseaddr
from typing import Any

from chalicelib import settings
from chalicelib.notify import events, suppressions, templates, tracking
from chalicelib.notify.models import OutboxItem
from chalicelib.notify.outbox import Delivery, register_kind
from chalicelib.store import aws

log = logging.getLogger("jfw.mail")

# The brand a mail is sent for, by id (its DTO: name, senders, support address). Identity owns
# brands and registers the lookup (identity/brands.py); identity sends mail through notify, so
# notify can't import it back.
_brand_lookup: list[Callable[[str], dict]] = []


def set_brand_lookup(lookup: Callable[[str], dict]) -> None:
    _brand_lookup[:] = [lookup]


def _brand(brand_id: str) -> dict:
    if not _brand_lookup:
        raise MailError("no brand lookup: import chalicelib.identity.service, which registers it")
    return _brand_lookup[0](brand_id)


class MailError(Exception):
    """A mail that can't be sent as asked (bad payload, unknown event, brand gone)."""


def sender_for(brand: dict) -> str:
    """The brand's system e-mail (with its title as display name), else the platform sender."""
    setting = brand.get("setting") or {}
    address = (setting.get("systemEmail") or "").strip()
    if not address:
        return settings.get().mail_sender
    title = (setting.get("systemEmailTitle") or "").strip()
    return formataddr((title, address)) if title else address


def is_local_host(host: str) -> bool:
    """``localhost`` or a name under it (RFC 6761): this machine, no DNS (the local stack's own
    senders, ``name@<brand>.localhost``)."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def ensure_sender_verified(address: str) -> None:
    """Verify a sender identity in SES. For the local stack and tests (moto refuses unverified
    senders, as SES's sandbox does); on AWS identities are verified by infra/, with DNS."""
    _, bare = parseaddr(address)
    aws.client("ses").verify_email_identity(EmailAddress=bare or address)


def sender_verified(address: str) -> bool:
    """Whether SES may send as ``address``: the address or its domain is a verified identity
    (GetIdentityVerificationAttributes says Success). In the local stages a ``.localhost``
    address, which no DNS can verify, is verified in the local SES on the spot."""
    _, bare = parseaddr(address)
    bare = bare or address
    domain = bare.rpartition("@")[2].lower()
    if settings.get().is_local and is_local_host(domain):
        ensure_sender_verified(bare)
        return True
    found = aws.client("ses").get_identity_verification_attributes(
        Identities=[bare, domain])["VerificationAttributes"]
    return any(a.get("VerificationStatus") == "Success" for a in found.values())


def compose(brand: dict, payload: dict[str, Any]) -> tuple[templates.Template, Any, str | None]:
    """The template used, the rendered mail, and why a brand template was set aside (if it was).

    A brand template that fails to render falls back to the default, so the user still gets
    the mail (a password reset must not wait for a template fix); the reason is kept on the row.
    """
    event_code = payload.get("eventCode")
    if not isinstance(event_code, str) or not event_code:
        raise MailError("the outbox payload has no eventCode")
    context = {**(payload.get("context") or {}), "brand": templates.brand_vars(brand)}
    template = _chosen(brand, event_code, payload)
    try:
        return template, templates.render(template, context), None
    except templates.TemplateError as e:
        if template.source == "default":
            raise
        problem = f"brand template for {event_code} set aside: {e}"
        log.warning("%s (brand %s)", problem, brand["id"])
        fallback = templates.default_template(event_code)
        return fallback, templates.render(fallback, context), problem


def _chosen(brand: dict, event_code: str, payload: dict[str, Any]) -> templates.Template:
    """The payload's own text (a test mail: emailtemplates.test_mail), else the brand's template
    in the user's language (then the brand's ``languageCode`` setting), else the default."""
    own = payload.get("template")
    if isinstance(own, dict):
        return templates.Template(event_code=event_code, subject=str(own.get("subject") or ""),
                                  body=str(own.get("body") or ""), source="test",
                                  language_code=payload.get("languageCode") or "en")
    setting = brand.get("setting") or {}
    return templates.template_for(
        brand["id"], event_code, payload.get("languageCode"),
        country_code=payload.get("countryCode"),
        brand_language=setting.get("languageCode") or brand.get("languageCode"))


def deliver(item: OutboxItem) -> Delivery:
    """Send one ``mail`` outbox row; the sent-mail log row is returned to be written with it."""
    payload = item.payload or {}
    to = payload.get("to")
    if not isinstance(to, str) or "@" not in to:
        raise MailError(f"the outbox payload has no usable recipient: {to!r}")
    skipped = _skip_if_turned_off(item)
    if skipped is not None:
        return skipped  # the brand turned this event's mail off
    skipped = suppressions.skip(item, to, str(payload.get("eventCode") or ""))
    if skipped is not None:
        return skipped  # the address bounced or complained: logged Skipped, no SES call
    brand = _brand(item.brand_id)
    template, mail, problem = compose(brand, payload)
    sender = sender_for(brand)
    configuration_set = settings.get().ses_configuration_set  # SES feedback (feedback.py)
    resp = aws.client("ses").send_email(
        **({"ConfigurationSetName": configuration_set} if configuration_set else {}),
        Source=sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
            "Body": {"Html": {"Data": mail.body, "Charset": "UTF-8"}},
        },
    )
    message_id = resp["MessageId"]
    secrets = [v for v in payload.get("secrets") or [] if isinstance(v, str) and v]
    logged_body = mail.body
    if secrets and not settings.get().is_local:
        for value in secrets:
            logged_body = logged_body.replace(value, "[redacted]")
    log_row = tracking.record(
        brand_id=item.brand_id, outbox_id=item.id, channel=tracking.EMAIL, to=to, sender=sender,
        subject=mail.subject, body=logged_body, event_code=template.event_code,
        message_id=message_id, template_source=template.source,
        language_code=template.language_code, now=settings.now())
    result = {"messageId": message_id}
    if problem:
        result["templateProblem"] = problem
    kept = None
    if secrets:
        kept = {k: v for k, v in payload.items() if k not in ("context", "secrets")}
    return Delivery(result=result, writes=[log_row, tracking.pointer(log_row)], payload=kept)


def _skip_if_turned_off(item: OutboxItem) -> Delivery | None:
    """A mail whose event the brand turned off (v1/events/{id}) is not sent: the row is done,
    with no SES call (asked at send time, so rows written before the change stop too). An
    admin's test mail (its own ``template``) is sent whatever the setting."""
    payload = item.payload or {}
    code = payload.get("eventCode")
    if payload.get("template") or not isinstance(code, str) or events.mail_on(item.brand_id, code):
        return None
    kept = None
    if payload.get("secrets"):
        kept = {k: v for k, v in payload.items() if k not in ("context", "secrets")}
    return Delivery(result={"skipped": "mail turned off"}, payload=kept)


def sent_mails(brand_id: str, limit: int = 100) -> list[dict]:
    """A brand's sent mails, newest first (JFW "Tracking Email")."""
    return tracking.sent_mails(brand_id, limit)


def all_sent_mails(to: str | None = None, limit: int = 100) -> list[dict]:
    """Every brand's sent mails, newest first; local and test stages only (gsi1 ``SENTMAIL``)."""
    return tracking.all_sent(tracking.EMAIL, to=to, limit=limit)


def gave_up(item: OutboxItem, error: str) -> list:
    """The Failed log row of a mail the outbox gave up on (the admin sees why it never came)."""
    payload = item.payload or {}
    to = payload.get("to")
    return [tracking.record(
        brand_id=item.brand_id, outbox_id=item.id, channel=tracking.EMAIL,
        to=to if isinstance(to, str) else "", sender=None, subject=None, body=None,
        event_code=str(payload.get("eventCode") or ""), message_id=None,
        template_source="default", language_code=payload.get("languageCode"),
        now=settings.now(), status=tracking.FAILED, status_reason=error)]


MAIL = register_kind("mail", deliver, on_give_up=gave_up)
