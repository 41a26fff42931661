"""Every outbox kind a writer declares (notify.declare_kind: known where its rows are written,
without its handler) has its handler once the consumer is imported; and the webhook's cold
path (payments' inbound handlers) loads no context the notification doesn't need."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_declared_kind_has_its_handler_in_the_consumer() -> None:
    from chalicelib.notify import jobs, outbox  # noqa: F401 - the consumer registers every kind

    assert outbox.DECLARED, "no kind is declared: the check checks nothing"
    assert outbox.unregistered_kinds() == set()
    for kind in outbox.DECLARED:
        assert callable(outbox.KINDS[kind])


def test_payments_kinds_are_declared_without_their_handlers() -> None:
    """In a fresh interpreter: importing the intake makes its rows writable (the kinds are
    known) while their handlers are not registered yet (nor their contexts loaded)."""
    code = """if True:
        import json, sys
        from chalicelib.payments.inbound import api, intake
        from chalicelib.notify import outbox
        from chalicelib.payments import effects
        row = outbox.row("b1", effects.PAYMENT_EVENT, {})
        print(json.dumps({"kind": row.kind, "declared": sorted(outbox.DECLARED),
                          "registered": sorted(outbox.KINDS),
                          "loaded": sorted(m for m in sys.modules if m.startswith("chalicelib."))}))
    """
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["kind"] == "payment-event"
    assert {"payment-event", "payment-coupon"} <= set(seen["declared"])
    assert "payment-event" not in seen["registered"]
    loaded = set(seen["loaded"])
    for ctx in ("identity", "catalog", "webhooks", "licensing", "wallet", "invoicing",
                "reports"):
        assert f"chalicelib.{ctx}.service" not in loaded, ctx
    assert "chalicelib.payments.kinds" not in loaded
