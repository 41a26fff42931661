"""Signed webhooks to a brand's endpoint, as the brand sees them: the endpoint's API, the POSTs
its receiver gets (body, headers, signature), the retry schedule on a moved clock, the endpoint
disabled after 3 days with a mail to the admin, resend, the secret roll and the SSRF rules."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.webhooks import jobs, signing, ssrf
from chalicelib.webhooks.models import EndpointItem
from tests.helpers import payments as ps
from tests.helpers.api import register_and_login
from tests.helpers.licensing import Clock
from tests.helpers.mail import mails_to
from tests.helpers.webhooks import Receiver

E = "v1/webhook-endpoints"


def deliveries(admin, endpoint_id: str) -> list[dict]:
    return admin.ok("GET", f"{E}/{endpoint_id}/deliveries")["items"]


def verified(received, secret: str, now: int) -> bool:
    return signing.verify(received.headers["jfw-signature"], received.body, secret, now)


# -- endpoints -----------------------------------------------------------------------------------

def test_the_secret_is_shown_once_then_masked(admin, endpoint):
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", endpoint["secret"])
    got = admin.ok("GET", f"{E}/{endpoint['id']}")
    assert got["secret"].startswith("whsec_…") and got["secret"].endswith(endpoint["secret"][-4:])
    assert got["status"] == "Enabled" and got["enabledEvents"] == [
        "PAYMENT.PROCESSED.SUCCESS", "PAYMENT.PROCESSED.REFUNDED"]
    [listed] = admin.ok("GET", E)["items"]
    assert listed["id"] == endpoint["id"] and endpoint["secret"] not in json.dumps(listed)
    stored = EndpointItem.get(f"B#{endpoint_brand(admin)}#WHE", endpoint["id"])
    assert endpoint["secret"] not in stored.secret and stored.secret.startswith("v")


def endpoint_brand(admin) -> str:
    return admin.ok("GET", "v1/users/me")["brandId"]


def test_update_and_delete(admin, endpoint):
    changed = admin.ok("PUT", f"{E}/{endpoint['id']}", {"enabledEvents": ["PAYMENT.*"],
                                                       "status": "Disabled"})
    assert changed["enabledEvents"] == ["PAYMENT.*"] and changed["status"] == "Disabled"
    assert changed["description"] == "orders"  # not sent: unchanged
    assert admin.ok("DELETE", f"{E}/{endpoint['id']}") is True
    assert admin.get(f"{E}/{endpoint['id']}").status_code == 404


@pytest.mark.parametrize("url", [
    "ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/x",
    "https://hooks.example.com@127.0.0.1/x", "http://0x7f.1/x", "http://2130706433/x",
    "http://0177.0.0.1/x", "https://exa mple.com/x", "https://hooks.example.com\\@evil/x",
    "https://bücher.example/x", "not a url",
])
def test_bad_urls_are_400_and_write_nothing(admin, url):
    resp = admin.post(E, {"url": url, "enabledEvents": ["*"]})
    assert resp.status_code == 400, resp.body
    assert "url" in json.dumps(resp.json_body["errors"])
    assert admin.ok("GET", E)["items"] == []


def test_bad_event_codes_are_400(admin, receiver):
    resp = admin.post(E, {"url": receiver.url, "enabledEvents": ["payment succeeded"]})
    assert resp.status_code == 400 and "enabledEvents" in resp.body.decode()


def test_a_plain_user_may_not_see_or_add_endpoints(api, endpoint):
    user = register_and_login(api, "plain")
    assert user.get(E).status_code == 403
    assert user.post(E, {"url": "https://hooks.example.com/x"}).status_code == 403
    assert user.post(f"{E}/{endpoint['id']}/test").status_code == 403


# -- SSRF: the deployed stages' rules (the local stage also allows http and loopback) ----------

REFUSED = [
    "http://hooks.example.com/x",  # http
    "https://hooks.example.com:8443/x",  # port
    "https://127.0.0.1/x", "https://10.0.0.8/x", "https://172.16.5.4/x", "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data", "https://100.64.0.1/x", "https://0.0.0.0/x",
    "https://224.0.0.1/x", "https://240.0.0.1/x", "https://255.255.255.255/x",
    "https://[::1]/x", "https://[fe80::1]/x", "https://[fc00::1]/x", "https://[::ffff:127.0.0.1]/x",
    "https://[::ffff:a9fe:a9fe]/x", "https://[2002:7f00:1::]/x",  # 6to4 of 127.0.0.1
    "https://2130706433/x", "https://0x7f000001/x", "https://0177.0.0.1/x", "https://127.1/x",
    "https://0x7f.0.0.1/x", "https://017700000001/x", "https://8.8.8.010/x",
    "https://localhost/x", "https://api.localhost/x", "https://intranet/x",
    "https://user@hooks.example.com/x", "https://:pw@hooks.example.com/x",
    "https://hooks.example.com#frag", "https://hooks.example.com%2f@evil/x",
    "https://hooks..example.com/x", "https://-bad.example.com/x",
]
ALLOWED = ["https://hooks.example.com/x", "https://hooks.example.com:443/a?b=c",
           "https://8.8.8.8/x", "https://[2606:4700:4700::1111]/x", "HTTPS://Hooks.Example.COM/x",
           "https://xn--bcher-kva.example/x", "https://hooks.example.com./x"]


@pytest.mark.parametrize("url", REFUSED)
def test_deployed_stages_refuse(url):
    with pytest.raises(Exception) as e:
        ssrf.check_url(url, local=False)
    assert getattr(e.value, "status", None) == 400 and getattr(e.value, "field", None) == "url"


@pytest.mark.parametrize("url", ALLOWED)
def test_deployed_stages_allow(url):
    target = ssrf.check_url(url, local=False)
    assert target.scheme == "https" and target.port == 443


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time():
    target = ssrf.check_url("https://localtest.me/x", local=False)  # a DNS name, checked later
    with pytest.raises(Exception) as e:
        ssrf.resolve(target._replace(host="localhost"), local=False)
    assert "not a public address" in str(e.value)


def test_local_stage_allows_loopback_http():
    assert ssrf.check_url("http://127.0.0.1:8123/h", local=True).port == 8123
    assert ssrf.check_url("http://localhost:8123/h", local=True).host == "localhost"


# -- delivery ------------------------------------------------------------------------------------

def test_a_completed_payment_is_posted_once_signed(admin, endpoint, receiver, complete_payment):
    pay = complete_payment()
    assert ps.drain_outbox() >= 2  # the payment's rows, then the webhook row
    [got] = receiver.received
    body = json.loads(got.body)
    assert body["type"] == "PAYMENT.PROCESSED.SUCCESS" and body["brandId"] == pay.brand_id
    assert body["data"]["paymentId"] == pay.id and body["data"]["status"] == "Completed"
    assert "quote" not in body["data"] and "fulfil" not in body["data"]
    assert got.headers["jfw-event"] == "PAYMENT.PROCESSED.SUCCESS"
    assert got.headers["content-type"] == "application/json" and got.path == "/hooks"
    now = int(datetime.now(UTC).timestamp())
    assert verified(got, endpoint["secret"], now)
    assert not verified(got._replace(body=got.body + b" "), endpoint["secret"], now)
    assert not verified(got, endpoint["secret"], now + 3600)  # too old: a replay
    [d] = deliveries(admin, endpoint["id"])
    assert d["id"] == got.headers["jfw-delivery-id"] and d["status"] == "Succeeded"
    assert d["attempts"][0]["statusCode"] == 200 and d["attempts"][0]["response"] == '{"ok":true}'
    assert d["payload"] == body and d["nextAttemptDate"] is None
    # Delivered once: draining and the retry job again send nothing more.
    ps.drain_outbox()
    jobs.run_retries()
    assert len(receiver.received) == 1


def test_events_the_endpoint_did_not_ask_for_are_not_sent(admin, receiver, complete_payment):
    admin.ok("POST", E, {"url": receiver.url, "enabledEvents": ["PAYMENT.PROCESSED.REFUNDED"]})
    admin.ok("POST", E, {"url": receiver.url, "enabledEvents": ["*"], "status": "Disabled"})
    complete_payment()
    ps.drain_outbox()
    assert receiver.received == []


def test_failures_are_retried_on_the_schedule_until_one_succeeds(admin, endpoint, receiver,
                                                                 complete_payment):
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    receiver.answer(500, 502, 200)
    complete_payment()
    ps.drain_outbox()
    [d] = deliveries(admin, endpoint["id"])
    assert d["status"] == "Pending" and len(receiver.received) == 1
    first = datetime.fromisoformat(d["attempts"][0]["date"])
    assert datetime.fromisoformat(d["nextAttemptDate"]) == first + timedelta(minutes=1)
    assert jobs.run_retries()["due"] == 0  # not yet
    clock.move(seconds=61)
    jobs.run_retries()
    [d] = deliveries(admin, endpoint["id"])
    assert [a["statusCode"] for a in d["attempts"]] == [500, 502]
    assert datetime.fromisoformat(d["nextAttemptDate"]) == clock.now + timedelta(minutes=5)
    clock.move(minutes=4)
    assert jobs.run_retries()["due"] == 0
    clock.move(minutes=2)
    jobs.run_retries()
    [d] = deliveries(admin, endpoint["id"])
    assert d["status"] == "Succeeded" and [a["statusCode"] for a in d["attempts"]] == [500, 502,
                                                                                       200]
    ids = {r.headers["jfw-delivery-id"] for r in receiver.received}
    assert len(receiver.received) == 3 and ids == {d["id"]}
    clock.move(hours=24)
    assert jobs.run_retries()["due"] == 0 and len(receiver.received) == 3


def test_three_days_of_failures_fail_the_delivery_disable_the_endpoint_and_mail(
        admin, endpoint, receiver, complete_payment, mail_env):
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    receiver.answer(503)
    complete_payment()
    ps.drain_outbox()
    start = clock.now
    for _ in range(40):
        [d] = deliveries(admin, endpoint["id"])
        if d["status"] != "Pending":
            break
        clock.set(datetime.fromisoformat(d["nextAttemptDate"]))
        jobs.run_retries()
    assert d["status"] == "Failed"
    waits = [datetime.fromisoformat(b["date"]) - datetime.fromisoformat(a["date"])
             for a, b in zip(d["attempts"], d["attempts"][1:], strict=False)]
    assert waits[:7] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                         timedelta(hours=2), timedelta(hours=5), timedelta(hours=10),
                         timedelta(hours=12)]
    last = datetime.fromisoformat(d["attempts"][-1]["date"])
    assert last - start == timedelta(days=3) and len(receiver.received) == len(d["attempts"])
    got = admin.ok("GET", f"{E}/{endpoint['id']}")
    assert got["status"] == "Disabled" and "3 days" in got["statusReason"]
    ps.drain_outbox()
    [mail] = mails_to("boss@example.com")
    assert "webhook endpoint was disabled" in mail.subject and receiver.url in mail.body
    # A disabled endpoint gets no new events; turned on again, it does.
    complete_payment()
    ps.drain_outbox()
    assert len(receiver.received) == len(d["attempts"])
    admin.ok("PUT", f"{E}/{endpoint['id']}", {"status": "Enabled"})
    receiver.answer(200)
    complete_payment()
    ps.drain_outbox()
    assert len(receiver.received) == len(d["attempts"]) + 1


def test_resend_sends_the_same_delivery_again(admin, endpoint, receiver, complete_payment):
    receiver.answer(500, 200)
    complete_payment()
    ps.drain_outbox()
    [d] = deliveries(admin, endpoint["id"])
    again = admin.ok("POST", f"{E}/{endpoint['id']}/deliveries/{d['id']}/resend")
    assert again["id"] == d["id"] and again["status"] == "Succeeded"
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["jfw-delivery-id"] == second.headers["jfw-delivery-id"] == d["id"]
    assert admin.ok("GET", f"{E}/{endpoint['id']}/deliveries/{d['id']}")["attemptCount"] == 2
    missing = admin.post(f"{E}/{endpoint['id']}/deliveries/whd_nope/resend")
    assert missing.status_code == 404


def test_ping_and_the_rolled_secret_signs_twice_for_24_hours(admin, endpoint, receiver):
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    ping = admin.ok("POST", f"{E}/{endpoint['id']}/test")
    assert ping["event"] == "WEBHOOK.ENDPOINT.PING" and ping["status"] == "Succeeded"
    rolled = admin.ok("POST", f"{E}/{endpoint['id']}/roll-secret")
    assert rolled["secret"] != endpoint["secret"] and rolled["previousSecretValidUntil"]
    admin.ok("POST", f"{E}/{endpoint['id']}/test")
    now = int(clock.now.timestamp())
    _, both = receiver.received
    assert both.headers["jfw-signature"].count("v1=") == 2
    assert verified(both, endpoint["secret"], now) and verified(both, rolled["secret"], now)
    clock.move(hours=24, seconds=1)
    admin.ok("POST", f"{E}/{endpoint['id']}/test")
    later = receiver.received[-1]
    assert later.headers["jfw-signature"].count("v1=") == 1
    now = int(clock.now.timestamp())
    assert verified(later, rolled["secret"], now) and not verified(later, endpoint["secret"], now)


def test_a_failed_ping_is_not_retried(admin, receiver):
    receiver.answer(404)
    made = admin.ok("POST", E, {"url": receiver.url, "enabledEvents": ["*"]})
    ping = admin.ok("POST", f"{E}/{made['id']}/test")
    assert ping["status"] == "Failed" and ping["attempts"][0]["statusCode"] == 404
    assert jobs.run_retries()["due"] == 0


def test_a_receiver_that_is_down_is_an_attempt_with_its_error(admin):
    with Receiver() as gone:
        url = gone.url
    made = admin.ok("POST", E, {"url": url, "enabledEvents": ["*"]})
    ping = admin.ok("POST", f"{E}/{made['id']}/test")
    assert ping["status"] == "Failed" and ping["attempts"][0]["statusCode"] is None
    assert "Connection" in ping["attempts"][0]["error"]


def test_a_long_answer_is_kept_to_1_kb(admin):
    with Receiver(reply=b"x" * 5000) as big:
        made = admin.ok("POST", E, {"url": big.url, "enabledEvents": ["*"]})
        ping = admin.ok("POST", f"{E}/{made['id']}/test")
    assert len(ping["attempts"][0]["response"]) == 1024


# -- the README's receiver -------------------------------------------------------------------------

def test_the_receiver_in_the_docs_accepts_a_real_delivery(admin, endpoint, receiver):
    doc = (Path(__file__).parents[3] / "README.md").read_text()
    code = next(c for c in re.findall(r"```python\n(.*?)```", doc, re.S) if "def verified" in c)
    assert len(code.strip().splitlines()) <= 20
    names: dict = {"__name__": "docs_receiver"}
    exec(compile(code, "README.md", "exec"), names)  # noqa: S102 - our own document
    admin.ok("POST", f"{E}/{endpoint['id']}/test")
    [got] = receiver.received
    secret = endpoint["secret"].encode()
    assert names["verified"](got.headers["jfw-signature"], got.body, secret) is True
    assert names["verified"](got.headers["jfw-signature"], got.body + b"x", secret) is False
    assert names["verified"](got.headers["jfw-signature"], got.body, b"whsec_other") is False


# -- the other contexts' events --------------------------------------------------------------------

def test_license_and_wallet_event_rows_are_forwarded(admin, demo_brand, receiver):
    from chalicelib.licensing import changes
    from chalicelib.notify import service as notify
    from chalicelib.store.tx import transaction

    admin.ok("POST", E, {"url": receiver.url, "enabledEvents": ["LICENSE.*", "WALLET.*"]})
    with transaction() as tx:
        rows = changes.add(tx, demo_brand["id"], ["lic-1", "lic-2"])
        wallet_row = notify.row(demo_brand["id"], "wallet-event", {
            "event": "WALLET.TOPUP.SUCCESS", "mail": False, "walletId": "w1",
            "amountMinor": 500, "currency": "USD"})
        notify.add(tx, [wallet_row])
    notify.publish([*rows, wallet_row])
    ps.drain_outbox()
    got = {json.loads(r.body)["type"]: json.loads(r.body)["data"] for r in receiver.received}
    assert got == {"LICENSE.STATE.CHANGED": {"licenseIds": ["lic-1", "lic-2"]},
                   "WALLET.TOPUP.SUCCESS": {"walletId": "w1", "amountMinor": 500,
                                            "currency": "USD"}}


def test_an_ipv6_literal_url_is_posted_to_its_address():
    import socket

    from chalicelib.webhooks import transport

    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    class V6(HTTPServer):
        address_family = socket.AF_INET6

    seen = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            seen.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    try:
        server = V6(("::1", 0), H)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = ssrf.check_url(f"http://[::1]:{server.server_address[1]}/h", local=True)
        out = transport.post(target, ssrf.resolve(target, local=True), {}, b"{}")
    finally:
        server.shutdown()
        server.server_close()
    assert out.status_code == 204 and seen == [f"[::1]:{server.server_address[1]}"]


def test_the_receiver_in_the_docs_serves_pings_with_the_endpoint_secret(admin):
    from http.server import HTTPServer
    from threading import Thread

    doc = (Path(__file__).parents[3] / "README.md").read_text()
    code = next(c for c in re.findall(r"```python\n(.*?)```", doc, re.S) if "def verified" in c)
    server = None
    try:
        made = admin.ok("POST", E, {"url": "http://127.0.0.1:9/placeholder",
                                    "enabledEvents": ["*"]})
        mine = code.replace('b"whsec_..."', repr(made["secret"].encode()))
        names: dict = {"__name__": "docs_receiver"}
        exec(compile(mine, "README.md", "exec"), names)  # noqa: S102 - our own document
        server = HTTPServer(("127.0.0.1", 0), names["Hook"])
        Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        admin.ok("PUT", f"{E}/{made['id']}", {"url": url})
        assert admin.ok("POST", f"{E}/{made['id']}/test")["status"] == "Succeeded"
        admin.ok("POST", f"{E}/{made['id']}/roll-secret")  # the receiver knows the old one only
        assert admin.ok("POST", f"{E}/{made['id']}/test")["status"] == "Succeeded"
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()


def test_lost_publishes_still_deliver_each_event_once(admin, demo_brand, receiver, monkeypatch):
    """Crashes between commit and SQS send, twice: the event row's publish is lost, then the
    publish of the webhook row its fan-out wrote. The sweeper delivers both, late, and the
    receiver gets the event once, under one delivery id."""
    from chalicelib import settings
    from chalicelib.licensing import changes
    from chalicelib.notify import jobs as outbox_jobs
    from chalicelib.notify import outbox
    from chalicelib.store.tx import transaction

    admin.ok("POST", E, {"url": receiver.url, "enabledEvents": ["LICENSE.*"]})
    with transaction() as tx:
        changes.add(tx, demo_brand["id"], ["lic-9"])  # committed; its publish is lost
    start = settings.now()
    late = settings.get().outbox_sweep_after_seconds + 1
    settings.set_clock(lambda: start + timedelta(seconds=late))
    assert outbox_jobs.sweep_outbox()["published"] >= 1  # the event row (and its kin), late
    with monkeypatch.context() as m:
        m.setattr(outbox, "publish", lambda rows: 0)  # the fan-out's publish is lost too
        ps.drain_outbox()
    assert receiver.received == []  # fanned out, but the webhook row was never published
    settings.set_clock(lambda: start + timedelta(seconds=3 * late))
    assert outbox_jobs.sweep_outbox()["published"] >= 1  # the webhook row, late
    ps.drain_outbox()
    settings.set_clock(lambda: start + timedelta(seconds=9 * late))
    outbox_jobs.sweep_outbox()
    ps.drain_outbox()
    [got] = receiver.received
    assert json.loads(got.body)["data"] == {"licenseIds": ["lic-9"]}
    assert got.headers["jfw-delivery-id"]
