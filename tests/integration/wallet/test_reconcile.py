"""The provable ledger: the reconciliation job (reads only what changed, finds edits and
deletions made in DynamoDB, locks, mails the brand's admins once, logs the metric's line), the
MAC checked at spend time, and an admin's lock and unlock (which proves the ledger first)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from chalicelib import settings
from chalicelib.identity import brands
from chalicelib.store.ids import stamp
from chalicelib.wallet import jobs, ledger, reconcile
from chalicelib.wallet import models as m
from chalicelib.wallet.ledger import Move
from tests.concurrency import run_together
from tests.helpers import mail
from tests.helpers.api import register_and_login

SUPPORT = "help@demo.test"
W, R = m.WalletItem, m.LedgerRowItem


@pytest.fixture
def alice(api):
    return register_and_login(api, "alice")


@pytest.fixture
def brand_id(demo_brand, mail_env):
    brands.update_setting(demo_brand["id"], {"emailSupport": SUPPORT})
    return demo_brand["id"]


@pytest.fixture
def wallet_id(alice, brand_id):
    """Alice's USD wallet with four rows: +10.00, +5.00 granted, -3.00, +1.00 (13.00)."""
    w = alice.ok("POST", "v1/wallets/USD")
    for amount, part in ((1000, "paid"), (500, "granted"), (-300, None), (100, "paid")):
        if amount < 0:
            ledger.post(brand_id, [Move(w["id"], amount, "LicensePurchase")])
        else:
            ledger.post(brand_id, [Move(w["id"], amount, "WalletAddMoney", part=part)])
    return w["id"]


def _wallet(brand_id: str, wallet_id: str):
    return ledger.get_wallet(brand_id, wallet_id)


def _row(brand_id: str, wallet_id: str, seq: int):
    return R.get(m.wallet_pk(brand_id, wallet_id), m.row_sk(seq), consistent_read=True)


def _spend(brand_id: str, wallet_id: str, amount: int = 100):
    return ledger.post(brand_id, [Move(wallet_id, -amount, "LicensePurchase")])


def _admin_mails() -> list:
    mail.drain()
    return [x for x in mail.mails_to(SUPPORT) if "was locked" in x.subject]


def _assert_refused(brand_id: str, wallet_id: str) -> None:
    with pytest.raises((ledger.WalletNotOpen, ledger.WalletTampered)) as e:
        _spend(brand_id, wallet_id)
    assert e.value.status == 409 and e.value.code in ("WALLET_NOT_OPEN", "WALLET_LOCKED")


def test_an_untouched_wallet_passes_and_waits_for_its_audit(brand_id, wallet_id):
    counts = jobs.run_reconciliation({})
    # one due item, one Query: 4 rows + the wallet
    assert counts["wallets"] == 1 and counts["passed"] == 1 and counts["failures"] == 0
    assert counts["rows"] == 4 and counts["items"] == 1 + 4 + 1
    w = _wallet(brand_id, wallet_id)
    assert w.status == "Open" and int(w.verified_seq) == 4 and w.verified_head == w.head
    audit = settings.now() + timedelta(days=settings.get().wallet_audit_days)
    assert w.due_sk[:10] == stamp(audit)[:10] and w.due_sk.endswith(f"#{brand_id}#{wallet_id}")
    # nothing changed: the next run reads nothing
    again = reconcile.run()
    assert again["wallets"] == 0 and again["rows"] == 0 and again["items"] == 0
    assert _admin_mails() == []


def test_a_change_is_proven_from_the_verified_row_only(brand_id, wallet_id):
    reconcile.run()
    ledger.post(brand_id, [Move(wallet_id, 200, "WalletAddMoney")])
    _spend(brand_id, wallet_id, 50)
    counts = reconcile.run()
    # the verified row 4 (it must still hash to the mark), the new rows 5 and 6, the wallet
    assert counts["wallets"] == 1 and counts["passed"] == 1
    assert counts["rows"] == 3 and counts["items"] == 1 + 3 + 1 and counts.get("full", 0) == 0
    assert int(_wallet(brand_id, wallet_id).verified_seq) == 6


def test_the_full_audit_comes_after_the_audit_days(brand_id, wallet_id):
    reconcile.run()
    later = settings.now() + timedelta(days=settings.get().wallet_audit_days, minutes=1)
    settings.set_clock(lambda: later)
    counts = reconcile.run()
    assert counts["wallets"] == 1 and counts["full"] == 1 and counts["rows"] == 4
    assert counts["passed"] == 1
    assert _wallet(brand_id, wallet_id).verified_date == later


def test_a_wallet_changed_every_day_is_still_audited_in_full(brand_id, wallet_id):
    start = settings.now()
    settings.set_clock(lambda: start)
    reconcile.run()  # its first proof is a full one
    days = settings.get().wallet_audit_days
    for day in range(1, days + 2):
        moment = start + timedelta(days=day)
        settings.set_clock(lambda moment=moment: moment)
        ledger.post(brand_id, [Move(wallet_id, 1, "WalletAddMoney")])
        counts = reconcile.run()
        assert counts["passed"] == 1
        if day < days:
            assert counts.get("full", 0) == 0 and counts["rows"] == 2, (day, counts)
            w = _wallet(brand_id, wallet_id)
            assert w.verified_date == start
            assert w.due_sk[:10] == stamp(start + timedelta(days=days))[:10]
        elif day == days:
            assert counts["full"] == 1 and counts["rows"] == 4 + day, (day, counts)
    assert _wallet(brand_id, wallet_id).verified_date == start + timedelta(days=days)


def test_an_edited_row_amount_locks_the_wallet_and_mails_the_admins(brand_id, wallet_id,
                                                                     caplog):
    reconcile.run()
    _row(brand_id, wallet_id, 4).update(actions=[R.amount_minor.set(10000)])
    ledger.post(brand_id, [Move(wallet_id, 100, "WalletAddMoney")])  # makes it due
    with caplog.at_level(logging.ERROR, logger="jfw.wallet.reconcile"):
        counts = reconcile.run()
    assert counts["failures"] == 1 and counts["passed"] == 0
    w = _wallet(brand_id, wallet_id)
    assert w.status == "Locked" and "ledger row 4" in w.locked_reason
    [line] = [r.getMessage() for r in caplog.records
              if r.getMessage().startswith(reconcile.FAILED_EVENT)]
    assert '"metric": "WalletReconciliationFailures"' in line and '"row": 4' in line
    [sent] = _admin_mails()
    assert w.code in sent.subject and "ledger row 4" in sent.body
    _assert_refused(brand_id, wallet_id)
    # found again tomorrow, but mailed once
    tomorrow = settings.now() + timedelta(days=1, minutes=1)
    settings.set_clock(lambda: tomorrow)
    assert reconcile.run()["failures"] == 1
    assert len(_admin_mails()) == 1


def test_an_edited_row_of_an_unverified_wallet_is_found(brand_id, wallet_id):
    _row(brand_id, wallet_id, 2).update(actions=[R.amount_minor.set(5)])
    counts = reconcile.run()
    assert counts["failures"] == 1
    w = _wallet(brand_id, wallet_id)
    assert w.status == "Locked" and "ledger row 2" in w.locked_reason
    assert len(_admin_mails()) == 1
    _assert_refused(brand_id, wallet_id)


def test_a_deleted_row_is_found(brand_id, wallet_id):
    _row(brand_id, wallet_id, 3).delete()
    assert reconcile.run()["failures"] == 1
    w = _wallet(brand_id, wallet_id)
    assert w.status == "Locked" and "ledger row 3: it is missing" in w.locked_reason
    assert len(_admin_mails()) == 1
    _assert_refused(brand_id, wallet_id)


def test_a_deleted_last_row_is_found(brand_id, wallet_id):
    reconcile.run()
    ledger.post(brand_id, [Move(wallet_id, 100, "WalletAddMoney")])
    _row(brand_id, wallet_id, 5).delete()
    assert reconcile.run()["failures"] == 1
    assert "ledger row 5" in _wallet(brand_id, wallet_id).locked_reason


def test_an_edited_balance_is_refused_at_spend_time_and_reported_by_the_job(brand_id,
                                                                           wallet_id):
    reconcile.run()  # verified: its dueSk is its audit date, a month away
    w = _wallet(brand_id, wallet_id)
    w.update(actions=[W.balance_minor.set(1_000_000), W.paid_minor.set(999_500)])
    with pytest.raises(ledger.WalletTampered) as e:
        _spend(brand_id, wallet_id)
    assert e.value.status == 409 and e.value.code == "WALLET_LOCKED"
    assert _wallet(brand_id, wallet_id).status == "Locked"
    # the lock made it due: the job finds the balance the ledger doesn't prove, and mails
    counts = reconcile.run()
    assert counts["wallets"] == 1 and counts["failures"] == 1
    [sent] = _admin_mails()
    assert "its balance 1000000 is not the ledger" in sent.body and " 1300 " in sent.body
    _assert_refused(brand_id, wallet_id)


def test_an_edited_balance_is_found_by_the_job_first(brand_id, wallet_id):
    _wallet(brand_id, wallet_id).update(actions=[W.balance_minor.set(99)])
    assert reconcile.run()["failures"] == 1
    w = _wallet(brand_id, wallet_id)
    assert w.status == "Locked" and "its balance 99" in w.locked_reason
    assert len(_admin_mails()) == 1
    _assert_refused(brand_id, wallet_id)


def test_a_wallet_without_a_support_address_is_still_locked(demo_brand, alice, mail_env):
    w = alice.ok("POST", "v1/wallets/EUR")
    ledger.post(demo_brand["id"], [Move(w["id"], 100, "WalletAddMoney")])
    _row(demo_brand["id"], w["id"], 1).update(actions=[R.balance_after.set(1)])
    assert reconcile.run()["failures"] == 1
    assert _wallet(demo_brand["id"], w["id"]).status == "Locked"
    mail.drain()
    # the owner's WALLET.ADD-MONEY.SUCCESS went out; no reconciliation mail went anywhere
    assert [x.subject for x in mail.ses_sent()] == ["1.00 EUR added to your Demo wallet"]


def test_credits_still_land_on_a_locked_wallet(brand_id, wallet_id):
    _wallet(brand_id, wallet_id).update(actions=[W.balance_minor.set(99)])
    reconcile.run()  # the lock wrote a MAC over what it found: money still arrives
    ledger.post(brand_id, [Move(wallet_id, 100, "WalletAddMoney")])
    w = _wallet(brand_id, wallet_id)
    # a post counts from the parts, which still said 13.00: the ledger's figures again
    assert w.status == "Locked" and int(w.balance_minor) == 1400
    _assert_refused(brand_id, wallet_id)
    counts = reconcile.run()
    assert counts["wallets"] == 1 and counts["passed"] == 1
    assert _wallet(brand_id, wallet_id).status == "Locked"  # until an admin unlocks it


def test_unlock_is_refused_while_the_ledger_disagrees_and_works_once_restored(
        admin, brand_id, wallet_id):
    row = _row(brand_id, wallet_id, 2)
    original = int(row.amount_minor)
    row.update(actions=[R.amount_minor.set(original + 1)])
    reconcile.run()
    r = admin.put(f"v1/wallets/{wallet_id}/unlock")
    assert r.status_code == 409, r.json_body
    err = r.json_body["errors"][0]
    assert err["code"] == "WALLET_LEDGER_DISAGREES" and "ledger row 2" in err["message"]
    assert _wallet(brand_id, wallet_id).status == "Locked"
    _row(brand_id, wallet_id, 2).update(actions=[R.amount_minor.set(original)])  # restored
    opened = admin.ok("PUT", f"v1/wallets/{wallet_id}/unlock")
    assert opened["status"] == "Open" and opened["lockedReason"] is None
    w = _wallet(brand_id, wallet_id)
    assert int(w.verified_seq) == 4 and w.verified_head == w.head
    assert not list(m.FindingItem.query(w.pk, m.FindingItem.sk.startswith(m.FINDING_PREFIX)))
    _spend(brand_id, wallet_id)  # spendable again
    assert reconcile.run()["failures"] == 0


def test_unlock_after_a_restored_balance(admin, brand_id, wallet_id):
    _wallet(brand_id, wallet_id).update(actions=[W.balance_minor.set(99)])
    with pytest.raises(ledger.WalletTampered):
        _spend(brand_id, wallet_id)
    assert admin.put(f"v1/wallets/{wallet_id}/unlock").status_code == 409
    _wallet(brand_id, wallet_id).update(actions=[W.balance_minor.set(1300)])
    assert admin.ok("PUT", f"v1/wallets/{wallet_id}/unlock")["status"] == "Open"
    _spend(brand_id, wallet_id)
    assert _wallet(brand_id, wallet_id).balance_minor == 1200


def test_admin_lock_and_unlock(admin, alice, brand_id, wallet_id):
    assert alice.put(f"v1/wallets/{wallet_id}/lock").status_code == 403
    locked = admin.ok("PUT", f"v1/wallets/{wallet_id}/lock?reason=chargeback%20review")
    assert locked["status"] == "Locked" and "chargeback review" in locked["lockedReason"]
    assert admin.ok("PUT", f"v1/wallets/{wallet_id}/lock")["status"] == "Locked"
    _assert_refused(brand_id, wallet_id)
    assert alice.put(f"v1/wallets/{wallet_id}/unlock").status_code == 403
    # a lock for a reason of its own: the job proves it (it passes) and nobody is mailed
    counts = reconcile.run()
    assert counts["passed"] == 1 and counts["failures"] == 0 and _admin_mails() == []
    assert _wallet(brand_id, wallet_id).status == "Locked"
    assert admin.ok("PUT", f"v1/wallets/{wallet_id}/unlock")["status"] == "Open"
    assert admin.ok("PUT", f"v1/wallets/{wallet_id}/unlock")["status"] == "Open"
    _spend(brand_id, wallet_id)
    assert admin.put("v1/wallets/nope/lock").status_code == 404


def test_a_closed_wallet_with_an_edited_row_stays_closed_and_is_reported(alice, brand_id):
    w = alice.ok("POST", "v1/wallets/EUR")
    ledger.post(brand_id, [Move(w["id"], 100, "WalletAddMoney")])
    _spend(brand_id, w["id"], 100)
    alice.ok("PUT", f"v1/wallets/{w['id']}/close")
    _row(brand_id, w["id"], 1).update(actions=[R.amount_minor.set(7)])
    assert reconcile.run()["failures"] == 1
    assert _wallet(brand_id, w["id"]).status == "Closed"
    assert len(_admin_mails()) == 1


def test_a_closed_wallet_is_not_locked(admin, alice, brand_id):
    w = alice.ok("POST", "v1/wallets/EUR")
    alice.ok("PUT", f"v1/wallets/{w['id']}/close")
    r = admin.put(f"v1/wallets/{w['id']}/lock")
    assert r.status_code == 409 and r.json_body["errors"][0]["code"] == "WALLET_CLOSED"
    assert admin.put(f"v1/wallets/{w['id']}/unlock").status_code == 409


def test_reconciliation_during_concurrent_spends_finds_nothing(brand_id, wallet_id,
                                                               atomic_moto):
    def work(i: int):
        if i % 4 == 0:
            return reconcile.run()
        return _spend(brand_id, wallet_id, 10)

    outcomes = run_together(12, work)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert all(o["failures"] == 0 for o in outcomes if isinstance(o, dict)), outcomes
    assert _wallet(brand_id, wallet_id).status == "Open"
    final = reconcile.run()
    assert final["failures"] == 0
    w = _wallet(brand_id, wallet_id)
    assert w.status == "Open" and int(w.verified_seq) == int(w.seq) == 4 + 9


def test_the_job_runs_from_its_schedule_as_the_local_stack_runs_it(api, brand_id, wallet_id):
    result = api.ok("POST", "/api/v1/dev/jobs/wallet-reconciliation/run")["result"]
    assert result["wallets"] == 1 and result["passed"] == 1 and result["rows"] == 4
