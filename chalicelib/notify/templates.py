"""Mail templates: which subject and body an event uses for a brand, and how they are rendered.

Brand templates are text anyone with template rights can write, so rendering is sandboxed:
python-liquid (imported here, lazily: only the outbox consumer renders) with no loader (``include``
and ``render`` find nothing), HTML autoescaping of every value in the body, and limits on loop
iterations, output size, assigned data and context depth. A template that breaks any of these
raises ``TemplateError`` with a one-line reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from chalicelib.notify import catalog
from chalicelib.notify.models import TemplateItem, template_pk

MAX_SOURCE_CHARS = 100_000
MAX_SUBJECT_CHARS = 998  # RFC 5322 line limit
DEFAULT_LANGUAGE = "en"


class TemplateError(Exception):
    """A template that can't be parsed or rendered within the sandbox's limits; ``part`` names
    the part at fault (``subject`` or ``body``) when a check knows it."""

    def __init__(self, message: str, part: str | None = None) -> None:
        super().__init__(message)
        self.part = part


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


# python-liquid's lexer and parser take time quadratic in unclosed openers and parentheses (40,000
# nested parentheses: 90 s) and recurse on brackets, so the markup is bounded before it is parsed
# (``_guard``).
MAX_PARENTHESES = 200  # in all the Liquid markup of one part: ranges and grouping
MAX_BRACKETS = 20  # in one {{ ... }} or {% ... %}: a[0]["b"] ...
_OPEN = re.compile(r"\{[{%]")
_CLOSE = re.compile(r"[}%]\}")


def _guard(source: str, part: str | None = None) -> None:
    """Refuse markup the parser would take too long over (linear: two regex scans)."""
    name = f"The {part}" if part else "The template"
    parens, pos = 0, 0
    while (opened := _OPEN.search(source, pos)) is not None:
        closed = _CLOSE.search(source, opened.end())
        line = source.count("\n", 0, opened.start()) + 1
        # An unclosed opener makes the lexer's lazy patterns scan to the end from every later
        # opener (4,000 of them: 14 s): each must close before the next opens.
        if closed is None or _OPEN.search(source, opened.end(), closed.start()) is not None:
            raise TemplateError(f"{name} has a '{opened.group()}' that is not closed before "
                                f"the next Liquid tag or output (line {line}).", part)
        stop = closed.end()
        markup = source[opened.end():stop]
        parens += markup.count("(")
        if parens > MAX_PARENTHESES:
            raise TemplateError(f"{name} uses more than {MAX_PARENTHESES} parentheses in its "
                                f"Liquid (line {line}).", part)
        if markup.count("[") > MAX_BRACKETS:
            raise TemplateError(f"{name} uses more than {MAX_BRACKETS} brackets in one Liquid "
                                f"tag or output (line {line}).", part)
        pos = stop


def render_text(source: str, context: dict[str, Any], *, html: bool) -> str:
    """Render one template; ``html`` escapes every value (bodies), subjects stay plain text."""
    from liquid.exceptions import LiquidError  # heavy, optional (see _environment)

    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateError(f"The template is longer than {MAX_SOURCE_CHARS} characters.")
    _guard(source)
    try:
        return _parse(source, html).render(**context)
    except LiquidError as e:
        raise TemplateError(_one_line(e)) from None


def render(template: Template, context: dict[str, Any]) -> Rendered:
    parts = {}
    for part, source, html in (("subject", template.subject, False),
                               ("body", template.body, True)):
        try:
            parts[part] = render_text(source, context, html=html)
        except TemplateError as e:
            raise TemplateError(f"The {part} can't be rendered: {e}", part) from None
    subject = " ".join(parts["subject"].split())[:MAX_SUBJECT_CHARS]  # one header line
    return Rendered(subject=subject, body=parts["body"])


def check(subject: str, body: str, event_code: str | None = None) -> None:
    """Parse both parts, so a brand's template can be refused when it is saved.

    With ``event_code``, also analyse them (python-liquid's static analysis): ``include`` and
    ``render`` are refused, so is a filter Liquid doesn't know, and every variable the template
    reads from outside must be one of the event's placeholders, ``brand.*`` or ``user.*``. Each
    refusal names the part and the line.
    """
    from liquid.exceptions import LiquidError  # heavy, optional (see _environment)

    for part, source, html in (("subject", subject, False), ("body", body, True)):
        if len(source) > MAX_SOURCE_CHARS:
            raise TemplateError(f"The {part} is longer than {MAX_SOURCE_CHARS} characters.", part)
        _guard(source, part)
        try:
            parsed = _parse(source, html)
        except LiquidError as e:
            token = getattr(e, "token", None)
            index = getattr(token, "start_index", -1)
            line = _line(source, index if isinstance(index, int) and index >= 0 else len(source))
            message = (getattr(e, "message", None) or _one_line(e)).strip().splitlines()[0]
            raise TemplateError(f"The {part} is not valid Liquid (line {line}): {message}",
                                part) from None
        if event_code is not None:
            _analyse(part, source, parsed, allowed_paths(event_code))


REFUSED_TAGS = ("include", "render")
# What a template may ask of any value without it being a placeholder of its own.
_PROPERTIES = {"size", "first", "last"}


def _line(source: str, index: int) -> int:
    return source.count("\n", 0, max(0, index)) + 1


def _split(placeholder: str) -> tuple[str, ...]:
    """``downloads[].url`` -> ("downloads", "[]", "url")."""
    out: list[str] = []
    for seg in placeholder.split("."):
        if seg.endswith("[]"):
            out += [seg[:-2], "[]"]
        else:
            out.append(seg)
    return tuple(out)


@lru_cache(maxsize=128)
def allowed_paths(event_code: str) -> frozenset[tuple[str, ...]]:
    """The paths a template of the event may read: its placeholders, ``brand.*``, ``user.*``."""
    event = catalog.event(event_code)
    if event is None:
        raise TemplateError(f"No mail is defined for the event {event_code}.")
    paths = {_split(p) for p in event.placeholders}
    paths |= {("brand", k) for k in brand_vars({})}
    paths |= {("user", k) for k in user_vars()}
    return frozenset(paths)


def _matches(path: list[str], allowed: tuple[str, ...]) -> bool:
    for i, seg in enumerate(path):
        if i >= len(allowed):
            return all(s in _PROPERTIES for s in path[i:])
        want = allowed[i]
        if seg == want or (want == "[]" and seg in ("[]", "first", "last")):
            continue
        return False
    return True  # a prefix: ``downloads`` in ``for d in downloads``, or a whole object


def _analyse(part: str, source: str, parsed: Any, allowed: frozenset[tuple[str, ...]]) -> None:
    analysis = parsed.analyze(include_partials=False)
    for tag in REFUSED_TAGS:
        for span in analysis.tags.get(tag, ()):
            raise TemplateError(f"The {part} uses the tag '{tag}' on line "
                                f"{_line(source, span.index)}: templates can't include others.",
                                part)
    known_filters = _environment(False).filters
    for name, spans in analysis.filters.items():
        if name not in known_filters:
            raise TemplateError(f"The {part} uses an unknown filter '{name[:80]}' on line "
                                f"{_line(source, spans[0].index)}.", part)
    for variables in analysis.globals.values():
        for var in variables:
            path = [s if isinstance(s, str) else "[]" for s in var.segments]
            if not any(_matches(path, a) for a in allowed):
                name = str(var) if len(str(var)) <= 80 else str(var)[:77] + "..."
                raise TemplateError(f"The {part} uses an unknown placeholder '{name}' on line "
                                    f"{_line(source, var.span.index)}.", part)


# -- which template ----------------------------------------------------------------------------

def default_template(event_code: str) -> Template:
    event = catalog.event(event_code)
    if event is None:
        raise TemplateError(f"No mail is defined for the event {event_code}.")
    return Template(event_code=event.code, subject=event.subject, body=event.body,
                    source="default")


def _language_tag(tag: str | None) -> tuple[str | None, str | None]:
    """``fr-CA`` -> ("fr", "CA"): templates are per ISO 639-1 language and country."""
    if not tag:
        return None, None
    language, _, rest = tag.replace("_", "-").partition("-")
    region = rest.partition("-")[0]
    return language.lower() or None, region.upper() if len(region) == 2 else None


def template_for(brand_id: str, event_code: str, language_code: str | None = None, *,
                 country_code: str | None = None,
                 brand_language: str | None = None) -> Template:
    """The brand's own template for the event, else the built-in default.

    Tried in order: the user's language, then the brand's default language (``brand_language``,
    else English); within a language, the template for ``country_code`` (when the mail carries
    one, else the region of the user's language tag: ``fr-CA``) before the one for no country.
    One Query.
    """
    found = {(t.language_code, t.country_code or None): t for t in TemplateItem.query(
        template_pk(brand_id, event_code), TemplateItem.sk.startswith("LANG#"))}
    user_language, region = _language_tag(language_code)
    languages = [c for c in (user_language, _language_tag(brand_language)[0] or DEFAULT_LANGUAGE)
                 if c]
    country = (country_code or region or "").upper() or None
    for language in dict.fromkeys(languages):
        for key in ((language, country), (language, None)) if country else ((language, None),):
            item = found.get(key)
            if item is not None:
                return Template(event_code=event_code, subject=item.subject, body=item.body,
                                source="brand", language_code=item.language_code)
    return default_template(event_code)


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
