"""The synthesised templates of every stage (``make infra-check`` writes them first; a bare
``pytest tests/infra`` synthesises what's missing, in a child process so this process's test
settings don't leak into the package)."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.synth import CHECK_CONTEXT, template_path

ROOT = Path(__file__).resolve().parents[2]
STAGES = tuple(CHECK_CONTEXT)


def load_template(stage: str) -> dict:
    path = template_path(stage)
    lock = path.parent.parent / f".synth-{stage}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:  # two xdist workers must not synthesise into one dir at once
        fcntl.flock(held, fcntl.LOCK_EX)
        if not path.is_file():
            subprocess.run([sys.executable, "-m", "infra.synth", "--stage", stage], cwd=ROOT,
                           check=True)
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def templates() -> dict[str, dict]:
    return {stage: load_template(stage) for stage in STAGES}


@pytest.fixture(params=STAGES)
def stage(request) -> str:
    return request.param


@pytest.fixture
def template(templates, stage) -> dict:
    return templates[stage]
