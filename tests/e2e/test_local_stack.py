"""The local stack, started exactly as `make run` does, used over HTTP, then stopped.

Proves the whole path a developer relies on: moto, the seeded brands and SuperAdmin, the API
through Chalice's local server, the outbox -> SQS -> worker -> consumer -> SES path (the
password-reset mail shows up in `GET /api/v1/dev/mails`), and a stop that leaves no process.
"""

from __future__ import annotations

import html
import signal
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.stackproc import StackProcess, alive, listening_addresses

requests = pytest.importorskip("requests")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

ADMIN = {"username": "e2e-root", "password": "e2e-Admin-Pass1"}
MAIL_TIMEOUT = 45.0


@pytest.fixture
def stack(tmp_path):
    proc = StackProcess(tmp_path, JFW_ADMIN_USERNAME=ADMIN["username"],
                        JFW_ADMIN_PASSWORD=ADMIN["password"])
    proc.start()
    try:
        yield proc
    finally:
        proc.kill_everything()


def call(stack: StackProcess, method: str, path: str, brand: str | None = "demo.localhost",
         auth: str | None = None, body: dict | None = None) -> requests.Response:
    headers = {}
    if brand:
        headers["Brand-URL"] = brand
    if auth:
        headers["Auth-Key"] = auth
    resp = requests.request(method, f"{stack.api}/{path}", json=body, headers=headers,
                            timeout=30)
    assert resp.status_code != 500, f"{method} {path} -> 500: {resp.text}\n{stack.output()}"
    return resp


def ok(stack: StackProcess, method: str, path: str, **kw):
    resp = call(stack, method, path, **kw)
    assert resp.status_code == 200, f"{method} {path} -> {resp.status_code}: {resp.text}"
    envelope = resp.json()
    assert envelope["success"] is True and envelope["errors"] == []
    return envelope["data"]


def mails_to(stack: StackProcess, address: str) -> list[dict]:
    mails = ok(stack, "GET", "v1/dev/mails")
    return [m for m in mails if address in (m["to"] if isinstance(m["to"], list) else [m["to"]])]


def wait_for_mail(stack: StackProcess, address: str) -> dict:
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        found = mails_to(stack, address)
        if found:
            return found[-1]
        time.sleep(0.3)
    raise AssertionError(f"no mail to {address} within {MAIL_TIMEOUT:.0f} s\n{stack.output()}")


def assert_all_stopped(stack: StackProcess) -> None:
    assert stack.seen, "the stack should have started moto and localstripe as child processes"
    left = sorted(pid for pid in stack.seen if alive(pid))
    assert not left, f"processes left running after the stack stopped: {left}"


def test_make_run_serves_a_user_journey_and_mails_then_stops_clean(stack):
    line = stack.wait_ready()
    assert f"http://127.0.0.1:{stack.api_port}" in line
    assert [ln for ln in stack.lines if "ready" in ln] == [line], "exactly one 'ready' line"
    assert ADMIN["username"] in "\n".join(stack.lines), "the admin credentials are printed"

    assert ok(stack, "GET", "v1/health", brand=None)["status"] == "ok"
    demo = ok(stack, "GET", "v1/brands/by-url")
    assert demo["name"] == "Demo"

    email = "carol@example.com"
    ok(stack, "POST", "v1/users/register",
       body={"username": "carol", "password": "s3cret-Pass", "emailAddress": email})
    session = ok(stack, "POST", "v1/users/auth",
                 body={"username": "carol", "password": "s3cret-Pass"})
    assert session["authKey"] and session["username"] == "carol"
    me = ok(stack, "GET", "v1/users/me", auth=session["authKey"])
    assert me["username"] == "carol" and me["emailAddress"] == email
    assert me["brandId"] == demo["id"]
    assert call(stack, "GET", "v1/users/me", auth="not.a.key").status_code == 401

    # outbox -> SQS -> worker -> consumer -> SES (moto), seen through the local-only route.
    assert ok(stack, "POST", "v1/users/forgot-password",
              body={"emailAddress": email, "resetPasswordLink": "http://demo.localhost/reset"}
              ) is True
    mail = wait_for_mail(stack, email)
    assert mail["subject"] and mail["messageId"]
    body = html.unescape(mail["body"]).replace('"', " ").replace("'", " ").replace("<", " ")
    links = [w for w in body.split() if w.startswith("http://demo.localhost/reset")]
    assert links, f"the reset mail carries the reset link: {mail['body']!r}"
    token = parse_qs(urlsplit(links[0]).query).get("token", [None])[0]
    assert token, f"the reset link carries a token: {links[0]!r}"
    assert ok(stack, "POST", "v1/users/reset-password",
              body={"emailAddress": email, "token": token, "newPassword": "n3w-Passw0rd"}) is True
    assert ok(stack, "POST", "v1/users/auth",
              body={"username": "carol", "password": "n3w-Passw0rd"})["authKey"]

    # The seeded SuperAdmin logs in on the platform brand.
    admin = ok(stack, "POST", "v1/users/auth", brand="platform.localhost", body=ADMIN)
    admin_me = ok(stack, "GET", "v1/users/me", brand="platform.localhost",
                  auth=admin["authKey"])
    assert admin_me["type"] == "SuperAdmin" and admin_me["status"] == "Active"

    assert stack.signal(signal.SIGINT) == 0, stack.output()
    assert_all_stopped(stack)


def test_stack_binds_loopback_only_and_sigterm_stops_every_process(stack):
    stack.wait_ready()
    assert len(stack.seen) >= 3, "DynamoDB Local, moto and localstripe run as child processes"
    for port in (stack.api_port, stack.dynamodb_port, stack.moto_port, stack.stripe_port):
        addresses = listening_addresses(port)
        # 0100007F is 127.0.0.1 as /proc/net/tcp writes it.
        assert addresses == {"0100007F"}, f"port {port} listens on {addresses}"

    assert stack.signal(signal.SIGTERM) == 0, stack.output()
    assert_all_stopped(stack)
    assert stack.lines[-1].startswith("JFW Billing local stack stopped")
