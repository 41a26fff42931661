"""`make bench` leaves nothing running when it is interrupted: bench/stack.py started alone and
stopped with Ctrl-C's SIGINT, and `make bench`'s runner (bench/__main__.py) stopped with SIGTERM
as `kill` sends it, each once its local stack's servers are up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.stackproc import ROOT, VENV_PYTHON, alive, descendants

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
SERVERS = ("api_server", "DynamoDBLocal", "stripe_server", "paypal_simulator", "moto")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def still_alive(pids: set[int]) -> dict[int, str]:
    deadline = time.monotonic() + 5  # a killed process may take a moment to be reaped
    while True:
        left = {p: cmdline(p) for p in pids if alive(p)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def interrupt_when_up(argv: list[str], sig: int,
                      whole_group: bool) -> tuple[int | None, dict[int, str], str]:
    """Start ``argv`` in its own session, send ``sig`` once every server of its stack is up (to
    its whole process group, as a terminal's Ctrl-C, or to it alone, as `kill`): its exit code,
    the processes seen under it still alive once it has exited, and its stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "AWS_"))}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    err: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr
        for line in proc.stderr:
            err.append(line)
            if "ready in" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    seen: set[int] = {proc.pid}
    try:
        assert ready.wait(300), "the bench's stack was not ready in 300 s:\n" + "".join(err)
        seen |= descendants(proc.pid)
        running = " ".join(cmdline(p) for p in seen)
        assert all(name in running for name in SERVERS), running
        if whole_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        deadline = time.monotonic() + 150
        while proc.poll() is None and time.monotonic() < deadline:
            seen |= descendants(proc.pid)
            time.sleep(0.2)
        left = still_alive(seen)
        return proc.poll(), left, "".join(err)
    finally:
        # Whatever the assertions found, the test itself leaves nothing running.
        for pid in seen:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_ctrl_c_stops_the_stack_bench_and_every_process_it_started():
    code, left, err = interrupt_when_up(
        [PYTHON, "bench/stack.py", "--skip-moto"], signal.SIGINT, whole_group=True)
    assert left == {}, err
    assert code == 130, err
    assert "interrupted: every process started here was stopped" in err


def test_sigterm_to_make_bench_stops_every_process_it_started():
    code, left, err = interrupt_when_up([PYTHON, "bench", "stack"], signal.SIGTERM,
                                        whole_group=False)
    assert left == {}, err
    assert code == 143, err
    assert "stack.py: stopping it" in err
    assert "left processes behind" not in err, err
