"""What the local stack's processes and threads share: one dev clock across processes, and one
boto client per service across threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from chalicelib.store import aws

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, clock_file: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, check=True, text=True,
        capture_output=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "JFW_STAGE": "local", "JFW_DEV_CLOCK_FILE": str(clock_file)},
    ).stdout.strip()


def test_moving_the_dev_clock_in_one_process_moves_every_process_of_the_stack(tmp_path):
    clock = tmp_path / "clock"
    clock.write_bytes(bytes(8))
    moved = run("""
        from datetime import UTC, datetime, timedelta
        from chalicelib import settings
        settings.reload()
        settings.set_clock(lambda: datetime.now(UTC) + timedelta(days=40))
        print(settings.now().date())
    """, clock)
    seen = run("""
        from chalicelib import settings
        settings.reload()
        print(settings.now().date())
    """, clock)
    assert seen == moved
    back = run("""
        from datetime import UTC, datetime
        from chalicelib import settings
        settings.reload()
        settings.set_clock(None)
        print(abs((settings.now() - datetime.now(UTC)).total_seconds()) < 5)
    """, clock)
    assert back == "True"


def test_threads_asking_for_a_client_at_once_share_one(monkeypatch):
    made = []

    def slow_create(service: str) -> object:
        time.sleep(0.05)  # a real client takes ~0.1 s: long enough for every thread to miss
        made.append(service)
        return object()

    monkeypatch.setattr(aws, "_create", slow_create)
    aws.reset()
    start = threading.Barrier(16)
    got: list[object] = []

    def ask() -> None:
        start.wait()
        got.append(aws.client("sqs"))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    aws.reset()
    assert made == ["sqs"]
    assert len({id(c) for c in got}) == 1
