"""Hostile Liquid in a brand's template: refused when saved (a 400 naming part and line), or,
when only the data can make it explode, cut at render (the mail falls back to the default).
Never a 500, never a hung request."""

from __future__ import annotations

import time

import pytest

from chalicelib.notify import emailtemplates, outbox, templates
from chalicelib.store.tx import transaction
from tests.helpers.mail import drain, mails_to
from tests.helpers.tables import dump_tables

DOUBLING = ('{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}'
            "{% endfor %}{{ s | size }}")
HOSTILE = {
    "infinite-ish loop": "{% for i in (1..999999999999) %}x{% endfor %}",
    "nested loops": "{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}"
                    "x{% endfor %}{% endfor %}{% endfor %}",
    "string blow-up (append)": DOUBLING,
    "string blow-up (capture)": '{% capture s %}x{% endcapture %}{% for i in (1..30) %}'
                                "{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}",
    "string blow-up (replace)": '{% assign s = "xxxxxxxxxx" %}{% for i in (1..20) %}'
                                '{% assign s = s | replace: "x", "xx" %}{% endfor %}{{ s }}',
    "array blow-up (concat)": '{% assign a = "x,x" | split: "," %}{% for i in (1..40) %}'
                              "{% assign a = a | concat: a %}{% endfor %}",
    "number blow-up (times)": '{% assign n = 10 %}{% for i in (1..40) %}'
                              "{% assign n = n | times: n %}{% endfor %}{{ n }}",
    "huge output": "{% for i in (1..5000) %}" + "x" * 200 + "{% endfor %}",
    "huge integer string": '{{ "' + "9" * 5000 + '" | plus: 1 }}',
    "tablerow": "{% tablerow i in (1..100000) %}{{ i }}{% endtablerow %}",
    "settings": "{{ settings }}",
    "python attribute": "{{ __class__ }}",
    "dunder path": "{{ brand.__class__.__init__ }}",
    "include": "{% include 'x' %}",
    "render": "{% render 'secret' %}",
    "include in liquid tag": "{% liquid\ninclude 'x'\n%}",
    "deep nesting": "{% if true %}" * 200 + "{% endif %}" * 200,
    "unknown filter": "{{ brand.name | system }}",
    "unterminated": "{% for x in (1..3) %}",
    # inputs python-liquid's lexer or parser would spend minutes on (refused before parsing)
    "unclosed outputs": "{{" * 45_000,
    "nested parentheses": "{{ " + "(" * 40_000 + "1" + ")" * 40_000 + " }}",
    "parentheses in a condition": "{% if " + " and ".join(["(true)"] * 9_000) + " %}x{% endif %}",
    "nested brackets": "{{ brand" + "[brand" * 10_000 + "]" * 10_000 + " }}",
    "long and-chain": "{% if " + " and ".join(["true"] * 9_000) + " %}x{% endif %}",
    "long path": "{{ brand" + ".a" * 40_000 + " }}",
}


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("part", ["subject", "body"])
def test_hostile_template_refused_at_save(admin, demo_brand, name, part):
    source = HOSTILE[name]
    before = dump_tables(demo_brand["id"])
    started = time.monotonic()
    resp = admin.post("v1/email-templates", {
        "eventId": "USER.PASSWORD.CHANGED", "languageCode": "en", "subject": "ok",
        "body": "<p>ok</p>", part: source})
    assert time.monotonic() - started < 5
    assert resp.status_code == 400, f"{name}: {resp.status_code} {resp.body!r}"
    err = resp.json_body["errors"][0]
    assert err["field"] == part
    assert part in err["message"] and len(err["message"]) < 300
    assert dump_tables(demo_brand["id"]) == before
    preview = admin.post("v1/email-templates/preview", {
        "eventId": "USER.PASSWORD.CHANGED", "subject": "ok", "body": "<p>ok</p>", part: source})
    assert preview.status_code == 400


def test_refusals_name_the_line(admin, demo_brand):
    cases = {
        "<p>a</p>\n\n{% include 'x' %}": "tag 'include' on line 3",
        "a\nb\nc\n{{ __class__ }}": "unknown placeholder '__class__' on line 4",
        "a\n{{ brand.name | system }}": "unknown filter 'system' on line 2",
        "a\nb\n{% if %}x{% endif %}": "line 3",
    }
    for body, expected in cases.items():
        resp = admin.post("v1/email-templates", {
            "eventId": "USER.PASSWORD.CHANGED", "languageCode": "en", "subject": "ok",
            "body": body})
        assert resp.status_code == 400
        assert expected in resp.json_body["errors"][0]["message"], body


def test_loop_over_placeholder_data_is_allowed_and_cut_at_render(mail_api, demo_brand):
    """Only the data can make this loop long: it is saved, and at render the sandbox's loop
    limit sets the brand template aside, so the user still gets the default mail."""
    body = ("<ul>{% for d in downloads %}{% for e in downloads %}{% for f in downloads %}"
            "<li>{{ d.url }}{{ e.file_name }}{{ f.max_count }}</li>{% endfor %}{% endfor %}"
            "{% endfor %}</ul>")
    emailtemplates.save_template(demo_brand["id"], "PAYMENT.DOWNLOADS.READY", subject="Files",
                                 body=body)
    downloads = [{"url": "u", "file_name": "f", "max_count": 1, "expires_at": "x"}] * 50
    row = outbox.mail(demo_brand["id"], "PAYMENT.DOWNLOADS.READY", "bob@example.com",
                      {"downloads": downloads, "payment": {"code": "P1"},
                       "user": templates.user_vars(username="bob")})
    with transaction() as tx:
        outbox.add(tx, [row])
    outbox.publish([row])
    assert drain() == [{"batchItemFailures": []}]
    [mail] = mails_to("bob@example.com")
    assert mail.subject == "Your Demo downloads are ready"  # the default
    assert "LoopIterationLimitError" in outbox_row(row).result["templateProblem"]


def test_values_cannot_reach_python(mail_api, demo_brand):
    """A placeholder's value is data: a template can't call or inspect it."""
    out = templates.render_text("{{ user.name.__class__ }}|{{ user.name.upper }}|"
                                "{{ user['__dict__'] }}",
                                {"user": {"name": "bob"}}, html=True)
    assert out == "||"


def outbox_row(item):
    from chalicelib.notify.models import OutboxItem, outbox_pk

    return OutboxItem.get(outbox_pk(item.brand_id, item.id), "OUTBOX", consistent_read=True)


def test_aliases_reach_no_further_than_their_placeholder(admin, demo_brand):
    """An assigned alias isn't checked by name at save (it's local), but at render it is only
    the data it names: no Python attribute behind it."""
    shown = admin.ok("POST", "v1/email-templates/preview", {
        "eventId": "USER.PASSWORD.CHANGED", "subject": "s",
        "body": "{% assign x = brand %}[{{ x.__class__ }}{{ x.__init__.__globals__ }}"
                "{{ x.items }}]{{ x.name }}"})
    assert shown["body"] == "[]Demo"
