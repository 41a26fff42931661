"""Forgot / reset / change password through the API, with the mails they send."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import settings
from chalicelib.store import aws
from tests.helpers.api import Api, login, register_and_login
from tests.helpers.mail import drain, mails_to, receive, ses_sent

RESET_PAGE = "https://demo.test/account/reset"
OLD, NEW = "s3cret-Pass", "n3w-Passw0rd"


def forgot(api: Api, email: str = "alice@example.com", link: str = RESET_PAGE):
    return api.post("v1/users/forgot-password", {"emailAddress": email,
                                                 "resetPasswordLink": link})


def reset_link_from(mail) -> tuple[str, dict[str, str]]:
    href = re.search(r'href="([^"]+)"', mail.body).group(1)
    link = html.unescape(href)
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    return link, query


def reset_tokens() -> list[dict]:
    """Every stored reset token (a Scan: tests only)."""
    table = settings.get().table_name("identity")
    items = aws.client("dynamodb").scan(TableName=table)["Items"]
    return [i for i in items if "#RESET#" in i["pk"]["S"]]


@pytest.fixture
def alice(mail_api) -> Api:
    user = register_and_login(mail_api, "alice", OLD, firstName="Alice")
    drain()  # the registration's user-event row, so the queue starts empty
    return user


# -- forgot + reset ------------------------------------------------------------------------------

def test_forgot_then_reset_changes_password_and_revokes_auth_keys(mail_api, alice):
    resp = forgot(mail_api)
    assert resp.status_code == 200 and resp.json_body["data"] is True
    drain()
    [mail] = mails_to("alice@example.com")
    assert mail.subject == "Reset your Demo password"
    assert "Hello Alice," in mail.body and "expires in 60 minutes" in mail.body
    link, query = reset_link_from(mail)
    assert link.startswith(RESET_PAGE + "?")
    assert query["emailAddress"] == "alice@example.com"
    token = query["token"]
    # Only the token's digest is stored.
    [stored] = reset_tokens()
    assert token not in str(stored) and stored["sk"]["S"] == "RESET"

    dev = Api(mail_api.client).ok("GET", "/api/v1/dev/mails?to=alice@example.com")
    assert [m["subject"] for m in dev] == ["Reset your Demo password"]
    assert token in html.unescape(dev[0]["body"])

    assert mail_api.ok("POST", "v1/users/reset-password",
                       {"emailAddress": "alice@example.com", "token": token,
                        "newPassword": NEW}) is True
    assert alice.get("v1/users/me").status_code == 401  # the old Auth-Key is revoked
    assert mail_api.post("v1/users/auth", {"username": "alice", "password": OLD}
                         ).status_code == 401
    assert login(mail_api, "alice", NEW).ok("GET", "v1/users/me")["username"] == "alice"
    assert reset_tokens() == []

    again = mail_api.post("v1/users/reset-password", {"emailAddress": "alice@example.com",
                                                      "token": token, "newPassword": OLD})
    assert again.status_code == 400
    assert again.json_body["errors"][0]["code"] == "RESET_TOKEN_INVALID"
    assert "already used" in again.json_body["message"]
    login(mail_api, "alice", NEW)  # the refused reuse changed nothing

    drain()
    changed = [m for m in mails_to("alice@example.com") if "was changed" in m.subject]
    assert [m.subject for m in changed] == ["Your Demo password was changed"]


def test_forgot_for_unknown_address_answers_true_and_sends_nothing(mail_api, alice):
    resp = forgot(mail_api, "nobody@example.com")
    assert resp.status_code == 200 and resp.json_body["data"] is True
    drain()
    assert ses_sent() == [] and reset_tokens() == []


def aws_calls(monkeypatch) -> list[tuple[str, str]]:
    """Every AWS API call made from now on, as (service, operation)."""
    import botocore.client

    calls: list[tuple[str, str]] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self, operation_name, api_params):
        calls.append((self.meta.service_model.service_name, operation_name))
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


def test_forgot_does_the_same_work_for_known_and_unknown_addresses(mail_api, alice,
                                                                     monkeypatch):
    """No account enumeration by timing: the request makes the same AWS calls, in the same
    order, whether an account has the address or not; the lookup, the token and the mail
    happen later, in the outbox consumer."""
    from chalicelib.store import ids

    secrets: list[str] = []
    real_secret = ids.new_secret
    monkeypatch.setattr(ids, "new_secret", lambda: secrets.append("x") or real_secret())
    forgot(mail_api, "warm-up@example.com")  # caches (the queue's URL) are warm for both
    calls = aws_calls(monkeypatch)
    work = {}
    for email in ("alice@example.com", "nobody@example.com"):
        calls.clear()
        secrets.clear()
        assert forgot(mail_api, email).json_body["data"] is True
        work[email] = (list(calls), len(secrets))
    assert work["alice@example.com"] == work["nobody@example.com"]
    assert ("sqs", "SendMessageBatch") in work["nobody@example.com"][0]
    drain()
    assert len(mails_to("alice@example.com")) == 1 and mails_to("nobody@example.com") == []
    assert len(reset_tokens()) == 1


def test_forgot_is_scoped_to_the_brand(mail_api, alice, other_brand):
    resp = forgot(mail_api.as_(brand_url="other.test"), link="https://other.test/reset")
    assert resp.status_code == 200 and resp.json_body["data"] is True
    drain()
    assert ses_sent() == [] and reset_tokens() == []


@pytest.mark.parametrize("link, why", [
    ("https://evil.test/steal", "evil.test"),
    ("https://demo.test.evil.test/reset", "demo.test.evil.test"),
    ("https://evil.test@/x", "http(s) URL"),
    ("javascript:alert(1)//demo.test", "http(s) URL"),
    ("ftp://demo.test/reset", "http(s) URL"),
    ("not a url", "http(s) URL"),
])
def test_forgot_refuses_a_link_outside_the_brand(mail_api, alice, link, why):
    resp = forgot(mail_api, link=link)
    assert resp.status_code == 400, resp.body
    err = resp.json_body["errors"][0]
    assert err["field"] == "resetPasswordLink" and why in err["message"]
    assert receive() == [] and reset_tokens() == []


# Links on which Python's urlsplit and a browser's WHATWG parser can disagree about the host,
# or that a browser silently repairs: each is refused before anything is written or mailed.
CONFUSING_LINKS = [
    "http://evil.example\\@demo.test/r",          # a browser reads a backslash as /
    "http://evil.example/\\@demo.test/r",
    "http://evil.example%5C@demo.test/r",
    "http://evil.example%5c%40demo.test/r",
    "http://evil.example%40demo.test/r",
    "http://evil.example%2F@demo.test/r",
    "http://demo%2Etest/r",                         # decoded by browsers: refused all the same
    "http://demo.test@evil.example/r",
    "http://demo.test:443@evil.example/r",
    "http://evil.example@demo.test/r",              # any user info at all
    "http://evil.example#@demo.test/r",
    "http://evil.example?@demo.test/r",
    "http://demo.test\t.evil.example/r",             # tab and newline are dropped by browsers
    "http://evil.example\n@demo.test/r",
    "ht\ttps://demo.test/r",
    "http://evil.example\u200b@demo.test/r",       # zero-width space
    "http://d\u0435mo.test/r",                      # Cyrillic e: an IDN homograph
    "http://demo.test\u3002evil.example/r",         # ideographic full stop is a dot to IDNA
    "http://\uff45\uff56\uff49\uff4c.example/r",        # full-width evil.example
    "http://demo.test./r",                          # trailing dot: another origin
    "HTTP://EVIL.EXAMPLE/r",
    "http://DEMO.TEST.evil.example/r",
    "http://demo.test.evil.example/r",
    "javascript:alert(1)//demo.test",
    "data:text/html,<a href=//demo.test>",
    "//evil.example/r",
    "//demo.test/r",                                # scheme-relative, even to our own host
    "http:evil.example/r",
    "http:demo.test/r",
    "http:/evil.example/r",
    "http:///evil.example/r",
    "http://[::1]/r",
    "http://demo.test:99999/r",
    "http://demo.test:x/r",
]


@pytest.mark.parametrize("link", CONFUSING_LINKS)
def test_forgot_refuses_links_a_browser_reads_differently(mail_api, alice, link):
    resp = forgot(mail_api, link=link)
    assert resp.status_code == 400, (link, resp.body)
    err = resp.json_body["errors"][0]
    assert err["field"] == "resetPasswordLink"
    assert err["code"] in ("LINK_INVALID", "LINK_NOT_ALLOWED")
    assert receive() == [] and reset_tokens() == []
    drain()
    assert ses_sent() == []


@pytest.mark.parametrize("link", [
    "https://demo.test/account/reset",
    "HTTPS://DEMO.TEST/account/reset",              # hosts are case-insensitive
    "https://demo.test:8443/reset?lang=fr#top",
    "http://demo.test/reset/%40x?next=a@b&c=%5C",   # '@', '%' and escapes after the host are fine
    "https://\uff44\uff45\uff4d\uff4f.test/reset",  # full-width demo.test: IDNA maps it
])
def test_forgot_accepts_the_brands_own_pages(mail_api, alice, link):
    assert forgot(mail_api, link=link).status_code == 200, link
    drain()
    [mail] = mails_to("alice@example.com")
    assert reset_link_from(mail)[1]["token"]


def test_foreign_host_message_says_why(mail_api, alice):
    resp = forgot(mail_api, link="https://evil.test/steal")
    msg = resp.json_body["message"]
    assert "not one of this brand's domains" in msg and "domainWhiteListURLs" in msg


def test_whitelisted_hosts_are_accepted(mail_env, client):
    from chalicelib.identity import brands

    brands.create(name="Wl", abbr="WL", domain="wl.test", setting={
        "domainWhiteListURLs": "https://app.wl-site.com/login, *.wl-cdn.com"})
    api = Api(client, "wl.test")
    register_and_login(api, "alice", OLD)
    for link in ("https://wl.test/r", "https://app.wl-site.com/reset",
                 "http://a.b.wl-cdn.com:8080/reset"):
        assert forgot(api, link=link).status_code == 200, link
    assert forgot(api, link="https://wl-cdn.com/reset").status_code == 400
    assert forgot(api, link="https://wl-site.com/reset").status_code == 400
    drain()
    assert len(reset_tokens()) == 3


def test_whitelist_as_a_list(mail_env, client):
    from chalicelib.identity import brands

    brands.create(name="Wl", abbr="WL", domain="wl.test",
                  setting={"domainWhiteListURLs": ["localhost", "https://Portal.WL.example/"]})
    api = Api(client, "wl.test")
    register_and_login(api, "alice", OLD)
    assert forgot(api, link="http://localhost:3000/reset").status_code == 200
    assert forgot(api, link="https://portal.wl.example/reset").status_code == 200


def test_link_keeps_its_own_query(mail_api, alice):
    assert forgot(mail_api, link=RESET_PAGE + "?lang=fr&token=old").status_code == 200
    drain()
    link, query = reset_link_from(mails_to("alice@example.com")[0])
    assert query["lang"] == "fr" and query["token"] != "old"
    assert link.count("token=") == 1


def test_expired_token_is_refused(mail_api, alice):
    forgot(mail_api)
    drain()
    _, query = reset_link_from(mails_to("alice@example.com")[0])
    start = settings.now()
    ttl = settings.get().reset_token_ttl_minutes
    settings.set_clock(lambda: start + timedelta(minutes=ttl, seconds=1))
    resp = mail_api.post("v1/users/reset-password", {"emailAddress": "alice@example.com",
                                                     "token": query["token"],
                                                     "newPassword": NEW})
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["code"] == "RESET_TOKEN_EXPIRED"
    assert "expired" in resp.json_body["message"]
    login(mail_api, "alice", OLD)


def test_reset_mails_per_address_are_limited_known_or_not(mail_api, alice):
    """Five reset mails an hour per address; the sixth request is a 429 with Retry-After and
    sends nothing. An unknown address gets the same answers, so the limit reveals nothing."""
    start = settings.now()
    limit = settings.get().reset_mail_max
    for email in ("alice@example.com", "nobody@example.com"):
        for i in range(limit):
            settings.set_clock(lambda i=i: start + timedelta(minutes=i))
            assert forgot(mail_api, email).status_code == 200, (email, i)
        resp = forgot(mail_api, email)
        assert resp.status_code == 429, email
        assert resp.json_body["errors"][0]["code"] == "RESET_MAIL_LIMIT"
        assert "try again in" in resp.json_body["message"]
        assert 55 * 60 <= int(resp.headers["Retry-After"]) <= 56 * 60 + 1
    drain()
    assert len(mails_to("alice@example.com")) == limit and len(reset_tokens()) == limit
    assert mails_to("nobody@example.com") == []
    settings.set_clock(lambda: start + timedelta(hours=1, seconds=1))  # a new window
    assert forgot(mail_api).status_code == 200
    drain()
    assert len(mails_to("alice@example.com")) == limit + 1


@pytest.mark.parametrize("body, code", [
    ({"emailAddress": "alice@example.com", "token": "made-up", "newPassword": NEW},
     "RESET_TOKEN_INVALID"),
    ({"emailAddress": "someone@example.com", "token": None, "newPassword": NEW},
     "RESET_TOKEN_INVALID"),
    ({"emailAddress": "alice@example.com", "token": None, "newPassword": "short"},
     "PASSWORD_POLICY"),
])
def test_reset_refusals_change_nothing(mail_api, alice, body, code):
    forgot(mail_api)
    drain()
    _, query = reset_link_from(mails_to("alice@example.com")[0])
    body = {**body, "token": body["token"] or query["token"]}
    resp = mail_api.post("v1/users/reset-password", body)
    assert resp.status_code == 400 and resp.json_body["errors"][0]["code"] == code
    alice.ok("GET", "v1/users/me")  # still logged in
    # The token still works after a refusal.
    assert mail_api.ok("POST", "v1/users/reset-password",
                       {"emailAddress": "alice@example.com", "token": query["token"],
                        "newPassword": NEW}) is True


def test_token_of_another_brand_is_refused(mail_api, alice, other_brand):
    forgot(mail_api)
    drain()
    _, query = reset_link_from(mails_to("alice@example.com")[0])
    other = mail_api.as_(brand_url="other.test")
    register_and_login(other, "alice", OLD)
    resp = other.post("v1/users/reset-password", {"emailAddress": "alice@example.com",
                                                  "token": query["token"],
                                                  "newPassword": NEW})
    assert resp.status_code == 400
    login(other, "alice", OLD)


def test_a_later_password_change_voids_older_tokens(mail_api, alice):
    forgot(mail_api)
    forgot(mail_api)
    drain()
    tokens = [reset_link_from(m)[1]["token"] for m in mails_to("alice@example.com")]
    assert len(set(tokens)) == 2
    mail_api.ok("POST", "v1/users/reset-password", {"emailAddress": "alice@example.com",
                                                    "token": tokens[0], "newPassword": NEW})
    resp = mail_api.post("v1/users/reset-password", {"emailAddress": "alice@example.com",
                                                     "token": tokens[1], "newPassword": OLD})
    assert resp.status_code == 400
    login(mail_api, "alice", NEW)


def test_forgot_password_mail_survives_a_lost_publish(mail_api, alice, monkeypatch):
    """The reset request is an outbox row; if SQS is unreachable right after its commit, the
    sweeper delivers the mail later, once."""
    from chalicelib.notify import jobs, outbox

    monkeypatch.setattr(outbox, "publish", lambda rows: 0)  # the process dies after commit
    assert forgot(mail_api).json_body["data"] is True
    monkeypatch.undo()
    assert receive() == [] and reset_tokens() == []
    start = settings.now()
    settings.set_clock(lambda: start + timedelta(seconds=settings.get()
                                                 .outbox_sweep_after_seconds + 1))
    assert jobs.sweep_outbox()["published"] == 1
    drain()
    assert jobs.sweep_outbox()["published"] == 0
    assert len(mails_to("alice@example.com")) == 1 and len(reset_tokens()) == 1


# -- change password ---------------------------------------------------------------------------

def change(api: Api, old: str = OLD, new: str = NEW, confirm: str | None = None):
    return api.put("v1/users/change-password", {"oldPassword": old, "newPassword": new,
                                                "confirmPassword": confirm or new})


def test_change_password_revokes_auth_keys_and_mails(mail_api, alice):
    other_session = login(mail_api, "alice", OLD)
    resp = change(alice)
    assert resp.status_code == 200 and resp.json_body["data"] is True
    assert alice.get("v1/users/me").status_code == 401
    assert other_session.get("v1/users/me").status_code == 401
    assert mail_api.post("v1/users/auth", {"username": "alice", "password": OLD}
                         ).status_code == 401
    login(mail_api, "alice", NEW).ok("GET", "v1/users/me")
    drain()
    [mail] = mails_to("alice@example.com")
    assert mail.subject == "Your Demo password was changed"
    assert "every device was signed out" in mail.body


@pytest.mark.parametrize("kwargs, code, field", [
    ({"old": "wrong-Pass1"}, "WRONG_PASSWORD", "oldPassword"),
    ({"confirm": "n3w-Passw0rX"}, "PASSWORD_MISMATCH", "confirmPassword"),
    ({"new": "weak"}, "PASSWORD_POLICY", "newPassword"),
])
def test_change_password_refusals_change_nothing(mail_api, alice, kwargs, code, field):
    resp = change(alice, **kwargs)
    assert resp.status_code == 400
    err = resp.json_body["errors"][0]
    assert err["code"] == code and err["field"] == field
    alice.ok("GET", "v1/users/me")
    login(mail_api, "alice", OLD)
    assert receive() == []


def test_change_password_needs_an_auth_key(mail_api, alice):
    assert change(mail_api).status_code == 401


@pytest.mark.parametrize("path, method, body", [
    ("v1/users/forgot-password", "post", {"emailAddress": "not-an-email",
                                          "resetPasswordLink": RESET_PAGE}),
    ("v1/users/forgot-password", "post", {"emailAddress": "alice@example.com"}),
    ("v1/users/forgot-password", "post", {"emailAddress": "alice@example.com",
                                          "resetPasswordLink": "https://demo.test/" + "x" * 2000}),
    ("v1/users/reset-password", "post", {"emailAddress": "alice@example.com", "token": 5,
                                         "newPassword": NEW}),
    ("v1/users/reset-password", "post", {"emailAddress": "alice@example.com", "token": "t"}),
    ("v1/users/change-password", "put", {"oldPassword": OLD, "newPassword": NEW}),
    ("v1/users/change-password", "put", ["not", "an", "object"]),
])
def test_bad_bodies_are_400_and_write_nothing(mail_api, alice, path, method, body):
    resp = getattr(alice, method)(path, body)
    assert resp.status_code == 400, resp.body
    assert resp.json_body["errors"][0]["code"] == "VALIDATION_ERROR"
    assert receive() == [] and reset_tokens() == []
    alice.ok("GET", "v1/users/me")


@pytest.mark.parametrize("path, method", [
    ("v1/users/forgot-password", "post"),
    ("v1/users/reset-password", "post"),
    ("v1/users/change-password", "put"),
])
def test_malformed_json_is_400(mail_api, alice, path, method):
    resp = alice.request(method.upper(), path, raw="{not json")
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["code"] == "MALFORMED_JSON"


def test_reset_link_building():
    from chalicelib.identity.recovery import reset_link

    assert reset_link("https://x.test/r", "T", "a+b@x.test") == (
        "https://x.test/r?token=T&emailAddress=a%2Bb%40x.test")
    assert reset_link("https://x.test/r?a=1#frag", "T", "e@x.test") == (
        "https://x.test/r?a=1&token=T&emailAddress=e%40x.test#frag")
