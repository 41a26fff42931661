"""Start the local stack as `make run` does, as a subprocess, and see every process it starts.

Each stack gets its own free ports and its own folder (logs and data: DynamoDB Local's database
and S3's files); ``again()`` is the same stack started anew on the same ports and data."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from chalicelib.devstack.processes import descendants, proc_stat

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
READY_TIMEOUT = 90.0


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def alive(pid: int) -> bool:
    stat = proc_stat(pid)
    return stat is not None and stat[1] not in ("Z", "X")


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, _, state = line.split()[1:4]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


class StackProcess:
    def __init__(self, workdir: Path, *args: str, ports: list[int] | None = None,
                 **env: str) -> None:
        """``args``: the stack's options (``--fresh``, ``--dynamodb=moto``); ``env`` on top of
        this process's environment (without its JFW_ and AWS_ settings)."""
        self.ports = ports or free_ports(5)
        (self.api_port, self.dynamodb_port, self.moto_port, self.stripe_port,
         self.paypal_port) = self.ports
        self.workdir = workdir
        self.args = list(args)
        self.extra_env = env
        base = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "AWS_"))}
        self.env = {**base, "PORT": str(self.api_port), "DYNAMODB_PORT": str(self.dynamodb_port),
                    "MOTO_PORT": str(self.moto_port), "LOCALSTRIPE_PORT": str(self.stripe_port),
                    "PAYPAL_SIM_PORT": str(self.paypal_port),
                    "JFW_DEVSTACK_DIR": str(workdir / "devstack"), **env}
        self.stderr_path = workdir / "stack.stderr"  # appended to by each start
        self.lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.proc: subprocess.Popen | None = None
        self.seen: set[int] = set()

    @property
    def data_dir(self) -> Path:
        return Path(self.env.get("JFW_DATA_DIR") or Path(self.env["JFW_DEVSTACK_DIR"]) / "data")

    def again(self, *args: str) -> StackProcess:
        """The same stack (ports, environment, data folder) to start anew, with ``args``."""
        return StackProcess(self.workdir, *args, ports=self.ports, **self.extra_env)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api"

    def start(self) -> None:
        python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                [str(python), "-m", "chalicelib.devstack", *self.args], cwd=ROOT, env=self.env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
                start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._lines.put(line)
        self._lines.put(None)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no 'ready' line within {timeout:.0f} s\n{self.output()}") from None
            if line is None:
                raise AssertionError(f"the stack exited before 'ready'\n{self.output()}")
            if "ready" in line:
                self.seen |= self.descendants()
                return line.rstrip("\n")

    def descendants(self) -> set[int]:
        assert self.proc
        return descendants(self.proc.pid)

    def output(self) -> str:
        err = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        return ("--- stdout ---\n" + "\n".join(self.lines) + "\n--- stderr (last 60 lines) ---\n"
                + "\n".join(err.splitlines()[-60:]))

    def signal(self, sig: int, timeout: float = 30.0) -> int:
        """Send ``sig`` to the stack alone (as Ctrl-C or `kill` would) and wait for its exit."""
        assert self.proc
        self.seen |= self.descendants()
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the stack did not exit within {timeout:.0f} s of signal "
                                 f"{sig}\n{self.output()}") from None

    def kill_everything(self) -> None:
        """Test teardown: whatever the test did, leave nothing running."""
        if self.proc is None:
            return
        self.seen |= self.descendants() if self.proc.poll() is None else set()
        for pid in [self.proc.pid, *self.seen]:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
