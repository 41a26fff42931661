"""bench/cost.py as `make bench` runs it: one whole payment priced, its phases adding up to the
total, the baseline a bare read and write, and nothing left unsent or failed."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PHASES = ("checkout_link", "checkout_page", "notification", "consumer_outbox")
SUMMED = ("api", "lambda", "ddb_calls", "rru", "wru", "items_written", "gsi_writes", "gsi_wru",
          "sqs", "ses", "s3_put", "s3_get", "kms")


def figures(line: str) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in re.findall(r"\b([a-z0-9_]+)=([0-9.]+)\b", line)}


def test_one_payment_priced_end_to_end():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "cost.py")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = [line for line in run.stdout.splitlines() if line.startswith("cost ")]

    def line(start: str) -> str:
        [found] = [x for x in out if x.startswith(f"cost {start}")]
        return found

    phases = {p: figures(line(f"{p} ")) for p in PHASES}
    total = figures(line("total "))
    for name in SUMMED:
        assert total[name] == sum(p[name] for p in phases.values()), name
    # each printed to 4 decimals
    assert abs(total["usd_per_1000"] - sum(p["usd_per_1000"] for p in phases.values())) <= \
        Decimal("0.0004")
    # the buyer's requests: the link, the page twice, the notification; no mail before paying
    assert [phases[p]["api"] for p in PHASES] == [1, 2, 1, 0]
    assert phases["checkout_link"]["ses"] == phases["notification"]["ses"] == 0
    assert phases["consumer_outbox"]["ses"] >= 1 and phases["consumer_outbox"]["lambda"] >= 1
    # every item of the notification's transaction costs at least 2 write units
    note = phases["notification"]
    assert note["items_written"] >= 3 and note["wru"] >= 2 * note["items_written"]
    assert "unsent=" not in line("total ") and "failed=" not in run.stdout
    assert re.search(r"outbox_rows=\(\S+=\d", line("total "))

    parts = [x for x in out if x.startswith("cost consumer_outbox.")]
    assert parts and sum(figures(p)["wru"] for p in parts) <= phases["consumer_outbox"]["wru"]

    dollars = figures(line("usd_per_1000_payments="))
    assert dollars["usd_per_1000_payments"] == total["usd_per_1000"]
    assert dollars["dynamodb"] > 0 and dollars["ses"] > 0

    bare = figures(line("baseline bare"))
    assert (bare["rru"], bare["wru"], bare["gsi_wru"], bare["ddb_calls"]) == (1, 1, 0, 2)
