"""PayPal IPN end to end on loopback: the simulator posts to the app (Chalice's local server),
the app posts back to the simulator for VERIFIED / INVALID, then applies the message once."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from chalicelib.devstack.paypal_simulator import PayPalSimulator
from tests.helpers import payments as ps


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(aws_env, demo_brand):
    from chalice import Chalice
    from chalice.config import Config
    from chalice.local import create_local_server

    from chalicelib.http.dispatch import register
    from chalicelib.routes import all_routes

    fresh = Chalice(app_name="jfw-billing-ipn")
    register(fresh, all_routes("test"), "test")
    port = _free_port()
    srv = create_local_server(fresh, Config.create(), "127.0.0.1", port)
    thread = threading.Thread(target=srv.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.shutdown()
        srv.server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def sim():
    with PayPalSimulator() as s, ps.use_simulator(s.url):
        yield s


@pytest.fixture
def gw(demo_brand, sim):
    return ps.make_gateway(demo_brand, "paypal", receiver_email=sim.receiver_email,
                           receiver_id=sim.receiver_id)


@pytest.fixture
def pay(demo_brand, gw):
    return ps.make_payment(demo_brand, gw, kind="paypal", amount=1000, user_id="u1")


def url(server, gw):
    return f"{server}/api/v1/ipn/paypal/{gw}"


def test_verified_completion_is_applied_once(server, sim, demo_brand, gw, pay):
    sent = sim.send_ipn(url(server, gw), {"custom": pay.id, "mc_gross": "10.00"})
    assert sent.status == 200
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Completed" and p.merchant_ref_no == sent.txn_id
    assert p.amount_gross_minor == 1000 and p.amount_fee_minor == 34
    assert [a for _, a in sim.postbacks] == ["VERIFIED"]
    again = sim.resend(sent)  # PayPal resends until it gets 200; this one is a duplicate
    assert again.status == 200
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")) == 1
    assert len(ps.history(demo_brand["id"], pay.id)) == 2


def test_invalid_is_400_and_changes_nothing(server, sim, demo_brand, gw, pay):
    sent = sim.send_ipn(url(server, gw), {"custom": pay.id, "mc_gross": "10.00"},
                        mode="invalid")
    assert sent.status == 400
    assert [a for _, a in sim.postbacks] == ["INVALID"]
    assert ps.payment(demo_brand["id"], pay.id).status == "Created"
    assert ps.outbox_rows(demo_brand["id"]) == []


def test_pending_then_completed_then_refund(server, sim, demo_brand, gw, pay):
    pending = sim.send_ipn(url(server, gw), {"custom": pay.id, "mc_gross": "10.00",
                                             "payment_status": "Pending",
                                             "pending_reason": "echeck"})
    assert pending.status == 200
    assert ps.payment(demo_brand["id"], pay.id).status == "Pending"
    done = sim.send_ipn(url(server, gw), sim.follow_up(pending, "Completed"))
    assert done.status == 200
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
    refund = sim.send_refund(url(server, gw), done, amount="4.00")
    assert refund.status == 200
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Refunded" and p.refunded_minor == 400
    late_pending = sim.resend(pending)  # a duplicate of the first: nothing changes
    assert late_pending.status == 200
    assert ps.payment(demo_brand["id"], pay.id).status == "Refunded"


def test_wrong_receiver_is_a_mismatch(server, sim, demo_brand, gw, pay):
    sent = sim.send_ipn(url(server, gw), {"custom": pay.id, "mc_gross": "10.00",
                                          "receiver_email": "thief@example.com",
                                          "business": "thief@example.com"})
    assert sent.status == 200
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Created" and p.held and p.risk_mark >= 100
    assert ps.payment_events(demo_brand["id"], "PAYMENT.RISK.FLAGGED")


def test_business_ours_but_paid_to_another_account_is_a_mismatch(server, sim, demo_brand,
                                                                    gw, pay):
    """PayPal VERIFIED it, ``business`` names us, but ``receiver_email`` says the money went to
    someone else's account: stored, risk raised, held, not completed."""
    sent = sim.send_ipn(url(server, gw), {"custom": pay.id, "mc_gross": "10.00",
                                          "business": sim.receiver_email,
                                          "receiver_email": "thief@example.com"})
    assert sent.status == 200
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Created" and p.held and p.risk_mark >= 100
    assert any("thief@example.com" in r for r in p.risk_reasons)
    [row] = ps.notification_rows(demo_brand["id"])
    assert row.outcome == "mismatch" and row.verified
    assert ps.payment_events(demo_brand["id"], "PAYMENT.RISK.FLAGGED")


def test_wrong_currency_is_a_mismatch(server, sim, demo_brand, gw, pay):
    sim.send_ipn(url(server, gw), {"custom": pay.id, "mc_gross": "10.00", "mc_currency": "EUR"})
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Created" and "currency EUR" in p.risk_reasons[0]


def test_unreachable_postback_is_503_and_kept(server, demo_brand):
    with PayPalSimulator() as other:
        with ps.use_simulator(f"http://127.0.0.1:{_free_port()}"):
            dead = ps.make_gateway(demo_brand, "paypal", receiver_email=other.receiver_email)
            pay = ps.make_payment(demo_brand, dead, kind="paypal", amount=1000)
            sent = other.send_ipn(url(server, dead), {"custom": pay.id, "mc_gross": "10.00"})
    assert sent.status == 503
    assert ps.payment(demo_brand["id"], pay.id).status == "Created"
    [row] = ps.notification_rows(demo_brand["id"])
    assert row.outcome == "error" and "postback failed" in row.detail


# -- `paypal_simulator send` and the simulator's checkout page, against our listener ---------------

def paypal_link(server, sim, gw, pay) -> str:
    """The PayPal link our checkout answers for ``pay`` (checkout.paypal_url, as checkout does)."""
    from chalicelib.payments.checkout import start as checkout

    gateway = {"paypalReceiverEmail": sim.receiver_email, "paypalMode": "simulator",
               "ipnListenerLink": url(server, gw), "returnLink": f"{server}/back/{{paymentId}}"}
    return checkout.paypal_url(gateway, pay.brand_id, pay.id, pay.code, 1000, "USD",
                               "Pro - Pro monthly", None)


def test_send_pays_what_the_checkout_link_asks_and_says_applied(server, sim, demo_brand, gw, pay,
                                                                 capsys, monkeypatch):
    from chalicelib.devstack import paypal_simulator

    monkeypatch.delenv("PAYPAL_SIM_PORT", raising=False)  # the link names its simulator
    link = paypal_link(server, sim, gw, pay)
    assert link.startswith(sim.url + "/cgi-bin/webscr?")
    code = paypal_simulator.main(["send", "--checkout-link", link])
    out = capsys.readouterr()
    assert code == 0, out
    assert f"applied: payment {pay.id} is now Completed" in out.out
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Completed" and p.amount_gross_minor == 1000
    assert p.merchant_ref_no == sim.sent[-1].txn_id


def test_send_follows_our_hosted_page_link_to_paypal(server, sim, demo_brand, gw, capsys):
    """Our hosted page redirects a PayPal payment to its PayPal link: send follows it."""
    from chalicelib.devstack import paypal_simulator
    from chalicelib.payments import models as m

    pay = ps.make_payment(demo_brand, gw, kind="paypal", amount=1000, user_id="u1")
    m.PaymentItem.get(m.payment_pk(demo_brand["id"], pay.id), m.PAYMENT_SK).update(
        actions=[m.PaymentItem.checkout_url.set(paypal_link(server, sim, gw, pay))])
    page = f"{server}/api/checkout/{pay.id}?brandId={demo_brand['id']}"
    assert paypal_simulator.main(["send", "--checkout-link", page]) == 0, capsys.readouterr()
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"


def test_send_says_clearly_and_fails_when_our_server_did_not_apply_it(server, sim, demo_brand,
                                                                       gw, pay, capsys):
    """The payment's code (what the checkout page shows) instead of its id: our listener
    answers 200 (so PayPal stops resending) but records unknown_payment."""
    from chalicelib.devstack import paypal_simulator

    code = paypal_simulator.main(["send", "--simulator", sim.url, "--notify-url",
                                  url(server, gw), "--custom", pay.code, "--amount", "10.00"])
    out = capsys.readouterr()
    assert code == 1
    assert "NOT applied: our server recorded it as unknown_payment" in out.err
    assert pay.code in out.err and "--checkout-link" in out.err
    assert ps.payment(demo_brand["id"], pay.id).status == "Created"
    [row] = ps.notification_rows(demo_brand["id"])
    assert row.outcome == "unknown_payment"


def test_send_finds_the_simulator_on_PAYPAL_SIM_PORT(server, sim, demo_brand, gw, pay,  # noqa: N802
                                                     monkeypatch, capsys):
    from chalicelib.devstack import paypal_simulator

    monkeypatch.setenv("PAYPAL_SIM_PORT", str(sim.port))
    code = paypal_simulator.main(["send", "--notify-url", url(server, gw), "--custom", pay.id,
                                  "--amount", "10.00"])
    assert code == 0, capsys.readouterr()
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
    assert [s.txn_id for s in sim.sent] == [ps.payment(demo_brand["id"], pay.id).merchant_ref_no]


def test_the_checkout_link_opens_a_page_whose_button_pays(server, sim, demo_brand, gw, pay):
    import urllib.request

    link = paypal_link(server, sim, gw, pay)
    with urllib.request.urlopen(link, timeout=10) as resp:
        page = resp.read().decode()
    assert resp.status == 200 and "10.00 USD" in page and pay.code in page
    assert "send --checkout-link" in page
    action = page.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    paid = requests.post(sim.url + action, data=b"", allow_redirects=False, timeout=30)
    # Our listener has applied it before the buyer is sent back to the gateway's returnLink.
    assert paid.status_code == 303 and paid.headers["Location"] == f"{server}/back/{pay.id}"
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
    again = requests.post(sim.url + action, data=b"", allow_redirects=False, timeout=30)
    assert again.status_code == 409 and "Already paid" in again.text and len(sim.sent) == 1


def test_pay_without_a_return_link_shows_what_our_server_recorded(server, sim, demo_brand, gw,
                                                                    pay):
    link = paypal_link(server, sim, gw, pay).replace("&return=", "&ignored=")
    action = link.replace("/cgi-bin/webscr?", "/_simulator/pay?")
    paid = requests.post(action, data=b"", allow_redirects=False, timeout=30)
    assert paid.status_code == 200 and "Payment sent" in paid.text
    assert f"applied: payment {pay.id} is now Completed" in paid.text
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
