"""Phone number verification: a 6-digit code texted through the outbox (SNS), checked with
POST v1/users/me/phone-number/verify; hashed, 10 minutes, 5 tries, rate-limited."""

from __future__ import annotations

from datetime import timedelta

from chalicelib import settings
from chalicelib.identity.models import PhoneCodeItem
from chalicelib.notify.models import OutboxItem
from tests.helpers.api import register_and_login
from tests.helpers.mail import drain
from tests.helpers.sms import code_in, texts_to

PHONE = "+14155550123"
SEND = "v1/users/me/phone-number/verification"
VERIFY = "v1/users/me/phone-number/verify"


def codes() -> list[PhoneCodeItem]:
    """Every stored phone code (a Scan: tests only)."""
    return list(PhoneCodeItem.scan(PhoneCodeItem.sk == "PHONEVERIFY"))


def _user(api, phone: str | None = PHONE):
    extra = {"phoneNumber": phone} if phone else {}
    return register_and_login(api, "paula", **extra)


def _send_and_read_code(user) -> str:
    assert user.ok("POST", SEND) is True
    drain()
    return code_in(texts_to(PHONE)[-1])


def test_code_is_texted_and_confirms_the_number(mail_api):
    user = _user(mail_api)
    assert user.ok("GET", "v1/users/me")["phoneNumberConfirmed"] is False
    code = _send_and_read_code(user)
    [message] = texts_to(PHONE)
    assert message.startswith(f"{code} is your Demo verification code")
    assert "expires in 10 minutes" in message
    # Stored hashed: the code itself is nowhere in the item.
    [item] = codes()
    assert code not in str(item.attribute_values)
    me = user.ok("POST", VERIFY, {"code": code})
    assert me["phoneNumberConfirmed"] is True and me["phoneNumber"] == PHONE
    assert user.ok("GET", "v1/users/me")["phoneNumberConfirmed"] is True
    assert codes() == []  # spent
    # Already confirmed: no new code.
    resp = user.post(SEND)
    assert resp.status_code == 409
    # The dev list shows the text (local stages), with the code (a developer needs it).
    [dev] = mail_api.ok("GET", f"v1/dev/texts?to={PHONE.replace('+', '%2B')}")
    assert dev["to"] == PHONE and code in dev["body"] and dev["eventCode"] == \
        "USER.PHONE.VERIFICATION-CODE-SENT" and dev["subject"] is None


def test_outbox_row_keeps_no_code_once_sent(mail_api):
    user = _user(mail_api)
    _send_and_read_code(user)
    [row] = [r for r in OutboxItem.scan() if r.kind == "sms"]
    assert row.status == "Sent" and "context" not in row.payload and "secrets" not in row.payload


def test_changing_the_number_unconfirms_it(mail_api):
    user = _user(mail_api)
    me = user.ok("POST", VERIFY, {"code": _send_and_read_code(user)})
    resp = user.put(f"v1/users/{me['id']}", {"username": "paula", "phoneNumber": "+14155550199"})
    assert resp.status_code == 200, resp.body
    assert user.ok("GET", "v1/users/me")["phoneNumberConfirmed"] is False


def test_wrong_code_five_tries_then_refused(mail_api):
    user = _user(mail_api)
    code = _send_and_read_code(user)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        resp = user.post(VERIFY, {"code": wrong})
        assert resp.status_code == 400
        assert resp.json_body["errors"][0]["code"] == "PHONE_CODE_WRONG"
        assert f"{left} tr" in resp.json_body["message"]
    assert user.post(VERIFY, {"code": wrong}).json_body["errors"][0]["code"] == \
        "PHONE_CODE_WRONG"
    # Five tries spent: even the right code is refused now.
    resp = user.post(VERIFY, {"code": code})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["code"] == \
        "PHONE_CODE_ATTEMPTS"
    assert user.ok("GET", "v1/users/me")["phoneNumberConfirmed"] is False


def test_code_expires_after_ten_minutes(mail_api):
    user = _user(mail_api)
    code = _send_and_read_code(user)
    later = settings.now() + timedelta(minutes=10, seconds=1)
    settings.set_clock(lambda: later)
    resp = user.post(VERIFY, {"code": code})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["code"] == "PHONE_CODE_EXPIRED"


def test_a_new_code_replaces_the_old(mail_api):
    user = _user(mail_api)
    first = _send_and_read_code(user)
    second = _send_and_read_code(user)
    if first != second:
        assert user.post(VERIFY, {"code": first}).status_code == 400
    assert user.ok("POST", VERIFY, {"code": second})["phoneNumberConfirmed"] is True


def test_rate_limited(mail_api):
    user = _user(mail_api)
    for _ in range(5):
        assert user.ok("POST", SEND) is True
    resp = user.post(SEND)
    assert resp.status_code == 429 and resp.json_body["errors"][0]["code"] == "PHONE_CODE_LIMIT"
    assert int(resp.headers["Retry-After"]) > 0
    drain()
    assert len(texts_to(PHONE)) == 5


def test_bad_input_writes_nothing(mail_api):
    no_phone = _user(mail_api, phone=None)
    resp = no_phone.post(SEND)
    assert resp.status_code == 400 and resp.json_body["errors"][0]["code"] == \
        "PHONE_NUMBER_MISSING"
    local = register_and_login(mail_api, "lou", phoneNumber="4155550123")  # no country code
    assert local.post(SEND).status_code == 400
    assert [r for r in OutboxItem.scan() if r.kind == "sms"] == []
    for code in ("12345", "abcdef", "1234567", ""):
        assert no_phone.post(VERIFY, {"code": code}).status_code == 400
    resp = no_phone.post(VERIFY, {"code": "123456"})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["code"] == \
        "PHONE_CODE_INVALID"
    assert mail_api.post(SEND).status_code == 401  # not logged in
