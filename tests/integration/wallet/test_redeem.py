"""Redeem codes: batches through the admin API, applying a code to a wallet (once, in its
currency, an open wallet), the rate limit on failed guesses, the export, and concurrency."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from chalicelib import settings
from chalicelib.http.errors import ApiError
from chalicelib.wallet.redeem import codes, redeeming
from chalicelib.wallet.redeem import models as m
from tests.concurrency import run_together
from tests.helpers.api import register_and_login
from tests.helpers.licensing import Clock

RC = "v1/redeem-codes/batches"
SHAPE = re.compile(r"^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$")


@pytest.fixture
def clock(aws_env):
    """Time the test moves, from now; Auth-Keys outlast the moves."""
    before = settings.get()
    settings._settings = before._replace(auth_key_ttl_hours=24 * 3650)
    c = Clock(settings.now())
    yield c
    settings.set_clock(None)
    settings._settings = before


@pytest.fixture
def alice(api):
    return register_and_login(api, "alice")


def batch(admin, **body) -> dict:
    return admin.ok("POST", RC, {"amount": "5.00", "currencyCode": "USD", "quantity": 3,
                                 **body})


def usd_wallet(user) -> dict:
    return user.ok("POST", "v1/wallets/USD")


def apply(user, wallet_id: str, code: str):
    return user.post(f"v1/wallets/{wallet_id}/apply-redeem/{code}")


def error(resp) -> str:
    return resp.json_body["errors"][0]["code"]


def wallet_items() -> list:
    return list(m.WalletRecord.scan())


def test_a_batch_answers_its_codes_once_and_stores_none_of_them(admin, demo_brand):
    made = batch(admin, quantity=5, description="Spring", tags="spring")
    assert made["quantity"] == 5 and made["amount"] == 5 and made["currencyCode"] == "USD"
    assert made["maxUsesPerCode"] == 1 and made["perUserOnce"] is True
    assert len(set(made["codes"])) == 5 and all(SHAPE.match(c) for c in made["codes"])
    read = admin.ok("GET", f"{RC}/{made['id']}")
    assert "codes" not in read and read["status"] == "Active"
    listed = admin.ok("GET", f"{RC}/{made['id']}/codes")
    assert listed["totalItems"] == 5
    assert [c["number"] for c in listed["items"]] == [1, 2, 3, 4, 5]
    assert [c["hint"][-4:] for c in listed["items"]] == [c[-4:] for c in made["codes"]]
    dump = repr([i.attribute_values for i in wallet_items()])
    for code in made["codes"]:
        assert code not in dump and code.replace("-", "") not in dump
    page = admin.ok("GET", f"{RC}?pageSize=1")
    assert page["totalItems"] == 1 and page["items"][0]["id"] == made["id"]


def test_bad_batches_are_400_and_write_nothing(admin, alice):
    before = wallet_items()
    for body, field in [({"quantity": 0}, "quantity"), ({"quantity": 10001}, "quantity"),
                        ({"amount": "5.001"}, "amount"), ({"amount": "0"}, "amount"),
                        ({"currencyCode": "XYZ"}, "currencyCode"),
                        ({"maxUsesPerCode": 0}, "maxUsesPerCode"),
                        ({"startDate": "2030-02-01T00:00:00Z",
                          "endDate": "2030-01-01T00:00:00Z"}, "endDate")]:
        resp = admin.post(RC, {"amount": "5", "currencyCode": "USD", "quantity": 2, **body})
        assert resp.status_code == 400, (body, resp.body)
        assert resp.json_body["errors"][0]["field"] == field
    assert alice.post(RC, {"amount": "5", "currencyCode": "USD", "quantity": 2}
                      ).status_code == 403
    assert alice.get(RC).status_code == 403
    assert len(wallet_items()) == len(before)


def test_apply_credits_the_granted_part_once(admin, alice, demo_brand):
    made = batch(admin, maxUsesPerCode=5)
    w = usd_wallet(alice)
    typed = " " + made["codes"][0].lower().replace("-", " - ") + " "
    resp = apply(alice, w["id"], typed.strip().replace(" ", ""))
    assert resp.status_code == 200 and resp.json_body["data"] is True
    after = alice.ok("GET", f"v1/wallets/{w['id']}")
    assert after["amount"] == 5 and after["grantedAmount"] == 5 and after["paidAmount"] == 0
    [row] = alice.ok("GET", f"v1/wallets/{w['id']}/histories")["items"]
    assert row["type"] == "WalletRedeem" and row["refObject"] == "RedeemCode"
    assert row["refId"] == f"{made['id']}-00001"
    again = apply(alice, w["id"], made["codes"][0])
    assert again.status_code == 409 and error(again) == "REDEEM_CODE_ALREADY_USED"
    listed = admin.ok("GET", f"{RC}/{made['id']}/codes?pageSize=1")["items"][0]
    assert listed["uses"] == 1 and listed["usedBy"][0]["walletId"] == w["id"]
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == 5


def test_normalising_accepts_case_dashes_and_spaces():
    code = codes.new_code()
    assert codes.normalise(code.lower()) == code.replace("-", "")
    assert codes.normalise(" ".join(code.replace("-", ""))) == code.replace("-", "")
    assert codes.normalise(code[:-1]) is None and codes.normalise(code[:-1] + "0") is None
    assert len(codes.ALPHABET) ** codes.LENGTH >= 2 ** 80


def test_refusals_name_their_reason_and_write_nothing(clock, api, admin, alice, demo_brand):
    made = batch(admin, quantity=6, maxUsesPerCode=1)
    w = usd_wallet(alice)
    eur = alice.ok("POST", "v1/wallets/EUR")
    c = made["codes"]
    r = apply(alice, eur["id"], c[0])
    assert r.status_code == 409 and error(r) == "REDEEM_CODE_CURRENCY"
    assert "5.00 USD" in r.json_body["errors"][0]["message"]
    bob = register_and_login(api, "bob")
    assert apply(bob, w["id"], c[0]).status_code == 404  # not bob's wallet
    assert error(apply(alice, w["id"], "AAAA-AAAA-AAAA-AAAA")) == "REDEEM_CODE_NOT_FOUND"
    admin.ok("PUT", f"v1/redeem-codes/{made['id']}-00002/deactivate")
    assert error(apply(alice, w["id"], c[1])) == "REDEEM_CODE_INACTIVE"
    bobs = usd_wallet(bob)
    assert apply(bob, bobs["id"], c[2]).status_code == 200
    assert error(apply(alice, w["id"], c[2])) == "REDEEM_CODE_USED_UP"
    test_wallet = alice.ok("POST", "v1/wallets/USD?testMode=true")
    assert error(apply(alice, test_wallet["id"], c[3])) == "REDEEM_CODE_TEST_MODE"
    dated = batch(admin, quantity=2, startDate=(clock.now + timedelta(days=1)).isoformat(),
                  endDate=(clock.now + timedelta(days=2)).isoformat())
    assert error(apply(alice, w["id"], dated["codes"][0])) == "REDEEM_CODE_NOT_STARTED"
    clock.move(days=3)
    assert error(apply(alice, w["id"], dated["codes"][0])) == "REDEEM_CODE_EXPIRED"
    admin.ok("PUT", f"{RC}/{made['id']}/deactivate")
    assert error(apply(alice, w["id"], c[4])) == "REDEEM_CODE_INACTIVE"
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == 0
    assert alice.ok("GET", f"v1/wallets/{w['id']}/histories")["totalItems"] == 0


def test_a_closed_or_locked_wallet_takes_no_code(admin, alice, demo_brand):
    from chalicelib.wallet import ledger

    made = batch(admin, quantity=2)
    w = usd_wallet(alice)
    ledger.lock(ledger.get_wallet(demo_brand["id"], w["id"]), "test")
    r = apply(alice, w["id"], made["codes"][0])
    assert r.status_code == 409 and error(r) == "WALLET_NOT_OPEN"
    other = alice.ok("POST", "v1/wallets/EUR")
    alice.ok("PUT", f"v1/wallets/{other['id']}/close")
    assert error(apply(alice, other["id"], made["codes"][0])) == "WALLET_NOT_OPEN"
    assert admin.ok("GET", f"{RC}/{made['id']}/codes")["items"][0]["uses"] == 0


def test_a_code_for_many_users_and_many_uses(api, admin, alice, demo_brand):
    made = batch(admin, quantity=1, maxUsesPerCode=3, perUserOnce=False, amount="1.50")
    [code] = made["codes"]
    w = usd_wallet(alice)
    for _ in range(3):
        assert apply(alice, w["id"], code).status_code == 200
    assert error(apply(alice, w["id"], code)) == "REDEEM_CODE_USED_UP"
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == Decimal("4.5")
    assert len(admin.ok("GET", f"{RC}/{made['id']}/codes")["items"][0]["usedBy"]) == 3


def test_ten_concurrent_applies_of_a_single_use_code_credit_once(api, admin, demo_brand,
                                                                 atomic_moto):
    made = batch(admin, quantity=1)
    [code] = made["codes"]
    users = [register_and_login(api, f"user{i}") for i in range(10)]
    owners = [(u.ok("GET", "v1/users/me")["id"], usd_wallet(u)["id"]) for u in users]
    outcomes = run_together(10, lambda i: redeeming.apply(demo_brand["id"], owners[i][0],
                                                          owners[i][1], code, "10.0.0.1"))
    assert outcomes.count(True) == 1, outcomes
    refused = [o for o in outcomes if o is not True]
    assert all(isinstance(o, ApiError) and o.code == "REDEEM_CODE_USED_UP" for o in refused)
    total = sum(u.ok("GET", f"v1/wallets/{wid}")["amount"]
                for u, (_, wid) in zip(users, owners, strict=True))
    assert total == 5
    assert admin.ok("GET", f"{RC}/{made['id']}/codes")["items"][0]["uses"] == 1


def test_ten_concurrent_applies_by_one_user_of_a_per_user_code_credit_once(admin, alice,
                                                                           demo_brand,
                                                                           atomic_moto):
    made = batch(admin, quantity=1, maxUsesPerCode=100)
    [code] = made["codes"]
    user_id = alice.ok("GET", "v1/users/me")["id"]
    w = usd_wallet(alice)
    outcomes = run_together(10, lambda i: redeeming.apply(demo_brand["id"], user_id, w["id"],
                                                          code))
    assert outcomes.count(True) == 1, outcomes
    assert all(o.code == "REDEEM_CODE_ALREADY_USED" for o in outcomes if o is not True)
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == 5
    assert admin.ok("GET", f"{RC}/{made['id']}/codes")["items"][0]["uses"] == 1


def test_failed_guesses_are_limited_per_user(clock, admin, alice, demo_brand):
    made = batch(admin, quantity=1)
    w = usd_wallet(alice)
    for i in range(redeeming.FAILS_PER_USER):
        r = apply(alice, w["id"], f"AAAA-AAAA-AAAA-AAA{'ABCDEFGHJK'[i]}")
        assert r.status_code == 404
    r = apply(alice, w["id"], made["codes"][0])
    assert r.status_code == 429 and error(r) == "REDEEM_TOO_MANY_ATTEMPTS"
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60 + 1
    clock.move(seconds=redeeming.WINDOW.total_seconds() + 1)
    assert apply(alice, w["id"], made["codes"][0]).status_code == 200


def test_failed_guesses_are_limited_per_client_ip(api, admin, demo_brand):
    made = batch(admin, quantity=1)
    b = demo_brand["id"]
    per_user = redeeming.FAILS_PER_USER
    users = []
    for i in range(redeeming.FAILS_PER_IP // per_user + 1):
        u = register_and_login(api, f"guess{i}")
        users.append((u.ok("GET", "v1/users/me")["id"], usd_wallet(u)["id"]))
    for user_id, wallet_id in users[:-1]:
        for _ in range(per_user):
            with pytest.raises(ApiError) as e:
                redeeming.apply(b, user_id, wallet_id, "BBBB-BBBB-BBBB-BBBB", "203.0.113.9")
            assert e.value.status == 404
    fresh_user, fresh_wallet = users[-1]
    with pytest.raises(ApiError) as e:
        redeeming.apply(b, fresh_user, fresh_wallet, made["codes"][0], "203.0.113.9")
    assert e.value.status == 429 and "Retry-After" in e.value.headers
    assert redeeming.apply(b, fresh_user, fresh_wallet, made["codes"][0], "198.51.100.7")


def test_export_is_csv_with_every_code(admin, alice, demo_brand):
    made = batch(admin, quantity=4)
    w = usd_wallet(alice)
    apply(alice, w["id"], made["codes"][0])
    admin.ok("PUT", f"v1/redeem-codes/{made['id']}-00002/deactivate")
    resp = admin.get(f"{RC}/{made['id']}/export")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    lines = resp.body.decode().splitlines()
    assert lines[0].startswith("code,number,id,status,uses")
    rows = [line.split(",") for line in lines[1:]]
    assert [r[0] for r in rows] == made["codes"]
    assert [(r[3], r[4]) for r in rows] == [("Active", "1"), ("Inactive", "0"),
                                            ("Active", "0"), ("Active", "0")]
    assert alice.get(f"{RC}/{made['id']}/export").status_code == 403
    assert admin.get(f"{RC}/nope/export").status_code == 404


def test_big_batches_page_their_codes(admin, demo_brand):
    made = batch(admin, quantity=25)
    page = admin.ok("GET", f"{RC}/{made['id']}/codes?pageSize=10&pageNumber=2")
    assert page["totalItems"] == 25 and [c["number"] for c in page["items"]] == \
        list(range(21, 26))
    assert admin.ok("GET", f"{RC}/{made['id']}/codes?pageNumber=9")["items"] == []


def test_apply_is_idempotent_by_key(admin, alice, demo_brand):
    made = batch(admin, quantity=1)
    w = usd_wallet(alice)
    headers = {"Idempotency-Key": "k-1"}
    first = alice.post(f"v1/wallets/{w['id']}/apply-redeem/{made['codes'][0]}", headers=headers)
    second = alice.post(f"v1/wallets/{w['id']}/apply-redeem/{made['codes'][0]}",
                        headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert alice.ok("GET", f"v1/wallets/{w['id']}")["amount"] == 5


def test_codes_are_a_brands_own(admin, demo_brand, other_brand, client):
    from tests.helpers.api import Api

    made = batch(admin, quantity=1)
    other = register_and_login(Api(client, "other.test"), "olga")
    w = usd_wallet(other)
    assert error(apply(other, w["id"], made["codes"][0])) == "REDEEM_CODE_NOT_FOUND"
