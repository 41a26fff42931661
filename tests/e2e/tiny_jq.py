"""A tiny `jq` command for machines without one, on jq's own library (PyPI's ``jq`` bindings, in
requirements-dev.txt): the README's walk-through test puts it on PATH when `jq` isn't there.

It takes what the README uses: a filter, JSON from stdin (or files), and -r, -c, -e, -n.
Output and exit codes are jq's: pretty-printed with two spaces, 5 for an error in the input
or at run time, 3 for a filter that doesn't compile, 2 for a bad option; with -e, 1 when the
last output is false or null and 4 when there was none.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jq

FLAGS = {"r": "raw", "c": "compact", "e": "exit_status", "n": "null_input"}
LONG = {"--raw-output": "raw", "--compact-output": "compact", "--exit-status": "exit_status",
        "--null-input": "null_input"}


def main(argv: list[str]) -> int:
    options: set[str] = set()
    positional: list[str] = []
    for arg in argv:
        if positional or not arg.startswith("-") or arg == "-":
            positional.append(arg)
        elif arg in LONG:
            options.add(LONG[arg])
        elif not arg.startswith("--") and all(c in FLAGS for c in arg[1:]):
            options.update(FLAGS[c] for c in arg[1:])
        else:
            print(f"jq: unknown option {arg} (this tiny jq takes -r -c -e -n)", file=sys.stderr)
            return 2
    program, files = (positional[0], positional[1:]) if positional else (".", [])
    try:
        compiled = jq.compile(program)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 3
    if "null_input" in options:
        text = "null"
    elif files:
        text = "\n".join(Path(f).read_text() for f in files)
    else:
        text = sys.stdin.read()
    try:
        outputs = compiled.input_text(text).all()
    except ValueError as e:
        print(f"jq: error: {e}", file=sys.stderr)
        return 5
    for value in outputs:
        if "raw" in options and isinstance(value, str):
            print(value)
        elif "compact" in options:
            print(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        else:
            print(json.dumps(value, ensure_ascii=False, indent=2))
    if "exit_status" in options:
        if not outputs:
            return 4
        return 1 if outputs[-1] is None or outputs[-1] is False else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
