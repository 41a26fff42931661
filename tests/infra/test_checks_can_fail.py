"""Each check of checks.py, run on a broken copy of the dev template, reports the fault: the
template tests pass because the template is right, not because the checks can't fail."""

from __future__ import annotations

import copy
import json

import pytest

from infra.synth import CHECK_CONTEXT
from tests.infra import checks


def first(t: dict, kind: str) -> dict:
    return next(iter(checks.resources(t, kind).values()))


def fn_named(t: dict, suffix: str) -> dict:
    return next(r for r in checks.resources(t, "AWS::Serverless::Function").values()
                if r["Properties"]["FunctionName"].endswith(suffix))


def sqs_event(t: dict) -> dict:
    for r in checks.resources(t, "AWS::Serverless::Function").values():
        for e in (r["Properties"].get("Events") or {}).values():
            if e["Type"] == "SQS":
                return e["Properties"]
    raise AssertionError("no SQS event")


def drop_pitr(t):
    del first(t, "AWS::DynamoDB::Table")["Properties"]["PointInTimeRecoverySpecification"]


def drop_index(t):
    first(t, "AWS::DynamoDB::Table")["Properties"]["GlobalSecondaryIndexes"].pop()


def extra_index(t):
    p = first(t, "AWS::DynamoDB::Table")["Properties"]
    p["GlobalSecondaryIndexes"].append({**p["GlobalSecondaryIndexes"][0], "IndexName": "gsi9"})


def drop_ttl(t):
    del first(t, "AWS::DynamoDB::Table")["Properties"]["TimeToLiveSpecification"]


def unprotect(t):
    for r in checks.resources(t, "AWS::DynamoDB::Table").values():
        r["Properties"]["DeletionProtectionEnabled"] = False


def drop_redrive(t):
    for r in checks.resources(t, "AWS::SQS::Queue").values():
        r["Properties"].pop("RedrivePolicy", None)


def short_visibility(t):
    for r in checks.resources(t, "AWS::SQS::Queue").values():
        if "RedrivePolicy" in r["Properties"]:
            r["Properties"]["VisibilityTimeout"] = 60


def drop_batch_failures(t):
    del sqs_event(t)["FunctionResponseTypes"]


def queue_by_string(t):
    sqs_event(t)["Queue"] = "arn:aws:sqs:us-east-1:123456789012:jfw-dev-outbox"


def drop_schedule(t):
    fn_named(t, "license-expiry")["Properties"]["Events"] = {}


def wrong_rate(t):
    for e in fn_named(t, "outbox-sweeper")["Properties"]["Events"].values():
        e["Properties"]["Schedule"] = "rate(15 minutes)"


def star_resource(t):
    doc = first(t, "AWS::IAM::Role")["Properties"]["Policies"][0]["PolicyDocument"]
    doc["Statement"].append({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"})


def wildcard_arn(t):
    doc = first(t, "AWS::IAM::Role")["Properties"]["Policies"][0]["PolicyDocument"]
    doc["Statement"].append({"Effect": "Allow", "Action": "dynamodb:GetItem",
                             "Resource": "arn:aws:dynamodb:*:*:table/*"})


def service_wildcard(t):
    doc = first(t, "AWS::IAM::Role")["Properties"]["Policies"][0]["PolicyDocument"]
    doc["Statement"][0]["Action"] = "dynamodb:*"


def chalice_default_policy(t):
    role = first(t, "AWS::IAM::Role")["Properties"]
    role["Policies"] = [{"PolicyName": "DefaultRolePolicy", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
         "Resource": "*"}]}}]


def unstaged_name(t):
    first(t, "AWS::DynamoDB::Table")["Properties"]["TableName"] = "identity"


def cycle(t):
    api = t["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    op = next(iter(api["paths"].values()))["x-amazon-apigateway-any-method"]  # not OPTIONS
    op["x-amazon-apigateway-integration"]["uri"] = {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                   "functions/${APIHandler.Arn}/invocations"}


def wrong_env(t):
    fn_named(t, "-api")["Properties"]["Environment"]["Variables"]["JFW_TABLE_PREFIX"] = "jfw-"


def queue_urls_elsewhere(t):
    fn_named(t, "-api")["Properties"]["Environment"]["Variables"]["JFW_QUEUE_URL_PREFIX"] = \
        "https://sqs.us-east-1.amazonaws.com/123456789012/"


def no_dlq_alarm(t):
    for lid, r in list(t["Resources"].items()):
        if r["Type"] == "AWS::CloudWatch::Alarm" and \
                r["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible":
            del t["Resources"][lid]


def no_reconciliation_filter(t):
    for lid, r in list(t["Resources"].items()):
        if r["Type"] == "AWS::Logs::MetricFilter":
            del t["Resources"][lid]


def reconciliation_alarm_threshold(t):
    for r in checks.resources(t, "AWS::CloudWatch::Alarm").values():
        if r["Properties"].get("MetricName") == "WalletReconciliationFailures":
            r["Properties"]["Threshold"] = 5


def public_bucket(t):
    first(t, "AWS::S3::Bucket")["Properties"]["PublicAccessBlockConfiguration"][
        "BlockPublicPolicy"] = False


def no_rotation(t):
    first(t, "AWS::KMS::Key")["Properties"]["EnableKeyRotation"] = False


def api_paths_under_the_stage(t):
    body = first(t, "AWS::Serverless::Api")["Properties"]["DefinitionBody"]
    body["paths"] = {f"/api{path}": ops for path, ops in body["paths"].items()}


def other_api_stage(t):
    first(t, "AWS::Serverless::Api")["Properties"]["StageName"] = "prod"


def base_url_with_stage(t):
    env = fn_named(t, "-api")["Properties"]["Environment"]["Variables"]
    env["JFW_BASE_URL"] = {"Fn::Join": ["", [*env["JFW_BASE_URL"]["Fn::Join"][1], "/api"]]}


STAGE = "dev"
SENDER = CHECK_CONTEXT[STAGE]["mailSender"]
CASES = [
    (drop_pitr, lambda t: checks.table_problems(t, STAGE)),
    (drop_index, lambda t: checks.table_problems(t, STAGE)),
    (extra_index, lambda t: checks.table_problems(t, STAGE)),
    (drop_ttl, lambda t: checks.table_problems(t, STAGE)),
    (unprotect, lambda t: checks.protection_problems(t, "prod", protected=True)),
    (drop_redrive, lambda t: checks.queue_problems(t, STAGE)),
    (short_visibility, lambda t: checks.queue_problems(t, STAGE)),
    (drop_batch_failures, checks.mapping_problems),
    (queue_by_string, checks.mapping_problems),
    (drop_schedule, lambda t: checks.schedule_problems(t, STAGE)),
    (wrong_rate, lambda t: checks.schedule_problems(t, STAGE)),
    (star_resource, checks.iam_problems),
    (wildcard_arn, checks.iam_problems),
    (service_wildcard, checks.iam_problems),
    (chalice_default_policy, checks.iam_problems),
    (unstaged_name, lambda t: checks.name_problems(t, STAGE)),
    (cycle, checks.cycle_problems),
    (cycle, lambda t: checks.api_problems(t, STAGE)),
    (wrong_env, lambda t: checks.environment_problems(t, STAGE, SENDER)),
    (queue_urls_elsewhere, lambda t: checks.environment_problems(t, STAGE, SENDER)),
    (no_dlq_alarm, checks.alarm_problems),
    (no_reconciliation_filter, lambda t: checks.reconciliation_problems(
        t, STAGE, "WALLET.RECONCILIATION.FAILED", "WalletReconciliationFailures")),
    (reconciliation_alarm_threshold, lambda t: checks.reconciliation_problems(
        t, STAGE, "WALLET.RECONCILIATION.FAILED", "WalletReconciliationFailures")),
    (public_bucket, checks.storage_problems),
    (no_rotation, checks.storage_problems),
    (api_paths_under_the_stage, checks.api_path_problems),
    (other_api_stage, checks.api_path_problems),
    (base_url_with_stage, checks.api_path_problems),
]


@pytest.mark.parametrize(("breakage", "check"), CASES, ids=[c[0].__name__ for c in CASES])
def test_check_reports_the_breakage(templates, breakage, check):
    good = templates["prod" if breakage is unprotect else STAGE]
    assert check(good) == [], "the real template must pass first"
    broken = copy.deepcopy(good)
    breakage(broken)
    assert json.dumps(broken) != json.dumps(good)
    assert check(broken), f"{breakage.__name__} went unnoticed"
