"""E-mail templates through the API (api-surface §18): CRUD, the 409 on a duplicate slot, the
checks at save, placeholder keys, defaults, preview and the test mail."""

from __future__ import annotations

import pytest

from chalicelib.notify import catalog, samples
from tests.helpers.api import register_and_login
from tests.helpers.mail import drain, mails_to
from tests.helpers.tables import dump_tables

CHANGED = catalog.PASSWORD_CHANGED
BODY = "<p>Hi {{ user.first_name }}, changed on {{ change.date }} at {{ brand.name }}.</p>"


def new_template(admin, **over) -> dict:
    body = {"eventId": CHANGED.id, "languageCode": "en", "subject": "Changed {{ brand.name }}",
            "body": BODY, **over}
    return admin.ok("POST", "v1/email-templates", body)


def error(resp) -> dict:
    env = resp.json_body
    assert env["success"] is False
    return env["errors"][0]


# -- CRUD --------------------------------------------------------------------------------------

def test_create_get_list_update_delete(admin, demo_brand):
    made = new_template(admin, countryCode="us", tags="security")
    assert made["languageCode"] == "en" and made["countryCode"] == "US"
    assert made["event"] == {
        "id": CHANGED.id, "createdDate": None, "guid": CHANGED.id, "groupCodeName": "USER",
        "code": "USER.PASSWORD.CHANGED", "name": CHANGED.name,
        "description": CHANGED.description, "trackingLevel": 1, "tags": None,
        "zOrder": made["event"]["zOrder"], "status": "Active", "isSystem": True,
        "mailEnabled": True, "smsEnabled": False, "placeholders": list(CHANGED.placeholders)}
    assert isinstance(made["event"]["zOrder"], int)
    assert made["createdDate"] and made["tags"] == "security"

    assert admin.ok("GET", f"v1/email-templates/{made['id']}") == made
    listed = admin.ok("GET", "v1/email-templates")
    assert listed["totalItems"] == 1 and listed["items"] == [made]

    changed = admin.ok("PUT", f"v1/email-templates/{made['id']}", {
        "eventId": "USER.PASSWORD.CHANGED", "languageCode": "fr", "subject": "Changé",
        "body": "<p>Bonjour {{ user.name }}</p>"})
    assert changed["id"] == made["id"] and changed["languageCode"] == "fr"
    assert changed["countryCode"] is None and changed["createdDate"] == made["createdDate"]
    assert admin.ok("GET", f"v1/email-templates/{made['id']}")["subject"] == "Changé"
    # the old slot is gone: only the French template is listed
    assert [t["languageCode"] for t in admin.ok("GET", "v1/email-templates")["items"]] == ["fr"]

    assert admin.ok("DELETE", f"v1/email-templates/{made['id']}") is True
    assert admin.get(f"v1/email-templates/{made['id']}").status_code == 404
    assert admin.ok("GET", "v1/email-templates")["totalItems"] == 0
    assert admin.delete(f"v1/email-templates/{made['id']}").status_code == 404


def test_duplicate_event_language_country_is_409(admin, demo_brand):
    first = new_template(admin)
    resp = admin.post("v1/email-templates", {"eventId": CHANGED.code, "languageCode": "EN",
                                            "subject": "x", "body": "<p>y</p>"})
    assert resp.status_code == 409 and error(resp)["code"] == "EMAIL_TEMPLATE_EXISTS"
    other = new_template(admin, countryCode="GB")  # another country: a slot of its own
    resp = admin.put(f"v1/email-templates/{other['id']}", {
        "eventId": CHANGED.id, "languageCode": "en", "subject": "x", "body": "<p>y</p>"})
    assert resp.status_code == 409
    assert admin.ok("GET", f"v1/email-templates/{other['id']}")["countryCode"] == "GB"
    assert admin.ok("GET", f"v1/email-templates/{first['id']}")["subject"] == first["subject"]


def test_list_filters_and_paging(admin, demo_brand):
    new_template(admin, languageCode="en", tags="a")
    new_template(admin, languageCode="de", subject="Geändert", tags="b")
    new_template(admin, eventId=catalog.PASSWORD_RESET_REQUESTED.code, subject="Reset",
                 body="<p>{{ reset_password.link }}</p>")
    assert admin.ok("GET", "v1/email-templates")["totalItems"] == 3
    by_event = admin.ok("GET", f"v1/email-templates?eventId={CHANGED.id}")
    assert by_event["totalItems"] == 2
    assert admin.ok("GET", "v1/email-templates?languageCode=de")["items"][0]["subject"] \
        == "Geändert"
    assert admin.ok("GET", "v1/email-templates?subject=reset")["totalItems"] == 1
    assert admin.ok("GET", "v1/email-templates?tags=b")["totalItems"] == 1
    assert admin.ok("GET", "v1/email-templates?body=reset_password")["totalItems"] == 1
    page = admin.ok("GET", "v1/email-templates?pageSize=2&pageNumber=1&sortDataField=subject"
                           "&sortOrder=asc")
    assert page["totalItems"] == 3 and page["pageSize"] == 2 and len(page["items"]) == 1
    assert page["items"][0]["subject"] == "Reset"
    assert admin.get("v1/email-templates?pageSize=0").status_code == 400


# -- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ({"eventId": "NO.SUCH.EVENT"}, "eventId"),
    ({"languageCode": "english"}, "languageCode"),
    ({"countryCode": "USA"}, "countryCode"),
    ({"subject": ""}, "subject"),
    ({"subject": "x" * 999}, "subject"),
    ({"body": "x" * 100_001}, "body"),
    ({"tags": "t" * 501}, "tags"),
    ({"body": "<p>{% if %}x{% endif %}</p>"}, "body"),
    ({"subject": "Hi {{ settings }}"}, "subject"),
    ({"body": "<p>{{ payment.code }}</p>"}, "body"),  # not this event's placeholder
])
def test_bad_templates_are_400_and_write_nothing(admin, demo_brand, body, field):
    before = dump_tables(demo_brand["id"])
    resp = admin.post("v1/email-templates", {"eventId": CHANGED.id, "languageCode": "en",
                                            "subject": "s", "body": "<p>b</p>", **body})
    assert resp.status_code == 400, resp.body
    assert error(resp)["field"] == field
    assert dump_tables(demo_brand["id"]) == before


def test_liquid_errors_name_part_and_line(admin, demo_brand):
    resp = admin.post("v1/email-templates", {
        "eventId": CHANGED.id, "languageCode": "en", "subject": "ok",
        "body": "<p>one</p>\n<p>two</p>\n{% for x in %}{% endfor %}"})
    message = error(resp)["message"]
    assert "body" in message and "line 3" in message
    resp = admin.post("v1/email-templates", {
        "eventId": CHANGED.id, "languageCode": "en", "subject": "ok",
        "body": "<p>one</p>\n\n{{ user.name }}{{ user.password_hash }}"})
    message = error(resp)["message"]
    assert "unknown placeholder 'user.password_hash' on line 3" in message


def test_plain_user_is_403_and_anonymous_401(api, admin, demo_brand):
    made = new_template(admin)
    user = register_and_login(api, "alice")
    for method, path in (("GET", "v1/email-templates"), ("GET", f"v1/email-templates/{made['id']}"),
                         ("DELETE", f"v1/email-templates/{made['id']}"),
                         ("GET", "v1/email-templates/placeholder-keys")):
        assert user.request(method, path).status_code == 403
        assert api.request(method, path).status_code == 401
    assert user.post("v1/email-templates/test", {"eventId": CHANGED.id, "subject": "s",
                                                 "body": "b"}).status_code == 403


# -- defaults, placeholders, preview, test mail -------------------------------------------------

def test_defaults_and_the_brand_template_by_event(admin, demo_brand):
    default = admin.ok("GET", f"v1/events/{CHANGED.id}/email-templates/default?languageCode=de")
    assert default == {"languageCode": "de", "subject": CHANGED.subject, "body": CHANGED.body}
    by_code = admin.ok("GET", "v1/events/USER.PASSWORD.CHANGED/email-templates/default")
    assert by_code["languageCode"] == "en"
    assert admin.get("v1/events/NO.SUCH/email-templates/default").status_code == 404

    shown = admin.ok("GET", f"v1/events/{CHANGED.id}/email-templates")
    assert shown["id"] is None and shown["isDefault"] is True
    assert shown["subject"] == CHANGED.subject and shown["event"]["code"] == CHANGED.code
    made = new_template(admin)
    shown = admin.ok("GET", f"v1/events/{CHANGED.id}/email-templates")
    assert shown["id"] == made["id"] and shown["isDefault"] is False
    fr = admin.ok("GET", f"v1/events/{CHANGED.id}/email-templates?languageCode=fr")
    assert fr["isDefault"] is True and fr["languageCode"] == "fr"


def test_placeholder_keys(admin, demo_brand):
    keys = admin.ok("GET", "v1/email-templates/placeholder-keys")
    assert "brand.name" in keys["brand"] and "user.first_name" in keys["user"]
    assert "payment.code" in keys["payment"]
    assert "downloads[].url" in keys["downloads"]
    one = admin.ok("GET", f"v1/email-templates/placeholder-keys?eventId={CHANGED.id}")
    assert set(one) == {"brand", "user", "change"}
    assert one["change"] == ["change.date", "change.method"]


def test_preview_renders_with_samples_and_writes_nothing(admin, demo_brand):
    before = dump_tables(demo_brand["id"])
    shown = admin.ok("POST", "v1/email-templates/preview", {
        "eventId": CHANGED.id, "subject": "{{ brand.name }}: {{ user.first_name }}",
        "body": "<p>{{ change.date }} {{ user.name }}</p>"})
    assert shown["subject"] == "Demo: Jane"
    assert shown["body"].startswith("<p>2") and "Jane</p>" in shown["body"]
    assert dump_tables(demo_brand["id"]) == before
    resp = admin.post("v1/email-templates/preview", {
        "eventId": CHANGED.id, "subject": "s", "body": "{% include 'secret' %}"})
    assert resp.status_code == 400 and "include" in error(resp)["message"]


def test_test_mail_goes_to_the_callers_address(admin, demo_brand, mail_env):
    sent = admin.ok("POST", "v1/email-templates/test", {
        "eventId": CHANGED.code, "subject": "Test for {{ user.first_name }}",
        "body": "<p>{{ brand.name }} {{ change.method }}</p>"})
    assert sent["to"] == "boss@example.com"
    drain()
    [mail] = mails_to("boss@example.com")
    assert mail.subject == "Test for Jane"
    assert mail.body == f"<p>Demo {samples.SAMPLES['change']['method']}</p>"
    [logged] = admin.ok("GET", "/api/v1/dev/mails?to=boss@example.com")
    assert logged["subject"] == "Test for Jane"


def test_a_test_mail_is_sent_even_when_the_event_mail_is_turned_off(admin, demo_brand, mail_env):
    """An admin tries a template before turning the event's mail back on: the test mail goes,
    the event's own mails stay off."""
    admin.ok("PUT", f"v1/events/{CHANGED.code}", {"mailEnabled": False})
    admin.ok("POST", "v1/email-templates/test", {
        "eventId": CHANGED.code, "subject": "Try {{ brand.name }}", "body": "<p>try</p>"})
    drain()
    [mail] = mails_to("boss@example.com")
    assert mail.subject == "Try Demo"
    assert admin.ok("GET", f"v1/events/{CHANGED.code}")["mailEnabled"] is False


def test_test_mails_are_rate_limited(admin, demo_brand, mail_env, monkeypatch):
    from chalicelib.notify import api as notify_api

    monkeypatch.setattr(notify_api, "TEST_MAILS_PER_HOUR", 2)
    body = {"eventId": CHANGED.code, "subject": "t", "body": "<p>t</p>"}
    admin.ok("POST", "v1/email-templates/test", body)
    admin.ok("POST", "v1/email-templates/test", body)
    resp = admin.post("v1/email-templates/test", body)
    assert resp.status_code == 429 and resp.headers.get("Retry-After")
    drain()
    assert len(mails_to("boss@example.com")) == 2


def test_test_mail_with_bad_liquid_queues_nothing(admin, demo_brand, mail_env):
    resp = admin.post("v1/email-templates/test", {
        "eventId": CHANGED.code, "subject": "t", "body": "<p>{{ payment.code }}</p>"})
    assert resp.status_code == 400 and error(resp)["field"] == "body"
    drain()
    assert mails_to("boss@example.com") == []


@pytest.mark.parametrize("code", sorted(catalog.EVENTS))
def test_every_default_passes_the_save_check(demo_brand, code):
    """A brand can start from any built-in text: the save check and sample data accept it."""
    from chalicelib.notify import emailtemplates

    event = catalog.EVENTS[code]
    if not (event.subject and event.body):
        pytest.skip("the event sends no mail")
    shown = emailtemplates.render_sample(demo_brand, event, event.subject, event.body)
    assert shown.subject.strip() and shown.body.strip()
