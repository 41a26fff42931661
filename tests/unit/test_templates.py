"""Template rendering: the sandbox (escaping, no loader, limits) and JFW's placeholders."""

from __future__ import annotations

import pytest

from chalicelib.notify import catalog, events, templates
from chalicelib.notify.templates import Template, TemplateError, render, render_text


def test_body_values_are_html_escaped_but_template_markup_is_not():
    out = render_text('<p class="x">Hi {{ user.first_name }}</p>',
                      {"user": {"first_name": "<script>alert('x')</script> & co"}}, html=True)
    assert out == '<p class="x">Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</p>'


def test_subject_is_plain_text_on_one_line():
    t = Template("E", subject="Hello {{ user.name }}\r\nBcc: x@y", body="<p></p>",
                 source="brand")
    mail = render(t, {"user": {"name": "O'Brien & Co"}})
    assert mail.subject == "Hello O'Brien & Co Bcc: x@y"


def test_unknown_placeholders_render_empty():
    assert render_text("[{{ license.code }}]", {}, html=True) == "[]"


@pytest.mark.parametrize("source, error", [
    ('{% include "secrets.txt" %}', "TemplateNotFoundError"),
    ('{% render "/etc/passwd" %}', "TemplateNotFoundError"),
    ("{% for i in (1..1000000) %}{% endfor %}", "LoopIterationLimitError"),
    ("{% for i in (1..4000) %}" + "x" * 200 + "{% endfor %}", "OutputStreamLimitError"),
    ("{% assign s = 'x' %}{% for i in (1..20) %}{% assign s = s | append: s %}{% endfor %}",
     "LocalNamespaceLimitError"),
    ("{% if %}x{% endif %}", "LiquidSyntaxError"),
    ("{{ x | no_such_filter }}", "UnknownFilterError"),
])
def test_sandbox_refuses(source, error):
    with pytest.raises(TemplateError) as e:
        render_text(source, {}, html=True)
    assert str(e.value).startswith(error + ":")
    assert "\n" not in str(e.value)  # one line, fit for lastError


def test_oversize_source_is_refused_before_parsing():
    with pytest.raises(TemplateError, match="longer than"):
        render_text("x" * (templates.MAX_SOURCE_CHARS + 1), {}, html=True)


def test_check_names_the_broken_part():
    templates.check("Hi {{ user.name }}", "<p>{{ brand.name }}</p>")
    with pytest.raises(TemplateError, match="^The subject is not valid Liquid"):
        templates.check("{% if %}", "<p></p>")


def test_user_vars_name_falls_back_sensibly():
    assert templates.user_vars(first_name="Ann", last_name="Lee")["full_name"] == "Ann Lee"
    assert templates.user_vars(first_name="Ann", nick_name="Annie")["name"] == "Annie"
    assert templates.user_vars(username="ann")["name"] == "ann"
    assert templates.user_vars(email_address="a@x.test")["name"] == "a@x.test"


def test_brand_vars_are_jfw_placeholders():
    brand = {"id": "b1", "name": "Demo", "code": "DEMO", "abbr": "DM",
             "setting": {"emailSupport": "help@demo.test", "systemEmail": "no-reply@demo.test",
                         "systemEmailTitle": "Demo", "emailSupportTitle": "Help"},
             "profile": {"logo": "https://cdn/logo.png"},
             "domains": [{"domain": "demo.test", "isPrimary": True}]}
    v = templates.brand_vars(brand)
    assert v["name"] == "Demo" and v["code"] == "DEMO" and v["brand_code"] == "DEMO"
    assert v["email_support"] == "help@demo.test" and v["system_email"] == "no-reply@demo.test"
    assert v["logo"] == "https://cdn/logo.png"
    assert v["product_website"] == "https://demo.test"


@pytest.mark.parametrize("event", [e for e in catalog.EVENTS.values() if events.sends_mail(e)],
                         ids=lambda e: e.code)
def test_every_default_template_renders(event):
    templates.check(event.subject, event.body)
    mail = render(templates.default_template(event.code), {
        "brand": {"name": "Demo", "email_support": "help@demo.test"},
        "user": templates.user_vars(username="ann", first_name="Ann"),
        "reset_password": {"link": "https://demo.test/r?token=t&emailAddress=a",
                           "expiry_minutes": 60},
        "change": {"date": "2026-01-01 10:00 UTC"},
    })
    assert "Demo" in mail.subject
    assert "Hello Ann," in mail.body and "help@demo.test" in mail.body
    assert event.code.count(".") == 2 and event.code == event.code.upper()


def test_reset_mail_carries_the_link_escaped_for_html():
    mail = render(templates.default_template("USER.PASSWORD.RESET-REQUESTED"), {
        "brand": {"name": "Demo"}, "user": templates.user_vars(username="ann"),
        "reset_password": {"link": "https://demo.test/r?token=abc&emailAddress=a%40x.test",
                           "expiry_minutes": 60}})
    assert 'href="https://demo.test/r?token=abc&amp;emailAddress=a%40x.test"' in mail.body
    assert "expires in 60 minutes" in mail.body


def test_unknown_event_has_no_default():
    with pytest.raises(TemplateError, match="No mail is defined"):
        templates.default_template("NOPE.NOPE.NOPE")
