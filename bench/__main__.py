"""`make bench`: every script in bench/ in turn, and nothing left running afterwards.

    .venv/bin/python bench [NAME ...]     # e.g. `python bench stack ipn`; default: all of them
                                          # (invoicing.py runs invoicing_pdf.py and _renewals.py)

Sizes: each script's defaults are the quick ones (the whole run takes minutes); ``BENCH_FULL=1``
(``make bench FULL=1``) gives them the full sizes (100,000 subscriptions, a 10-minute soak...).

Each script runs in its own session (its own process group), so a Ctrl-C or a SIGTERM reaches
this runner, which passes it on as SIGINT (each script stops what it started on
KeyboardInterrupt), waits up to ``GRACE`` seconds, then kills the group. Every process a script
started (found by walking /proc while it runs, local stacks in their own sessions included) is
killed if it is still alive when the script ends, however it ended, and named on stderr: a
script that leaves one behind has a bug.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from chalicelib.devstack.processes import descendants  # noqa: E402 - after the path

GRACE = 90.0  # bench/stack.py gives a stack 60 s to stop before it kills it
EXIT_ON = {signal.SIGINT: 130, signal.SIGTERM: 143}
# Scripts another one runs in a child interpreter: run by name only, not twice in a whole run.
RUN_BY = {"invoicing_pdf.py": "invoicing.py", "invoicing_renewals.py": "invoicing.py"}


def note(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if not names:
        return [p for p in found if p.name not in RUN_BY]
    wanted = [HERE / (n if n.endswith(".py") else f"{n}.py") for n in names]
    missing = [p.name for p in wanted if p not in found]
    if missing:
        raise SystemExit(f"no such bench: {', '.join(missing)} (there are: "
                         f"{', '.join(p.stem for p in found)})")
    return wanted


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/<pid>/stat), None when it is gone: with the
    pid it names one process, so a reused pid is never taken for it."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") else fields[19]


class Tracked:
    """A script's process and every process under it, seen every ``interval`` seconds."""

    def __init__(self, proc: subprocess.Popen, interval: float = 0.5) -> None:
        self.proc = proc
        self.seen: dict[int, str] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, args=(interval,), daemon=True)
        self.thread.start()

    def look(self) -> None:
        for pid in descendants(self.proc.pid):
            started = _start_time(pid)
            if started:
                with self.lock:
                    self.seen.setdefault(pid, started)

    def _watch(self, interval: float) -> None:
        while not self.done.wait(interval):
            self.look()

    def leftovers(self) -> list[int]:
        with self.lock:
            return [pid for pid, started in self.seen.items() if _start_time(pid) == started]

    def kill_all(self) -> list[int]:
        """SIGKILL the script's group and every process it started that is still alive."""
        if self.proc.poll() is None:
            self.look()
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.done.set()
        left = self.leftovers()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        return left


def run(script: Path, received: list[int]) -> int:
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    tracked = Tracked(proc)
    try:
        while proc.poll() is None and not received:
            time.sleep(0.2)
            tracked.look()
        if received:
            note(f"{script.name}: stopping it (signal {received[0]})")
            try:
                os.killpg(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + GRACE
            while proc.poll() is None and time.monotonic() < deadline and len(received) < 2:
                time.sleep(0.2)
                tracked.look()
            if proc.poll() is None:
                note(f"{script.name}: still running, killed")
    finally:
        left = tracked.kill_all()
        if left:
            note(f"{script.name} left processes behind, killed: {sorted(left)}")
    return proc.returncode


def main() -> int:
    received: list[int] = []

    def on_signal(sig: int, _frame: object) -> None:
        received.append(sig)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    mode = "full sizes" if os.environ.get("BENCH_FULL") == "1" else \
        "quick sizes (BENCH_FULL=1 for the full ones)"
    note(mode)
    for script in scripts(sys.argv[1:]):
        note(f"{script.name}")
        t0 = time.monotonic()
        code = run(script, received)
        if received:
            return EXIT_ON.get(received[0], 130)
        if code != 0:
            note(f"{script.name} failed (exit {code})")
            return 1
        note(f"{script.name} done in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
