"""Idempotency-Key on the checkout POSTs: the same key and request replay the first answer (one
payment); the same key with another request is a 409; records are kept at least 24 hours."""

from __future__ import annotations

import threading

from chalicelib import settings
from chalicelib.store import idempotency
from tests.helpers.api import register_and_login
from tests.helpers.checkout import error_of, payments_of, raw_items


def link(buyer, price_id: str, key: str | None, query: str = ""):
    headers = {"Idempotency-Key": key} if key else {}
    return buyer.post(f"v1/prices/{price_id}/generate-checkout-link{query}", headers=headers)


def test_same_key_same_request_replays_the_first_answer(buyer, shop, paypal, demo_brand):
    first = link(buyer, shop["usd"], "key-1")
    again = link(buyer, shop["usd"], "key-1")
    assert first.status_code == again.status_code == 200
    assert again.json_body == first.json_body | {"success": True}
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(payments_of(demo_brand["id"])) == 1

    other = link(buyer, shop["usd"], "key-2")
    assert other.json_body["data"] != first.json_body["data"]
    no_key = link(buyer, shop["usd"], None)
    assert no_key.status_code == 200
    assert len(payments_of(demo_brand["id"])) == 3


def test_same_key_with_another_request_is_409(buyer, shop, paypal, demo_brand):
    assert link(buyer, shop["usd"], "key-1").status_code == 200
    for other in (link(buyer, shop["eur"], "key-1"),
                  link(buyer, shop["usd"], "key-1", "?couponCode=X")):
        assert other.status_code == 409
        err = error_of(other)
        assert err["code"] == "IDEMPOTENCY_KEY_REUSED" and err["field"] == "Idempotency-Key"
    resp = buyer.post(f"v1/packages/{shop['pro']}/upgrade/checkout", {"priceId": shop["usd"]},
                      headers={"Idempotency-Key": "key-1"})
    assert resp.status_code == 409
    assert len(payments_of(demo_brand["id"])) == 1


def test_keys_belong_to_their_caller(api, buyer, shop, paypal, demo_brand):
    carol = register_and_login(api, "carol")
    assert link(buyer, shop["usd"], "shared").status_code == 200
    assert link(carol, shop["usd"], "shared").status_code == 200
    assert {p.user_email for p in payments_of(demo_brand["id"])} == {
        "bob@shop-buyers.com", "carol@example.com"}


def test_a_refused_request_does_not_burn_its_key(admin, buyer, shop, paypal, demo_brand):
    entry = admin.ok("POST", "v1/black-lists", {"type": "Email",
                                                "value": "bob@shop-buyers.com"})
    assert link(buyer, shop["usd"], "key-1").status_code == 403
    admin.ok("DELETE", f"v1/black-lists/{entry['id']}")
    resp = link(buyer, shop["usd"], "key-1")
    assert resp.status_code == 200 and "Idempotent-Replayed" not in resp.headers
    assert len(payments_of(demo_brand["id"])) == 1


def test_records_are_kept_24_hours_then_the_key_is_free(buyer, shop, paypal, demo_brand):
    first = link(buyer, shop["usd"], "key-1")
    [record] = raw_items(f"B#{demo_brand['id']}#IDEM#")
    assert "key-1" not in str(record["pk"])  # the key is stored as a digest
    kept = int(record["ttl"]["N"]) - int(settings.now().timestamp())
    assert 24 * 3600 - 5 <= kept <= 24 * 3600
    assert record["state"]["S"] == "done"

    later = settings.now().timestamp() + 24 * 3600 + 1
    settings.set_clock(lambda: __import__("datetime").datetime.fromtimestamp(
        later, __import__("datetime").UTC))
    try:
        fresh = link(buyer, shop["usd"], "key-1")
    finally:
        settings.set_clock(None)
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers
    assert fresh.json_body["data"] != first.json_body["data"]


def test_bad_keys_are_400(buyer, shop, paypal, demo_brand):
    resp = link(buyer, shop["usd"], "x" * 256)
    assert resp.status_code == 400 and error_of(resp)["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert payments_of(demo_brand["id"]) == []


def test_a_key_in_flight_is_a_409_and_its_answer_is_stored_once(aws_env):
    """Two requests with one key at once: one runs, the other is told to retry."""
    started, release = threading.Event(), threading.Event()
    runs = []

    def slow() -> dict:
        runs.append(1)
        started.set()
        release.wait(5)
        return {"n": len(runs)}

    out: dict = {}

    def first() -> None:
        out["first"] = idempotency.run("payments", "B1", "U1", "k", "fp", slow)

    t = threading.Thread(target=first)
    t.start()
    assert started.wait(5)
    try:
        idempotency.run("payments", "B1", "U1", "k", "fp", lambda: {"n": 99})
        raise AssertionError("the second request should be refused while the first runs")
    except idempotency.Conflict as e:
        assert e.code == "IDEMPOTENCY_IN_PROGRESS" and e.headers["Retry-After"]
    release.set()
    t.join(5)
    assert out["first"] == ({"n": 1}, False)
    assert idempotency.run("payments", "B1", "U1", "k", "fp", lambda: {"n": 99}) == (
        {"n": 1}, True)
    assert runs == [1]
