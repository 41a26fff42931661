"""Checks on a synthesised CloudFormation template, each returning the problems it finds.

Kept apart from the tests so test_checks_can_fail.py can run them on broken copies of the
template and see each one complain.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chalicelib.store import schema

DATA_SERVICES = ("dynamodb", "sqs", "s3", "kms")
NAME_PROPERTIES = ("TableName", "QueueName", "FunctionName", "AlarmName", "TopicName",
                   "LogGroupName", "AliasName", "BucketName")
SSL_CONDITION = {"Bool": {"aws:SecureTransport": "false"}}


# -- template access ------------------------------------------------------------------------


def _projection(index: schema.Index) -> dict:
    if index.include is None:
        return {"ProjectionType": "ALL"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.include)}

def resources(t: dict, kind: str) -> dict[str, dict]:
    """Logical id -> resource (Type, Properties, ...) of one type."""
    return {lid: r for lid, r in t["Resources"].items() if r["Type"] == kind}


def props(t: dict, lid: str) -> dict:
    return t["Resources"][lid].get("Properties", {})


def target(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def prefix(stage: str) -> str:
    return f"jfw-{stage}-"


def functions(t: dict) -> dict[str, dict]:
    return {lid: r.get("Properties", {})
            for lid, r in resources(t, "AWS::Serverless::Function").items()}


def function_events(fn_props: dict, kind: str) -> dict[str, dict]:
    return {name: e.get("Properties", {}) for name, e in (fn_props.get("Events") or {}).items()
            if e.get("Type") == kind}


def by_name(t: dict, kind: str, name_prop: str) -> dict[Any, str]:
    return {r["Properties"].get(name_prop): lid for lid, r in resources(t, kind).items()}


def rate(minutes: int) -> str:
    return f"rate({minutes} minute{'' if minutes == 1 else 's'})"


# -- tables -----------------------------------------------------------------------------------

def _keys(hash_key: str, range_key: str) -> list[dict]:
    return [{"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"}]


def table_problems(t: dict, stage: str) -> list[str]:
    problems = []
    tables = by_name(t, "AWS::DynamoDB::Table", "TableName")
    expected = {f"{prefix(stage)}{s.name}": s for s in schema.TABLES}
    if set(tables) != set(expected):
        problems.append(f"tables {sorted(map(str, tables))} != schema {sorted(expected)}")
    for name, spec in expected.items():
        if name not in tables:
            continue
        p = props(t, tables[name])
        if p.get("KeySchema") != _keys(spec.hash_key, spec.range_key):
            problems.append(f"{name}: key schema {p.get('KeySchema')}")
        if p.get("BillingMode") != "PAY_PER_REQUEST":
            problems.append(f"{name}: billing mode {p.get('BillingMode')}")
        pitr = p.get("PointInTimeRecoverySpecification") or {}
        if pitr.get("PointInTimeRecoveryEnabled") is not True:
            problems.append(f"{name}: no point-in-time recovery")
        want_ttl = ({"AttributeName": spec.ttl_attribute, "Enabled": True}
                    if spec.ttl_attribute else None)
        if p.get("TimeToLiveSpecification") != want_ttl:
            problems.append(f"{name}: TTL {p.get('TimeToLiveSpecification')} != {want_ttl}")
        got_indexes = {g["IndexName"]: (g["KeySchema"], g.get("Projection"))
                       for g in p.get("GlobalSecondaryIndexes", [])}
        want_indexes = {i.name: (_keys(i.hash_key, i.range_key), _projection(i))
                        for i in spec.indexes}
        if got_indexes != want_indexes:
            problems.append(f"{name}: indexes {got_indexes} != schema {want_indexes}")
        attrs = {(a["AttributeName"], a["AttributeType"])
                 for a in p.get("AttributeDefinitions", [])}
        if attrs != {(a, "S") for a in spec.key_attributes()}:
            problems.append(f"{name}: attribute definitions {sorted(attrs)}")
    return problems


def protection_problems(t: dict, stage: str, protected: bool) -> list[str]:
    problems = []
    for lid, r in resources(t, "AWS::DynamoDB::Table").items():
        p = r.get("Properties", {})
        if bool(p.get("DeletionProtectionEnabled")) != protected:
            problems.append(f"{lid}: deletion protection {p.get('DeletionProtectionEnabled')}")
        if protected and (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy")) != (
                "Retain", "Retain"):
            problems.append(f"{lid}: not retained ({r.get('DeletionPolicy')})")
    if protected:
        for kind in ("AWS::KMS::Key", "AWS::S3::Bucket"):
            for lid, r in resources(t, kind).items():
                if r.get("DeletionPolicy") != "Retain":
                    problems.append(f"{lid}: {kind} not retained")
    return problems


# -- queues and their consumers -----------------------------------------------------------------

def consumers(t: dict) -> dict[str, list[tuple[str, dict]]]:
    """Queue logical id -> [(function logical id, SQS event properties)]."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for lid, p in functions(t).items():
        for event in function_events(p, "SQS").values():
            out.setdefault(target(event.get("Queue")) or json.dumps(event.get("Queue")),
                           []).append((lid, event))
    return out


def queue_problems(t: dict, stage: str) -> list[str]:
    problems = []
    queues = by_name(t, "AWS::SQS::Queue", "QueueName")
    want = {f"{prefix(stage)}{n}" for q in schema.QUEUES for n in (q.name, q.dlq_name)}
    if set(queues) != want:
        problems.append(f"queues {sorted(map(str, queues))} != schema {sorted(want)}")
    secured = set()
    for r in resources(t, "AWS::SQS::QueuePolicy").values():
        statements = r["Properties"]["PolicyDocument"]["Statement"]
        if any(s["Effect"] == "Deny" and s.get("Condition") == SSL_CONDITION for s in statements):
            secured.update(target(q) for q in r["Properties"]["Queues"])
    by_consumer = consumers(t)
    fns = functions(t)
    for q in schema.QUEUES:
        main, dlq = queues.get(f"{prefix(stage)}{q.name}"), queues.get(
            f"{prefix(stage)}{q.dlq_name}")
        if not main or not dlq:
            continue
        redrive = props(t, main).get("RedrivePolicy") or {}
        if target(redrive.get("deadLetterTargetArn")) != dlq:
            problems.append(f"{q.name}: no redrive to {q.dlq_name} ({redrive})")
        if redrive.get("maxReceiveCount") != q.max_receives:
            problems.append(f"{q.name}: maxReceiveCount {redrive.get('maxReceiveCount')} != "
                            f"{q.max_receives}")
        if props(t, dlq).get("RedrivePolicy"):
            problems.append(f"{q.dlq_name}: a dead-letter queue with its own redrive")
        for lid in (main, dlq):
            if lid not in secured:
                problems.append(f"{lid}: no queue policy denying non-TLS access")
        users = by_consumer.get(main, [])
        if len(users) != 1:
            problems.append(f"{q.name}: {len(users)} consumers (want exactly 1)")
            continue
        fn, event = users[0]
        visibility = props(t, main).get("VisibilityTimeout", 30)
        timeout = fns[fn].get("Timeout", 3)
        if visibility < 6 * timeout:
            problems.append(f"{q.name}: visibility {visibility} s < 6 x {fn} timeout {timeout} s")
        if event.get("BatchSize") != q.batch_size:
            problems.append(f"{q.name}: batch size {event.get('BatchSize')} != {q.batch_size}")
    return problems


def mapping_problems(t: dict) -> list[str]:
    """Every SQS event source reports partial batch failures and reads a queue of this stack."""
    problems = []
    main_queues = {lid for lid, r in resources(t, "AWS::SQS::Queue").items()
                   if r["Properties"].get("RedrivePolicy")}
    mappings = 0
    for lid, p in functions(t).items():
        for name, event in function_events(p, "SQS").items():
            mappings += 1
            if event.get("FunctionResponseTypes") != ["ReportBatchItemFailures"]:
                problems.append(f"{lid}.{name}: FunctionResponseTypes "
                                f"{event.get('FunctionResponseTypes')}")
            if target(event.get("Queue")) not in main_queues:
                problems.append(f"{lid}.{name}: reads {event.get('Queue')}, not a queue of the "
                                "stack with a dead-letter queue")
    for lid, r in resources(t, "AWS::Lambda::EventSourceMapping").items():
        mappings += 1
        if r["Properties"].get("FunctionResponseTypes") != ["ReportBatchItemFailures"]:
            problems.append(f"{lid}: FunctionResponseTypes missing")
    if mappings < len(schema.QUEUES):
        problems.append(f"{mappings} SQS mappings for {len(schema.QUEUES)} queues")
    return problems


# -- schedules ------------------------------------------------------------------------------------

def schedule_problems(t: dict, stage: str) -> list[str]:
    """Each SCHEDULES entry: a function named for it with one rule at its rate."""
    problems = []
    fns = {p.get("FunctionName"): (lid, p) for lid, p in functions(t).items()}
    scheduled = 0
    for name, minutes, _ref in schema.SCHEDULES:
        fn_name = f"{prefix(stage)}{name}"
        if fn_name not in fns:
            problems.append(f"schedule {name}: no function {fn_name}")
            continue
        lid, p = fns[fn_name]
        rules = list(function_events(p, "Schedule").values())
        if [r.get("Schedule") for r in rules] != [rate(minutes)]:
            problems.append(f"schedule {name}: rules {rules} != one {rate(minutes)}")
        for rule in rules:
            if not str(rule.get("Name", "")).startswith(prefix(stage)):
                problems.append(f"schedule {name}: rule name {rule.get('Name')!r}")
            if rule.get("Enabled") is False or rule.get("State") == "DISABLED":
                problems.append(f"schedule {name}: disabled")
    for p in functions(t).values():
        scheduled += len(function_events(p, "Schedule"))
    if scheduled != len(schema.SCHEDULES):
        problems.append(f"{scheduled} schedule rules for {len(schema.SCHEDULES)} SCHEDULES")
    return problems


# -- IAM --------------------------------------------------------------------------------------

def policy_documents(t: dict) -> Iterator[tuple[str, dict]]:
    """(where, document) of every identity policy: roles' inline policies, IAM policies,
    SAM functions' Policies. (Key, bucket and queue policies are resource policies.)"""
    for lid, r in t["Resources"].items():
        p = r.get("Properties", {})
        if r["Type"] == "AWS::IAM::Role":
            for i, pol in enumerate(p.get("Policies", [])):
                yield f"{lid}.Policies[{i}]", pol["PolicyDocument"]
        elif r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield lid, p["PolicyDocument"]
        elif r["Type"] == "AWS::Serverless::Function":
            for i, pol in enumerate(p.get("Policies") or []):
                yield f"{lid}.Policies[{i}]", pol if isinstance(pol, dict) else {
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": pol}]}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _resource_ids(value: Any) -> set[str]:
    """Logical ids a resource expression refers to."""
    found = set()
    if isinstance(value, dict):
        if target(value):
            found.add(target(value))
        for v in value.values():
            found |= _resource_ids(v)
    elif isinstance(value, list):
        for v in value:
            found |= _resource_ids(v)
    return found


DATA_TYPES = {"dynamodb": "AWS::DynamoDB::Table", "sqs": "AWS::SQS::Queue",
              "s3": "AWS::S3::Bucket", "kms": "AWS::KMS::Key"}


def iam_problems(t: dict) -> list[str]:
    """No Allow on a data service (or ``*``) may name ``*`` or a wildcard ARN, and each resource
    must be one this template creates."""
    problems = []
    documents = list(policy_documents(t))
    if not documents:
        problems.append("no identity policy at all (the app's role must get one)")
    for where, doc in documents:
        for st in _as_list(doc.get("Statement", [])):
            if st.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in _as_list(st.get("Action", []))]
            services = {a.split(":", 1)[0] for a in actions}
            data = sorted(s for s in services if s in DATA_SERVICES or s == "*")
            if not data:
                continue
            for a in actions:
                if a.endswith(":*") or a == "*":
                    problems.append(f"{where}: wildcard action {a}")
            if "NotResource" in st or "NotAction" in st:
                problems.append(f"{where}: NotResource/NotAction on {data}")
            for res in _as_list(st.get("Resource", [])):
                if isinstance(res, str):
                    problems.append(f"{where}: {data} on literal resource {res!r}")
                    continue
                ids = _resource_ids(res)
                kinds = {t["Resources"].get(i, {}).get("Type") for i in ids}
                allowed = {DATA_TYPES.get(s) for s in data}
                if not ids or not kinds <= allowed:
                    problems.append(f"{where}: {data} on {json.dumps(res)} (refers to {kinds})")
    return problems


# -- names, environment, the API, alarms ------------------------------------------------------

def _name_values(t: dict) -> Iterator[tuple[str, Any]]:
    for lid, r in t["Resources"].items():
        p = r.get("Properties", {})
        for key in NAME_PROPERTIES:
            if key in p and not target(p[key]):  # a Ref/GetAtt names another resource
                yield f"{lid}.{key}", p[key]
        if r["Type"] == "AWS::Serverless::Api":
            yield f"{lid}.Name", p.get("Name")
        if r["Type"] == "AWS::Serverless::Function":
            for name, event in function_events(p, "Schedule").items():
                yield f"{lid}.Events.{name}.Name", event.get("Name")


def _literal_head(value: Any) -> str:
    """The leading literal text of a name (a plain string or the first part of a Fn::Join)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        parts = value["Fn::Join"][1]
        return parts[0] if parts and isinstance(parts[0], str) else ""
    return ""


def name_problems(t: dict, stage: str) -> list[str]:
    problems = []
    for where, value in _name_values(t):
        head = _literal_head(value)
        if where.endswith("LogGroupName"):
            head = head.removeprefix("/aws/lambda/")
        elif where.endswith("AliasName"):
            head = head.removeprefix("alias/")
        if not head.startswith(prefix(stage)):
            problems.append(f"{where}: {value!r} doesn't start with {prefix(stage)}")
    return problems


# The stage's queue URLs without the queue's name (SQS's URL form; settings.queue_url_prefix).
QUEUE_URL_PREFIX = "https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}/"


def _joined(value: Any) -> str | None:
    """A string, or an Fn::Join of strings and pseudo-parameter Refs, as ``${Name}`` text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return "${" + str(value["Ref"]) + "}"
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        sep, parts = value["Fn::Join"]
        texts = [_joined(p) for p in parts]
        return None if None in texts else sep.join(t for t in texts if t is not None)
    return None


def environment_problems(t: dict, stage: str, mail_sender: str) -> list[str]:
    problems = []
    bucket = next(iter(resources(t, "AWS::S3::Bucket")), None)
    key = next(iter(resources(t, "AWS::KMS::Key")), None)
    apis = list(resources(t, "AWS::Serverless::Api"))
    visibility = {props(t, lid).get("VisibilityTimeout")
                  for lid in consumers(t) if lid in t["Resources"]}
    for lid, p in functions(t).items():
        env = (p.get("Environment") or {}).get("Variables") or {}
        want = {"JFW_STAGE": stage, "JFW_TABLE_PREFIX": prefix(stage),
                "JFW_QUEUE_PREFIX": prefix(stage), "JFW_MAIL_SENDER": mail_sender}
        for k, v in want.items():
            if env.get(k) != v:
                problems.append(f"{lid}: {k}={env.get(k)!r}, want {v!r}")
        if target(env.get("JFW_BUCKET")) != bucket:
            problems.append(f"{lid}: JFW_BUCKET={env.get('JFW_BUCKET')} is not the bucket")
        if env.get("JFW_SECRETS_KMS_KEY_ID") != {"Fn::GetAtt": [key, "Arn"]}:
            problems.append(f"{lid}: JFW_SECRETS_KMS_KEY_ID={env.get('JFW_SECRETS_KMS_KEY_ID')}")
        if not apis or not (_resource_ids(env.get("JFW_BASE_URL")) & set(apis)):
            problems.append(f"{lid}: JFW_BASE_URL={env.get('JFW_BASE_URL')} is not the API's URL")
        if not str(env.get("JFW_STRIPE_API_BASE", "")).startswith("https://"):
            problems.append(f"{lid}: JFW_STRIPE_API_BASE={env.get('JFW_STRIPE_API_BASE')}")
        if _joined(env.get("JFW_QUEUE_URL_PREFIX")) != QUEUE_URL_PREFIX:
            problems.append(f"{lid}: JFW_QUEUE_URL_PREFIX={env.get('JFW_QUEUE_URL_PREFIX')} is "
                            f"not {QUEUE_URL_PREFIX} (store/aws.py queue_url)")
        if visibility and {int(env.get("JFW_QUEUE_VISIBILITY_SECONDS", 0))} != visibility:
            problems.append(f"{lid}: JFW_QUEUE_VISIBILITY_SECONDS="
                            f"{env.get('JFW_QUEUE_VISIBILITY_SECONDS')} != queues' {visibility}")
    return problems


def _refs(value: Any) -> set[str]:
    """Every logical id an expression depends on (Ref, GetAtt, ${X} / ${X.Attr} in Fn::Sub)."""
    import re

    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                found.add(v)
            elif k == "Fn::GetAtt":
                found.add(v[0] if isinstance(v, list) else str(v).split(".")[0])
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                if isinstance(v, list):
                    found |= _refs(v[1])
            else:
                found |= _refs(v)
    elif isinstance(value, list):
        for v in value:
            found |= _refs(v)
    return found


def cycle_problems(t: dict) -> list[str]:
    """The resources' dependency graph (Ref, GetAtt, Sub, DependsOn) has no cycle."""
    names = set(t["Resources"])
    graph = {lid: (_refs(r.get("Properties", {})) | set(_as_list(r.get("DependsOn", []))))
             & names for lid, r in t["Resources"].items()}
    state: dict[str, int] = {}
    problems = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                problems.append("cycle: " + " -> ".join(path[path.index(nxt):] + [nxt])
                                if nxt in path else f"cycle through {nxt}")
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for lid in sorted(graph):
        if lid not in state:
            visit(lid, [lid])
    return problems


def alarm_problems(t: dict) -> list[str]:
    problems = []
    topics = set(resources(t, "AWS::SNS::Topic"))
    alarms = [r["Properties"] for r in resources(t, "AWS::CloudWatch::Alarm").values()]
    for a in alarms:
        if not any(target(x) in topics for x in a.get("AlarmActions", [])):
            problems.append(f"alarm {a.get('AlarmName')}: no action to the alarm topic")

    def watched(metric: str) -> list[dict]:
        return [a for a in alarms if a.get("MetricName") == metric]

    dlqs = {lid for lid, r in resources(t, "AWS::SQS::Queue").items()
            if not r["Properties"].get("RedrivePolicy")}
    depth = {target(d["Value"]) for a in watched("ApproximateNumberOfMessagesVisible")
             for d in a.get("Dimensions", []) if d["Name"] == "QueueName"
             and a.get("Threshold") == 0}
    for dlq in sorted(dlqs - depth):
        problems.append(f"no alarm on the depth of dead-letter queue {dlq}")
    api_names = {p.get("Name") for p in
                 (r.get("Properties", {}) for r in resources(t, "AWS::Serverless::Api").values())}
    api_alarms = {d["Value"] for a in watched("5XXError") for d in a.get("Dimensions", [])
                  if d["Name"] == "ApiName"}
    if not api_names <= api_alarms:
        problems.append(f"no 5XXError alarm for API {sorted(map(str, api_names - api_alarms))}")
    fn_names = {p.get("FunctionName") for p in functions(t).values()}
    for metric in ("Throttles", "Errors"):
        covered = {d["Value"] for a in watched(metric) for d in a.get("Dimensions", [])
                   if d["Name"] == "FunctionName"}
        for fn in sorted(map(str, fn_names - covered)):
            problems.append(f"no {metric} alarm for function {fn}")
    return problems


def reconciliation_problems(t: dict, stage: str, failed_event: str, metric: str) -> list[str]:
    """The wallet reconciliation's failures (its ERROR line ``failed_event``) are counted from
    its function's log group as ``metric``, and an alarm on it above 0 goes to the topic."""
    problems = []
    group = by_name(t, "AWS::Logs::LogGroup", "LogGroupName").get(
        f"/aws/lambda/{prefix(stage)}wallet-reconciliation")
    if group is None:
        return ["no log group for the wallet-reconciliation function"]
    namespaces = set()
    for r in resources(t, "AWS::Logs::MetricFilter").values():
        p = r["Properties"]
        if target(p.get("LogGroupName")) != group:
            continue
        for m in p.get("MetricTransformations", []):
            if m.get("MetricName") == metric and failed_event in p.get("FilterPattern", "") \
                    and str(m.get("MetricValue")) == "1":
                namespaces.add(m.get("MetricNamespace"))
    if not namespaces:
        problems.append(f"no metric filter counts {failed_event} lines as {metric}")
    topics = set(resources(t, "AWS::SNS::Topic"))
    alarmed = [a["Properties"] for a in resources(t, "AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("MetricName") == metric
               and a["Properties"].get("Namespace") in namespaces
               and a["Properties"].get("Threshold") == 0
               and any(target(x) in topics for x in a["Properties"].get("AlarmActions", []))]
    if not alarmed:
        problems.append(f"no alarm to the topic on {metric} above 0")
    return problems


def storage_problems(t: dict) -> list[str]:
    problems = []
    buckets = resources(t, "AWS::S3::Bucket")
    if len(buckets) != len(schema.BUCKETS):
        problems.append(f"{len(buckets)} buckets for schema {schema.BUCKETS}")
    ssl_only = set()
    for r in resources(t, "AWS::S3::BucketPolicy").values():
        statements = r["Properties"]["PolicyDocument"]["Statement"]
        if any(s["Effect"] == "Deny" and s.get("Condition") == SSL_CONDITION for s in statements):
            ssl_only.add(target(r["Properties"]["Bucket"]))
    for lid, r in buckets.items():
        p = r["Properties"]
        block = p.get("PublicAccessBlockConfiguration") or {}
        if not all(block.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy",
                                                  "IgnorePublicAcls", "RestrictPublicBuckets")):
            problems.append(f"{lid}: public access not fully blocked ({block})")
        if not (p.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"):
            problems.append(f"{lid}: no default encryption")
        if lid not in ssl_only:
            problems.append(f"{lid}: no policy denying non-TLS requests")
    keys = resources(t, "AWS::KMS::Key")
    if len(keys) != 1:
        problems.append(f"{len(keys)} KMS keys (want the one for gateway secrets)")
    for lid, r in keys.items():
        if r["Properties"].get("EnableKeyRotation") is not True:
            problems.append(f"{lid}: key rotation off")
    return problems


def api_problems(t: dict, stage: str) -> list[str]:
    """Every API integration calls this stage's API function; none names it by ${X.Arn} (which,
    with JFW_BASE_URL on the function, would be a circular dependency)."""
    problems = []
    fns = {p.get("FunctionName") for p in functions(t).values()}
    for lid, r in resources(t, "AWS::Serverless::Api").items():
        body = r["Properties"].get("DefinitionBody") or {}
        uris = [op.get("x-amazon-apigateway-integration", {}).get("uri")
                for ops in body.get("paths", {}).values() for op in ops.values()
                if isinstance(op, dict)
                and op.get("x-amazon-apigateway-integration", {}).get("type") == "aws_proxy"]
        if not uris:
            problems.append(f"{lid}: no integrations")
        for uri in uris:
            text = uri.get("Fn::Sub", "") if isinstance(uri, dict) else str(uri)
            fn = text.rsplit(":function:", 1)[-1].split("/", 1)[0]
            if ".Arn}" in text or fn not in fns or not fn.startswith(prefix(stage)):
                problems.append(f"{lid}: integration {text}")
                break
    return problems


API_STAGE = "api"  # JFW clients call https://<host>/api/v1/...: the stage is that "/api"


def _url_tail(value: Any) -> str:
    """The literal text after the last reference of a URL expression (Fn::Join / Fn::Sub)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        parts = value["Fn::Join"][1]
        return parts[-1] if isinstance(parts[-1], str) else ""
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return text.rsplit("}", 1)[-1]
    return str(value or "")


def api_path_problems(t: dict) -> list[str]:
    """The API's stage is ``api`` and its routes are mounted without ``/api``
    (chalicelib/http/dispatch.py mounted_path), so ``<host>/api/v1/health`` answers, not
    ``<host>/api/api/v1/health``; JFW_BASE_URL is the host root (links add ``/api/v1/...``)."""
    problems = []
    apis = resources(t, "AWS::Serverless::Api")
    if not apis:
        problems.append("no AWS::Serverless::Api")
    for lid, r in apis.items():
        if r["Properties"].get("StageName") != API_STAGE:
            problems.append(f"{lid}: StageName={r['Properties'].get('StageName')!r}, "
                            f"want {API_STAGE!r}")
        paths = list((r["Properties"].get("DefinitionBody") or {}).get("paths", {}))
        if "/v1/health" not in paths:
            problems.append(f"{lid}: no /v1/health among {len(paths)} paths")
        doubled = [p for p in paths if p == "/api" or p.startswith("/api/")]
        if doubled:
            problems.append(f"{lid}: paths under the stage repeat it: {doubled[:3]}")
    for lid, p in functions(t).items():
        base = ((p.get("Environment") or {}).get("Variables") or {}).get("JFW_BASE_URL")
        tail = _url_tail(base)
        if tail.rstrip("/").endswith(f"/{API_STAGE}") or tail.endswith("/"):
            problems.append(f"{lid}: JFW_BASE_URL ends with {tail!r}: it must be the host root")
    return problems
