"""What lasts the process is kept out of the collector's way on deployed stages only
(chalicelib/lasting.py), and the collector always runs again afterwards."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

from chalicelib import lasting, settings


@pytest.fixture
def stage(monkeypatch) -> Iterator[Callable[[str], None]]:
    def use(name: str) -> None:
        monkeypatch.setenv("JFW_STAGE", name)
        settings.reload()

    yield use
    monkeypatch.undo()
    settings.reload()
    gc.unfreeze()


def test_a_deployed_stage_pauses_the_collector_then_freezes(stage):
    stage("prod")
    gc.unfreeze()
    with lasting.lasting():
        assert not gc.isenabled()
        made = [object() for _ in range(10)]
    assert gc.isenabled() and gc.get_freeze_count() > 0
    assert made


def test_a_local_stage_leaves_the_collector_alone(stage):
    stage("test")
    gc.unfreeze()
    with lasting.lasting():
        assert gc.isenabled()
    lasting.freeze()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_collector_runs_again_after_a_failure(stage):
    stage("prod")
    with pytest.raises(RuntimeError), lasting.lasting():
        raise RuntimeError("import failed")
    assert gc.isenabled()
