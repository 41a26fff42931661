"""The local stack's parts on moto in-process: the queue worker keeps Lambda's SQS semantics,
the timer runs schedules with EventBridge's event, seeding is idempotent, config is checked."""

from __future__ import annotations

import threading
import time

import pytest

from chalicelib.devstack.config import ConfigError, DevConfig
from chalicelib.devstack.worker import QueueWorker, failed_ids


def outbox_worker(consumer) -> tuple[QueueWorker, object, str, str]:
    from chalicelib.store import aws, schema

    sqs = aws.client("sqs")
    url = aws.queue_url("outbox")
    # Failed messages come back at once instead of after the visibility timeout.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    queue = schema.queue("outbox")._replace(consumer="test:consumer")
    return QueueWorker(queue, consumer, threading.Event(), wait_seconds=0), sqs, url, arn


def bodies(sqs, url: str) -> list[str]:
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") or []
    return sorted(m["Body"] for m in msgs)


def test_worker_deletes_handled_messages_and_leaves_reported_failures(aws_env):
    records = []

    def consumer(event):
        records.extend(event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"] if r["body"] == "bad"]}

    worker, sqs, url, arn = outbox_worker(consumer)
    for body in ("one", "bad", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    worker.poll_once(sqs, url, arn, "us-east-1")

    assert sorted(r["body"] for r in records) == ["bad", "one", "two"]
    record = records[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageId"] and record["receiptHandle"]
    assert worker.handled == 2
    assert bodies(sqs, url) == ["bad"]


def test_a_consumer_that_raises_fails_the_batch_until_the_dead_letter_queue(aws_env):
    from chalicelib import settings
    from chalicelib.store import schema

    calls = []

    def consumer(event):
        calls.append(len(event["Records"]))
        raise RuntimeError("SES is down")

    worker, sqs, url, arn = outbox_worker(consumer)
    sqs.send_message(QueueUrl=url, MessageBody="doomed")
    for _ in range(schema.queue("outbox").max_receives + 2):
        worker.poll_once(sqs, url, arn, "us-east-1")

    assert len(calls) == schema.queue("outbox").max_receives
    assert worker.handled == 0
    assert bodies(sqs, url) == []
    dlq = sqs.get_queue_url(QueueName=settings.get().queue_name("outbox-dlq"))["QueueUrl"]
    assert bodies(sqs, dlq) == ["doomed"]


def test_an_unreadable_consumer_answer_retries_the_whole_batch():
    ids = {"m1", "m2"}
    assert failed_ids(None, ids) == set()
    assert failed_ids({"batchItemFailures": []}, ids) == set()
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "m2"}]}, ids) == {"m2"}
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "zz"}]}, ids) == ids
    assert failed_ids({"batchItemFailures": [{"id": "m1"}]}, ids) == ids
    assert failed_ids("ok", ids) == ids


def test_timer_runs_each_schedule_with_a_scheduled_event_and_survives_failures():
    from chalicelib.devstack.timer import Job, Timer

    events = []

    def broken(event):
        raise RuntimeError("boom")

    jobs = [Job("outbox-sweeper", 0.05, events.append), Job("broken", 0.05, broken)]
    stop = threading.Event()
    timer = Timer(jobs, stop)
    timer.start()
    deadline = time.monotonic() + 5
    while len(events) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    timer.join(timeout=2)

    assert not timer.is_alive()
    assert len(events) >= 3
    event = events[0]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"][0].endswith(":rule/outbox-sweeper")
    assert jobs[1].runs == 0 and jobs[0].runs >= 3


def test_seeding_twice_keeps_one_of_each_and_the_admin_can_log_in(aws_env):
    from chalicelib.devstack import seed
    from chalicelib.identity import users

    first = seed.seed("boss", "Boss-Passw0rd")
    second = seed.seed("boss", "Boss-Passw0rd")

    assert len(first.created) == 3 and second.created == ()
    assert second.platform["id"] == first.platform["id"] and second.platform["isSystem"]
    assert second.demo["id"] == first.demo["id"]
    assert second.demo["parentId"] == first.platform["id"]
    assert second.admin["id"] == first.admin["id"] and second.admin["type"] == "SuperAdmin"
    session = users.authenticate(second.platform, "boss", "Boss-Passw0rd")
    assert session["authKey"]


def test_seeded_gateways_keep_their_ids_and_follow_this_runs_secret_and_port(aws_env):
    """The data persists between runs: a second run finds the gateways of the first (same ids,
    so the notification URLs a developer configured keep working), signing with the webhook
    secret localstripe is given this time and sending buyers back to this run's port."""
    from chalicelib.devstack import seed
    from chalicelib.payments import service as payments
    from tests.helpers.payments import use_simulator

    demo = seed.seed("boss", "Boss-Passw0rd").demo
    with use_simulator("http://127.0.0.1:8421"):
        first = seed.seed_payments(demo, "http://127.0.0.1:8000", "whsec_first", "pp@x.test",
                                   "PPID")
        again = seed.seed_payments(demo, "http://127.0.0.1:8000", "whsec_first", "pp@x.test",
                                   "PPID")
        assert again.created == ()
        payments.clear_gateway_cache()
        later = seed.seed_payments(demo, "http://127.0.0.1:9000", "whsec_second", "pp@x.test",
                                   "PPID")

    assert (later.stripe["id"], later.paypal["id"]) == (first.stripe["id"], first.paypal["id"])
    assert later.stripe["ipnListenerLink"] == first.stripe["ipnListenerLink"]
    assert [g["id"] for g in payments.list_gateways(demo["id"])].count(
        first.stripe["id"]) == 1 and len(payments.list_gateways(demo["id"])) == 2
    payments.clear_gateway_cache()
    hook = payments.get_for_webhook(first.stripe["id"])
    assert hook["webhookSecret"] == "whsec_second"
    assert hook["privateKey"] == "sk_test_local" and later.stripe["isDefault"] is True
    for gw in (later.stripe, later.paypal):
        assert gw["returnLink"].startswith("http://127.0.0.1:9000/api/checkout/")
    assert later.paypal["paypalMode"] == "simulator"


def test_seed_refuses_an_admin_password_that_fails_the_policy(aws_env):
    from chalicelib.devstack import seed
    from chalicelib.http.errors import BadRequest

    with pytest.raises(BadRequest, match="password"):
        seed.seed("boss", "short")


def test_config_defaults_overrides_and_bad_values():
    cfg = DevConfig.from_env({})
    assert (cfg.api_port, cfg.dynamodb_port, cfg.moto_port, cfg.stripe_port) == (
        8000, 5056, 5055, 8420)
    assert cfg.data_dir == cfg.log_dir / "data" and cfg.dynamodb_url == "http://127.0.0.1:5056"
    assert DevConfig.from_env({"JFW_DEVSTACK_DIR": "/tmp/x"}).data_dir.as_posix() == "/tmp/x/data"
    assert DevConfig.from_env({"JFW_DATA_DIR": "/tmp/d"}).data_dir.as_posix() == "/tmp/d"
    assert cfg.host == "127.0.0.1" and cfg.admin_password_is_default
    assert cfg.schedule_interval(5) == 300

    fast = DevConfig.from_env({"PORT": "9001", "JFW_TIMER_SPEEDUP": "60",
                               "JFW_ADMIN_PASSWORD": "Other-Pass1"})
    assert fast.api_url == "http://127.0.0.1:9001" and not fast.admin_password_is_default
    assert fast.schedule_interval(5) == 5
    assert DevConfig.from_env({"JFW_TIMER_INTERVAL_SECONDS": "2"}).schedule_interval(5) == 2

    with pytest.raises(ConfigError, match="PORT"):
        DevConfig.from_env({"PORT": "eighty"})
    with pytest.raises(ConfigError, match="DYNAMODB_PORT"):
        DevConfig.from_env({"DYNAMODB_PORT": "0"})
    with pytest.raises(ConfigError, match="MOTO_PORT"):
        DevConfig.from_env({"MOTO_PORT": "70000"})
    with pytest.raises(ConfigError, match="JFW_TIMER_SPEEDUP"):
        DevConfig.from_env({"JFW_TIMER_SPEEDUP": "-1"})


def test_s3_files_survive_a_save_and_restore_into_fresh_buckets(aws_env, tmp_path):
    """moto keeps S3 in memory: the stack saves the buckets' files when it stops and puts
    them back when it starts (chalicelib/devstack/s3_files.py)."""
    from chalicelib import settings
    from chalicelib.devstack import s3_files
    from chalicelib.store import aws, bootstrap

    s3 = aws.client("s3")
    bucket = settings.get().bucket_name("files")
    s3.put_object(Bucket=bucket, Key="B1/packages/P1/F1/guide.pdf", Body=b"%PDF-1.4 one",
                  ContentType="application/pdf")
    s3.put_object(Bucket=bucket, Key="B1/packages/P1/F2/../odd name.txt", Body=b"two")
    folder = tmp_path / "s3"
    (folder / bucket).mkdir(parents=True)
    (folder / bucket / "stale").write_text("from an older save")

    assert s3_files.save(s3, [bucket], folder) == 2
    assert not (folder / bucket / "stale").exists()
    for obj in s3.list_objects_v2(Bucket=bucket)["Contents"]:
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
    s3.delete_bucket(Bucket=bucket)
    bootstrap.create_buckets()
    assert s3_files.restore(s3, [bucket], folder) == 2

    got = s3.get_object(Bucket=bucket, Key="B1/packages/P1/F1/guide.pdf")
    assert got["Body"].read() == b"%PDF-1.4 one" and got["ContentType"] == "application/pdf"
    assert s3.get_object(Bucket=bucket, Key="B1/packages/P1/F2/../odd name.txt")[
        "Body"].read() == b"two"
    assert s3_files.restore(s3, ["no-such-saved-bucket"], folder) == 0


def test_fresh_removes_only_the_stacks_data(tmp_path):
    from chalicelib.devstack.stack import empty_data

    (tmp_path / "shared-local-instance.db").write_text("db")
    (tmp_path / "s3" / "bucket").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("mine")

    said = empty_data(tmp_path)
    assert "shared-local-instance.db" in said and "s3/" in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert "held no data" in empty_data(tmp_path)


def test_dynamodb_local_runs_on_loopback_with_its_data_on_disk_or_in_memory(tmp_path):
    from pathlib import Path

    from chalicelib.devstack import dynamodb_local as ddb

    tools = ddb.Tools("/usr/bin/java", Path("/x/lib/dynamodb_local_2026/DynamoDBLocal.jar"))
    argv = ddb.command(tools, "127.0.0.1", 5056, tmp_path)
    assert argv[0] == "/usr/bin/java" and str(ddb.LAUNCHER) in argv
    assert argv[argv.index("-host") + 1] == "127.0.0.1"
    assert argv[argv.index("-port") + 1] == "5056"
    assert argv[argv.index("-dbPath") + 1] == str(tmp_path)
    assert "-Djava.net.preferIPv4Stack=true" in argv and "-sharedDb" in argv
    assert "-disableTelemetry" in argv and "-inMemory" not in argv
    assert "-Djava.library.path=/x/lib/dynamodb_local_2026/DynamoDBLocal_lib" in argv
    memory = ddb.command(tools, "127.0.0.1", 5056, None)
    assert "-inMemory" in memory and "-dbPath" not in memory


def test_java_versions_are_read_from_what_java_prints(tmp_path):
    from chalicelib.devstack import dynamodb_local as ddb

    def fake_java(name: str, says: str) -> str:
        path = tmp_path / name
        path.write_text(f"#!/bin/sh\necho '{says}' >&2\n")
        path.chmod(0o755)
        return str(path)

    assert ddb.java_version(fake_java("j17", 'openjdk version "17.0.15" 2025-04-15')) == 17
    assert ddb.java_version(fake_java("j21", 'openjdk version "21" 2023-09-19')) == 21
    assert ddb.java_version(fake_java("j8", 'java version "1.8.0_392"')) == 8
    assert ddb.java_version(str(tmp_path / "missing")) is None


def test_a_java_too_old_in_JAVA_is_refused_in_one_line(tmp_path, monkeypatch):
    from chalicelib.devstack import dynamodb_local as ddb
    from chalicelib.devstack.ports import StartupError

    old = tmp_path / "java"
    old.write_text("#!/bin/sh\necho 'java version \"1.8.0_392\"' >&2\n")
    old.chmod(0o755)
    monkeypatch.setenv("JAVA", str(old))
    with pytest.raises(StartupError, match=r"not a Java 17\+ runtime \(version 8\)"):
        ddb.find_java()
