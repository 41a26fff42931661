"""Which template a mail uses: the brand's in the user's language, then in the brand's default
language, then the built-in default; a country-specific one when the mail carries a country.
Checked on the mails really sent (SES and v1/dev/mails)."""

from __future__ import annotations

import pytest

from chalicelib.identity import brands
from chalicelib.notify import emailtemplates, outbox, templates
from chalicelib.store.tx import transaction
from tests.helpers.api import register_and_login
from tests.helpers.mail import drain, mails_to

CODE = "USER.PASSWORD.CHANGED"
TO = "bob@example.com"


def send(brand_id: str, language: str | None = None, country: str | None = None) -> str:
    """Queue and deliver one USER.PASSWORD.CHANGED mail; the subject Bob got."""
    row = outbox.mail(brand_id, CODE, TO, {
        "user": templates.user_vars(username="bob", first_name="Bob"),
        "change": {"date": "today", "method": "change"}},
        language_code=language, country_code=country)
    with transaction() as tx:
        outbox.add(tx, [row])
    outbox.publish([row])
    drain()
    return mails_to(TO)[-1].subject


def save(brand_id: str, language: str, country: str | None = None) -> None:
    label = language + (f"-{country}" if country else "")
    emailtemplates.save_template(brand_id, CODE, subject=f"[{label}] {{{{ user.first_name }}}}",
                                 body=f"<p>{label}</p>", language_code=language,
                                 country_code=country)


@pytest.fixture
def brand_id(mail_api, demo_brand) -> str:
    return demo_brand["id"]


def test_users_language_wins(brand_id):
    save(brand_id, "en")
    save(brand_id, "fr")
    assert send(brand_id, "fr") == "[fr] Bob"
    assert send(brand_id, "FR") == "[fr] Bob"
    assert send(brand_id, "en") == "[en] Bob"


def test_falls_back_to_english_then_default(brand_id):
    assert send(brand_id, "de") == "Your Demo password was changed"  # no template at all
    save(brand_id, "fr")
    assert send(brand_id, "de") == "Your Demo password was changed"  # fr is no fallback
    save(brand_id, "en")
    assert send(brand_id, "de") == "[en] Bob"
    assert send(brand_id, None) == "[en] Bob"


def test_brands_default_language_comes_before_english(brand_id):
    save(brand_id, "en")
    save(brand_id, "fr")
    brands.update_setting(brand_id, {"languageCode": "fr"})
    assert send(brand_id, "de") == "[fr] Bob"
    assert send(brand_id, "en") == "[en] Bob"
    assert send(brand_id, None) == "[fr] Bob"


def test_country_specific_template_preferred(brand_id):
    save(brand_id, "en")
    save(brand_id, "en", "US")
    assert send(brand_id, "en", "US") == "[en-US] Bob"
    assert send(brand_id, "en", "us") == "[en-US] Bob"
    assert send(brand_id, "en", "GB") == "[en] Bob"
    assert send(brand_id, "en") == "[en] Bob"
    save(brand_id, "fr", "CA")
    assert send(brand_id, "fr", "CA") == "[fr-CA] Bob"
    assert send(brand_id, "fr") == "[en] Bob"  # a country's template only for that country


def test_template_made_through_the_api_is_mailed(api, admin, demo_brand, mail_env):
    made = admin.ok("POST", "v1/email-templates", {
        "eventId": "USER.PASSWORD.RESET-REQUESTED", "languageCode": "en",
        "subject": "{{ brand.name }} reset for {{ user.username }}",
        "body": '<p>Go: <a href="{{ reset_password.link }}">reset</a> '
                "({{ reset_password.expiry_minutes }} min)</p>"})
    register_and_login(api, "alice")
    api.ok("POST", "v1/users/forgot-password", {
        "emailAddress": "alice@example.com", "resetPasswordLink": "https://demo.test/reset"})
    drain()
    [mail] = mails_to("alice@example.com")
    assert mail.subject == "Demo reset for alice"
    assert mail.body.startswith('<p>Go: <a href="https://demo.test/reset?')
    [logged] = api.ok("GET", "/api/v1/dev/mails?to=alice@example.com")
    assert logged["subject"] == "Demo reset for alice"

    admin.ok("DELETE", f"v1/email-templates/{made['id']}")
    api.ok("POST", "v1/users/forgot-password", {
        "emailAddress": "alice@example.com", "resetPasswordLink": "https://demo.test/reset"})
    drain()
    assert mails_to("alice@example.com")[-1].subject == "Reset your Demo password"


def test_users_language_tag_gives_language_and_country(brand_id):
    save(brand_id, "fr")
    save(brand_id, "fr", "CA")
    save(brand_id, "en")
    assert send(brand_id, "fr-CA") == "[fr-CA] Bob"
    assert send(brand_id, "fr-BE") == "[fr] Bob"
    assert send(brand_id, "pt-BR") == "[en] Bob"
    assert send(brand_id, "fr-CA", "BE") == "[fr] Bob"  # the mail's country wins


def test_brand_language_set_through_the_api(api, admin, demo_brand, mail_env):
    save(demo_brand["id"], "de")
    admin.ok("PUT", f"v1/brands/{demo_brand['id']}/setting", {"languageCode": "de"})
    assert admin.ok("GET", f"v1/brands/{demo_brand['id']}")["setting"]["languageCode"] == "de"
    assert send(demo_brand["id"], "it") == "[de] Bob"
