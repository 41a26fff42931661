"""Child processes of the stack, each in its own process group, stopped group and all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def proc_stat(pid: int) -> tuple[int, str] | None:
    """(ppid, state) of a process, from /proc; None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), fields[0]


def descendants(root: int) -> set[int]:
    """Every process under ``root`` (children, theirs, ...), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat:
                children.setdefault(stat[0], []).append(int(entry.name))
    out: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out

def _die_with_parent() -> None:
    """Runs in the child before exec: if the stack dies without cleaning up (SIGKILL), the
    kernel sends the child SIGTERM, so nothing outlives it (Linux only)."""
    if sys.platform.startswith("linux"):
        import ctypes  # after the stack's environment

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Child:
    """A subprocess whose output goes to a log file (``log_path``), or to the stack's own
    output when ``log_path`` is None (the API processes: their request lines are the log a
    developer watches)."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path | None, cwd: Path,
                 env: dict[str, str], pass_fds: Sequence[int] = ()) -> None:
        self.name = name
        self.log_path = log_path
        if log_path is None:
            self.proc = self._popen(argv, cwd, env, pass_fds, None)
            return
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            self.proc = self._popen(argv, cwd, env, pass_fds, log)

    @staticmethod
    def _popen(argv: Sequence[str], cwd: Path, env: dict[str, str], pass_fds: Sequence[int],
               log: Any) -> subprocess.Popen:
        # Started before any thread of the stack runs, so preexec_fn is safe here.
        return subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT if log is not None else None, start_new_session=True,
            preexec_fn=_die_with_parent, pass_fds=tuple(pass_fds))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None:
            return "    (its output is above)"
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n".join("    " + line for line in text)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left after ``timeout``."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; make sure nothing else of its group lingers.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
