"""The README's walk-through, pasted in order into one bash session against the local stack.

Every fenced shell block of README.md says what it is in its info string: ```sh walkthrough
(a step of the walk-through, run here) or ```sh manual (not run: make run itself, deploy,
redrive, ...). The walk-through blocks run in order in ONE bash process, with the environment
`make run` reads (PORT, LOCALSTRIPE_PORT, PAYPAL_SIM_PORT) pointing at a stack on free ports,
under `set -euo pipefail`, and with curl failing on an HTTP error (--fail-with-body), so a
step that fails, or answers an error envelope, fails the test, which names the block, the
command and what it printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.stackproc import ROOT, StackProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

README = ROOT / "README.md"
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
        offset = int(line) - starts[block.number]
        source = block.code.splitlines()[offset].strip() if offset >= 0 else ""
        head += (f" at README.md line {block.line + offset}: `{source}` (`{command}` exited "
                 f"{status})")
    elif code is not None:
        head += f" (bash exited {code})"
    tail = "\n".join(output.splitlines()[-80:])
    code_text = f"\n--- the block ---\n{block.code}" if block else ""
    return False, f"{head}{code_text}\n--- what it printed (last 80 lines) ---\n{tail}"


def walkthrough_env(stack: StackProcess, bin_dir: Path | None = None) -> dict[str, str]:
    """The stack's own environment (PORT, LOCALSTRIPE_PORT, PAYPAL_SIM_PORT, ...), as a user's
    shell that ran `make run` with them would have it."""
    env = dict(stack.env)
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


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
    for tool in ("bash", "curl", "jq"):
        assert shutil.which(tool), f"the README's walk-through needs {tool} on PATH"
    blocks = walkthrough_blocks(README.read_text())
    stack.wait_ready()
    ok, report = run_walkthrough(blocks, walkthrough_env(stack), ROOT)
    assert ok, f"{report}\n--- the stack ---\n{stack.output()}"
