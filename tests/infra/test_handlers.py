"""What Lambda runs: each function's ``Handler`` (``app.<name>``, from Chalice's package) must be
an attribute of app.py, and calling it must reach the job or consumer store/schema.py names.
A handler string Lambda can't resolve deploys fine and fails on every invocation."""

from __future__ import annotations

import importlib

import pytest

from chalicelib import events
from chalicelib.store import schema
from tests.infra import checks

SCHEDULED_EVENT = {"version": "0", "account": "123456789012", "region": "us-east-1",
                   "detail": {}, "detail-type": "Scheduled Event", "source": "aws.events",
                   "time": "2030-01-01T00:00:00Z", "id": "e-1", "resources": []}
SQS_EVENT = {"Records": []}


def expected_refs(template: dict, stage: str) -> dict[str, tuple[str, dict]]:
    """Function logical id -> (the "module:function" it must run, a sample event)."""
    fns = checks.functions(template)
    by_name = {p.get("FunctionName"): lid for lid, p in fns.items()}
    out = {}
    for name, _minutes, ref in schema.SCHEDULES:
        out[by_name[f"{checks.prefix(stage)}{name}"]] = (ref, SCHEDULED_EVENT)
    queues = checks.by_name(template, "AWS::SQS::Queue", "QueueName")
    for q in schema.QUEUES:
        (consumer, _event), = checks.consumers(template)[queues[f"{checks.prefix(stage)}{q.name}"]]
        out[consumer] = (q.consumer, SQS_EVENT)
    return out


def test_every_handler_string_resolves_in_app_py_and_runs_its_job(templates, monkeypatch):
    app_module = importlib.import_module("app")
    template = templates["dev"]
    fns = checks.functions(template)
    handlers = {lid: p["Handler"] for lid, p in fns.items()}
    assert len(set(handlers.values())) == len(handlers), f"shared handler strings: {handlers}"
    called: list[str] = []

    def fake_resolve(ref: str):
        def run(event):
            called.append(ref)
            return {"batchItemFailures": []}
        return run

    monkeypatch.setattr(events, "resolve", fake_resolve)
    for lid, (ref, event) in expected_refs(template, "dev").items():
        module, _, attr = handlers[lid].partition(".")
        assert module == "app"
        handler = getattr(app_module, attr, None)
        if handler is None:
            pytest.fail(f"{lid}: Lambda would call {handlers[lid]}, which app.py doesn't have")
        called.clear()
        handler(dict(event), None)
        assert called == [ref], f"{lid} ran {called}, want {ref}"
    assert getattr(app_module, handlers["APIHandler"].partition(".")[2]) is app_module.app
