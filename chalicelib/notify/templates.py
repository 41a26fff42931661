"""Mail templates: which subject and body an event uses for a brand, and how they are rendered.

Brand templates are text anyone with template rights can write, so rendering is sandboxed:
python-liquid (imported here, lazily: only the outbox consumer renders) with no loader (``include``
and ``render`` find nothing), HTML autoescaping of every value in the body, and limits on loop
iterations, output size, assigned data and context depth. A template that breaks any of these
raises ``TemplateError`` with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from chalicelib import settings
from chalicelib.notify import catalog
from chalicelib.notify.models import TemplateItem, template_pk
from chalicelib.store import ids

MAX_SOURCE_CHARS = 100_000
MAX_SUBJECT_CHARS = 998  # RFC 5322 line limit
DEFAULT_LANGUAGE = "en"


class TemplateError(Exception):
    """A template that can't be parsed or rendered within the sandbox's limits."""


@dataclass(frozen=True)
class Template:
    event_code: str
    subject: str
    body: str
    source: str  # "default" or "brand"
    language_code: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> Any:
    from liquid import Environment  # heavy, optional: only the outbox consumer renders

    class Sandboxed(Environment):
        context_depth_limit = 10
        loop_iteration_limit = 5_000
        local_namespace_limit = 64 * 1024
        output_stream_limit = 512 * 1024

    # The default loader is an empty DictLoader: no file system, no other template reachable.
    return Sandboxed(autoescape=autoescape)


@lru_cache(maxsize=256)
def _parse(source: str, autoescape: bool) -> Any:
    return _environment(autoescape).from_string(source)


def _one_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def render_text(source: str, context: dict[str, Any], *, html: bool) -> str:
    """Render one template; ``html`` escapes every value (bodies), subjects stay plain text."""
    from liquid.exceptions import LiquidError  # heavy, optional (see _environment)

    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateError(f"The template is longer than {MAX_SOURCE_CHARS} characters.")
    try:
        return _parse(source, html).render(**context)
    except LiquidError as e:
        raise TemplateError(_one_line(e)) from None


def render(template: Template, context: dict[str, Any]) -> Rendered:
    subject = render_text(template.subject, context, html=False)
    subject = " ".join(subject.split())[:MAX_SUBJECT_CHARS]  # one header line
    body = render_text(template.body, context, html=True)
    return Rendered(subject=subject, body=body)


def check(subject: str, body: str) -> None:
    """Parse both parts, so a brand's template can be refused when it is saved."""
    from liquid.exceptions import LiquidError  # heavy, optional (see _environment)

    for part, source, html in (("subject", subject, False), ("body", body, True)):
        if len(source) > MAX_SOURCE_CHARS:
            raise TemplateError(f"The {part} is longer than {MAX_SOURCE_CHARS} characters.")
        try:
            _parse(source, html)
        except LiquidError as e:
            raise TemplateError(f"The {part} is not valid Liquid: {_one_line(e)}") from None


# -- which template ----------------------------------------------------------------------------

def default_template(event_code: str) -> Template:
    event = catalog.event(event_code)
    if event is None:
        raise TemplateError(f"No mail is defined for the event {event_code}.")
    return Template(event_code=event.code, subject=event.subject, body=event.body,
                    source="default")


def template_for(brand_id: str, event_code: str,
                 language_code: str | None = None) -> Template:
    """The brand's own template for the event (its language, else English), else the default."""
    wanted = (language_code or DEFAULT_LANGUAGE).lower()
    found = {t.language_code: t for t in TemplateItem.query(
        template_pk(brand_id, event_code), TemplateItem.sk.startswith("LANG#"))}
    item = found.get(wanted) or found.get(DEFAULT_LANGUAGE)
    if item is None:
        return default_template(event_code)
    return Template(event_code=event_code, subject=item.subject, body=item.body,
                    source="brand", language_code=item.language_code)


def save_template(brand_id: str, event_code: str, *, subject: str, body: str,
                  language_code: str = DEFAULT_LANGUAGE, country_code: str | None = None,
                  tags: str | None = None, validate: bool = True) -> dict:
    """Create or replace a brand's template (the CRUD routes come in a later issue).

    ``validate=False`` stores it unchecked: only for tests of a template broken some other way.
    """
    if validate:
        check(subject, body)
    now = settings.now()
    language_code = language_code.lower()
    item = TemplateItem(
        template_pk(brand_id, event_code), f"LANG#{language_code}",
        id=ids.new_id(), brand_id=brand_id, event_code=event_code, language_code=language_code,
        country_code=country_code, subject=subject, body=body, tags=tags,
        created_date=now, modified_date=now,
        gsi1pk=f"B#{brand_id}#TEMPLATES", gsi1sk=f"{event_code}#{language_code}",
    )
    item.save()
    return {"id": item.id, "eventCode": event_code, "languageCode": language_code,
            "countryCode": country_code, "subject": subject, "body": body, "tags": tags}


# -- what templates see ------------------------------------------------------------------------

MAIL_DATE_FORMAT = "%Y-%m-%d %H:%M UTC"


def mail_date(moment: datetime | None) -> str | None:
    """A date as every mail shows it (``2026-12-03 15:50 UTC``); None stays None."""
    return moment.strftime(MAIL_DATE_FORMAT) if moment else None


def brand_vars(brand: dict) -> dict[str, Any]:
    """JFW's brand placeholders (help: brand settings, e-mail templates)."""
    setting = brand.get("setting") or {}
    profile = brand.get("profile") or {}
    domains = brand.get("domains") or []
    primary = next((d for d in domains if d.get("isPrimary")), domains[0] if domains else None)
    website = f"https://{primary['domain']}" if primary else None
    return {
        "id": brand.get("id"),
        "name": brand.get("name"),
        "code": brand.get("code"),
        "brand_code": brand.get("code"),
        "abbr": brand.get("abbr"),
        "description": brand.get("description"),
        "logo": profile.get("logo"),
        "email_support": setting.get("emailSupport"),
        "email_support_title": setting.get("emailSupportTitle"),
        "system_email": setting.get("systemEmail"),
        "system_email_title": setting.get("systemEmailTitle"),
        "product_name": brand.get("name"),
        "product_website": profile.get("website") or website,
    }


def user_vars(*, username: str | None = None, email_address: str | None = None,
              first_name: str | None = None, last_name: str | None = None,
              nick_name: str | None = None, expiry_date: str | None = None) -> dict[str, Any]:
    """JFW's user placeholders; ``name`` is the friendliest name we have."""
    full_name = " ".join(p for p in (first_name, last_name) if p) or None
    return {
        "username": username,
        "email_address": email_address,
        "first_name": first_name,
        "last_name": last_name,
        "nick_name": nick_name,
        "full_name": full_name,
        "name": nick_name or first_name or full_name or username or email_address,
        "expiry_date": expiry_date,
    }
