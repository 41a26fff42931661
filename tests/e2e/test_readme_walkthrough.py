"""The README's walk-through, pasted in order into one bash session against the local stack.

Every fenced shell block of README.md says what it is in its info string: ```sh walkthrough
(a step of the walk-through, run here) or ```sh manual (not run: make run itself, deploy,
redrive, ...). The walk-through blocks run in order in ONE bash process, with the environment
`make run` reads (PORT, LOCALSTRIPE_PORT, PAYPAL_SIM_PORT) pointing at a stack on free ports,
under `set -euo pipefail`, and with curl failing on an HTTP error (--fail-with-body), so a
step that fails, or answers an error envelope, fails the test, which names the block, the
line and what it printed. A machine without jq gets tests/e2e/tiny_jq.py as `jq`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stackproc import ROOT, StackProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

README = ROOT / "README.md"
TINY_JQ = Path(__file__).with_name("tiny_jq.py")
SHELL_LANGUAGES = ("sh", "bash", "shell", "console", "zsh")
TAGS = ("walkthrough", "manual")
RUN_TIMEOUT = 300.0
FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>.*)$")
FAILED = "@@walkthrough-failed"
BLOCK = "@@walkthrough-block"
DONE = "@@walkthrough-done"


@dataclass(frozen=True)
class Block:
    number: int  # 1-based, among the walk-through blocks
    line: int  # README line of the block's first line of code
    language: str
    tags: tuple[str, ...]
    code: str

    def where(self) -> str:
        end = self.line + len(self.code.splitlines()) - 1
        return f"walk-through block {self.number} (README.md lines {self.line}-{end})"


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block, in order, with its info string split into language and tags."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, words = match["fence"], match["info"].split()
        start, i = i + 1, i + 1
        while i < len(lines) and not lines[i].startswith(fence):
            i += 1
        blocks.append(Block(0, start + 1, words[0] if words else "", tuple(words[1:]),
                            "\n".join(lines[start:i])))
        i += 1
    return blocks


def walkthrough_blocks(text: str) -> list[Block]:
    shell = [b for b in fenced_blocks(text) if b.language in SHELL_LANGUAGES]
    return [Block(n, b.line, b.language, b.tags, b.code)
            for n, b in enumerate((b for b in shell if "walkthrough" in b.tags), 1)]


def script(blocks: list[Block]) -> tuple[str, dict[int, int]]:
    """One bash script: strict mode, curl failing on HTTP errors, and a trap that says which
    block, line and command failed; with, for each block, the script line of its first line."""
    out = [
        "set -euo pipefail",
        "shopt -s inherit_errexit",
        # A README command answered with an error envelope fails, and its body is still shown.
        "curl() { command curl --fail-with-body --show-error --max-time 60 \"$@\"; }",
        "__block=0",
        f"trap '__status=$?; echo \"{FAILED} block=$__block line=$LINENO status=$__status "
        "command=$BASH_COMMAND\" >&2' ERR",
    ]
    starts = {}
    for block in blocks:
        out += [f"__block={block.number}", f"echo '{BLOCK} {block.number}'"]
        starts[block.number] = sum(len(part.splitlines()) for part in out) + 1
        out.append(block.code)
    out.append(f"echo '{DONE}'")
    return "\n".join(out) + "\n", starts


def run_walkthrough(blocks: list[Block], env: dict[str, str], cwd: Path,
                    timeout: float = RUN_TIMEOUT) -> tuple[bool, str]:
    """(whether every block ran to the end, a report naming the failing block if not)."""
    text, starts = script(blocks)
    try:
        done = subprocess.run(["bash", "-c", text], cwd=cwd, env=env, text=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        output, code = done.stdout, done.returncode
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode(errors="replace") if isinstance(
            e.stdout, bytes) else (e.stdout or "")
        output += f"\n(still running after {timeout:.0f} s: stopped)"
        code = None
    if code == 0 and output.rstrip().endswith(DONE):
        return True, output
    failed = re.findall(rf"^{FAILED} block=(\d+) line=(\d+) status=(\d+) command=(.*)$",
                        output, re.M)
    started = re.findall(rf"^{BLOCK} (\d+)$", output, re.M)
    number = int(failed[0][0]) if failed else int(started[-1]) if started else 0
    block = next((b for b in blocks if b.number == number), None)
    head = (f"{block.where()} failed" if block else "the walk-through failed before its first "
            "block")
    if failed and block:
        _, line, status, command = failed[0]
        offset, lines = int(line) - starts[block.number], block.code.splitlines()
        if 0 <= offset < len(lines):
            head += f" at README.md line {block.line + offset}: `{lines[offset].strip()}`"
        head += f" (`{command}` exited {status})"
    elif code is not None:
        head += f" (bash exited {code})"
    tail = "\n".join(output.splitlines()[-80:])
    code_text = f"\n--- the block ---\n{block.code}" if block else ""
    return False, f"{head}{code_text}\n--- what it printed (last 80 lines) ---\n{tail}"


def walkthrough_env(stack: StackProcess, tools: Path) -> dict[str, str]:
    """The stack's own environment (PORT, LOCALSTRIPE_PORT, PAYPAL_SIM_PORT, ...), as a user's
    shell that ran `make run` with them would have it; a `jq` on PATH (tiny_jq_dir)."""
    env = dict(stack.env)
    if not shutil.which("jq", path=env.get("PATH")):
        env["PATH"] = f"{tiny_jq_dir(tools)}{os.pathsep}{env.get('PATH', '')}"
    return env


def tiny_jq_dir(where: Path) -> Path:
    """A folder holding `jq`: tests/e2e/tiny_jq.py, for machines without jq (make test installs
    only Python packages)."""
    where.mkdir(parents=True, exist_ok=True)
    command = where / "jq"
    command.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{TINY_JQ}' \"$@\"\n")
    command.chmod(0o755)
    return where


# -- the README itself -----------------------------------------------------------------------

def test_every_shell_block_of_the_readme_says_whether_it_is_run():
    shell = [b for b in fenced_blocks(README.read_text()) if b.language in SHELL_LANGUAGES]
    untagged = [f"README.md line {b.line}: ```{b.language} {' '.join(b.tags)}" for b in shell
                if len(set(b.tags) & set(TAGS)) != 1]
    assert not untagged, ("each ```sh block needs exactly one of the tags walkthrough / manual "
                          f"after its language: {untagged}")
    assert walkthrough_blocks(README.read_text()), "the README has walk-through blocks"


def test_a_failing_step_fails_and_names_its_block(tmp_path):
    text = ("```sh walkthrough\nA=1\necho first\n```\n\n```sh manual\nexit 1\n```\n\n"
            "```sh walkthrough\necho \"A is $A\"\nfalse | cat\necho never\n```\n")
    blocks = walkthrough_blocks(text)
    ok, report = run_walkthrough(blocks, dict(os.environ), tmp_path, timeout=30)
    assert not ok
    assert report.startswith("walk-through block 2 (README.md lines 11-13) failed at README.md "
                             "line 12: `false | cat`"), report
    printed = report.split("--- what it printed")[1]
    assert "A is 1" in printed and "never" not in printed, "one bash session, stopped at once"
    ok, report = run_walkthrough(blocks[:1], dict(os.environ), tmp_path, timeout=30)
    assert ok, report


def test_an_http_error_answer_fails_the_step(tmp_path):
    """curl's answer to a 4xx fails the step (the README pipes answers into jq, which would
    happily print an error envelope)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"success": false, "statusCode": 404}'
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/x"
        blocks = walkthrough_blocks(f"```sh walkthrough\nX=$(curl -s {url} | cat)\n```\n")
        ok, report = run_walkthrough(blocks, dict(os.environ), tmp_path, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert not ok and "walk-through block 1" in report and "exited 22" in report, report


JQ_CASES = [  # (arguments, input, output, exit status): filters as the README writes them
    ([".data"], '{"data": {"status": "ok", "n": 9.99, "a": [], "o": {}}}',
     '{\n  "status": "ok",\n  "n": 9.99,\n  "a": [],\n  "o": {}\n}\n', 0),
    (["-r", ".data.authKey"], '{"data": {"authKey": "k.1"}}', "k.1\n", 0),
    (["-r", ".data"], '{"data": "http://x/checkout/1?b=2"}', "http://x/checkout/1?b=2\n", 0),
    (["-c", "[.data.items[].name]"], '{"data": {"items": [{"name": "Demo"}, {"name": "Ü"}]}}',
     '["Demo","Ü"]\n', 0),
    (["-r", '.data[] | select(.code == "PRO") | .prices[] | select(.currency == "USD") | .id'],
     '{"data": [{"code": "FREE", "prices": []}, {"code": "PRO", "prices": '
     '[{"id": "p1", "currency": "USD"}]}]}', "p1\n", 0),
    (["-r", '.data[0].body | capture("token=(?<token>[^&\\"<]+)").token'],
     '{"data": [{"body": "<a href=\\"http://d/reset?token=T0k-en_1&amp;e=a\\">"}]}', "T0k-en_1\n",
     0),
    (["-e", ".data != []"], '{"data": []}', "false\n", 1),
    (["-e", ".data.totalItems == 1"], '{"data": {"totalItems": 1}}', "true\n", 0),
    (["-e", ".data.missing"], '{"data": {}}', "null\n", 1),
    ([".data"], "not json", "", None),  # an error: jq versions differ in the status
]


@pytest.mark.parametrize("args,given,printed,status", JQ_CASES)
def test_the_tiny_jq_answers_as_jq_does(tmp_path, args, given, printed, status):
    """What the walk-through uses when the machine has no jq; the machine's own jq, when there
    is one, answers the same."""
    commands = [tiny_jq_dir(tmp_path) / "jq"] + ([shutil.which("jq")] if shutil.which("jq")
                                                 else [])
    for command in commands:
        done = subprocess.run([str(command), *args], input=given, text=True,
                              capture_output=True, timeout=30)
        assert done.stdout == printed, (command, done.stderr)
        code = done.returncode
        assert code != 0 if status is None else code == status, (command, code, done.stderr)


# -- against the stack -------------------------------------------------------------------------

@pytest.fixture
def stack(tmp_path):
    proc = StackProcess(tmp_path)  # the default admin, as a user's `make run` has it
    proc.start()
    try:
        yield proc
    finally:
        proc.kill_everything()


def test_the_readme_walkthrough_runs_in_order_against_the_stack(stack, tmp_path):
    for tool in ("bash", "curl"):
        assert shutil.which(tool), f"the README's walk-through needs {tool} on PATH"
    blocks = walkthrough_blocks(README.read_text())
    stack.wait_ready()
    ok, report = run_walkthrough(blocks, walkthrough_env(stack, tmp_path / "bin"), ROOT)
    assert ok, f"{report}\n--- the stack ---\n{stack.output()}"

    # Where the walk-through leaves the stack, seen over the API: alice paid with both gateways.
    admin = api(stack, "POST", "v1/users/auth", "platform.localhost",
                body={"username": "admin", "password": "Admin-Passw0rd"})["authKey"]
    paid = api(stack, "GET", "v1/payments?status=Completed", "demo.localhost", admin)["items"]
    assert sorted(p["gatewayType"] for p in paid) == ["paypal", "stripe"], paid
    assert {p["userId"] for p in paid} == {api(stack, "GET", "v1/users?keywords=alice",
                                               "demo.localhost", admin)["items"][0]["id"]}


def api(stack: StackProcess, method: str, path: str, brand: str, auth: str | None = None,
        body: dict | None = None) -> Any:
    headers = {"Brand-URL": brand, "Content-Type": "application/json",
               **({"Auth-Key": auth} if auth else {})}
    request = urllib.request.Request(f"{stack.api}/{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body else None)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]
