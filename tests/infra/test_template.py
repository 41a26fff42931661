"""The synthesised stacks against store/schema.py and the deploy rules (plain JSON checks;
tests/infra/checks.py holds them, test_checks_can_fail.py shows each one catching a fault)."""

from __future__ import annotations

from chalicelib.wallet import reconcile
from infra import alarms
from infra.config import PROTECTED_STAGES
from infra.synth import CHECK_CONTEXT
from tests.infra import checks


def test_every_table_of_the_schema_with_its_keys_indexes_ttl_and_pitr(template, stage):
    assert checks.table_problems(template, stage) == []


def test_production_data_is_protected_and_dev_can_be_torn_down(template, stage):
    assert checks.protection_problems(template, stage, stage in PROTECTED_STAGES) == []


def test_every_queue_has_a_dead_letter_queue_redrive_and_one_consumer(template, stage):
    assert checks.queue_problems(template, stage) == []


def test_every_sqs_mapping_reports_batch_item_failures(template):
    assert checks.mapping_problems(template) == []


def test_every_schedule_of_the_schema_has_its_rule(template, stage):
    assert checks.schedule_problems(template, stage) == []


def test_no_iam_statement_grants_wildcard_data_resources(template):
    assert checks.iam_problems(template) == []


def test_every_resource_name_carries_the_stage(template, stage):
    assert checks.name_problems(template, stage) == []


def test_functions_get_their_settings_from_created_resources(template, stage):
    sender = CHECK_CONTEXT[stage]["mailSender"]
    assert checks.environment_problems(template, stage, sender) == []


def test_api_integrations_call_this_stages_function(template, stage):
    assert checks.api_problems(template, stage) == []


def test_no_circular_dependency(template):
    assert checks.cycle_problems(template) == []


def test_alarms_cover_dlqs_api_5xx_and_every_function(template):
    assert checks.alarm_problems(template) == []


def test_a_wallet_reconciliation_failure_raises_an_alarm(template, stage):
    assert (alarms.RECONCILIATION_FAILED_EVENT, alarms.RECONCILIATION_METRIC) == (
        reconcile.FAILED_EVENT, reconcile.METRIC)
    assert checks.reconciliation_problems(template, stage, reconcile.FAILED_EVENT,
                                          reconcile.METRIC) == []


def test_bucket_is_private_encrypted_ssl_only_and_the_key_rotates(template):
    assert checks.storage_problems(template) == []


def test_prod_subscribes_the_alarm_email_and_creates_the_ses_identity(templates):
    prod = templates["prod"]
    def mail_subscriptions(t: dict) -> list[dict]:
        return [r["Properties"] for r in checks.resources(t, "AWS::SNS::Subscription").values()
                if r["Properties"]["Protocol"] == "email"]

    subscriptions = mail_subscriptions(prod)
    assert subscriptions and subscriptions[0]["Endpoint"] == CHECK_CONTEXT["prod"]["alarmEmail"]
    assert [r["Properties"]["EmailIdentity"] for r in
            checks.resources(prod, "AWS::SES::EmailIdentity").values()] == ["example.com"]
    assert not mail_subscriptions(templates["dev"])
    assert not checks.resources(templates["dev"], "AWS::SES::EmailIdentity")


def test_the_app_may_send_mail_only_as_its_identities(templates):
    for stage, t in templates.items():
        ses = [st for _, doc in checks.policy_documents(t) for st in doc["Statement"]
               if any(str(a).startswith("ses:Send") for a in st["Action"])]
        assert len(ses) == 1
        idents = sorted(r["Fn::Join"][1][-1] for r in ses[0]["Resource"])
        sender = CHECK_CONTEXT[stage]["mailSender"]
        want = {sender, sender.split("@")[1], *filter(None, CHECK_CONTEXT[stage].get(
            "mailIdentities", "").split(","))}
        # ... and the configuration set it sends with (SES checks both).
        assert idents == sorted([*(f":identity/{i}" for i in want),
                                 f":configuration-set/jfw-{stage}-mail"])


def test_ses_feedback_reaches_the_app_from_its_own_topic(template, stage):
    """SES configuration set -> SNS topic -> HTTPS subscription of v1/ses/notifications; the
    functions know the topic (the only one they believe) and the configuration set."""
    topics = {lid: r["Properties"] for lid, r in checks.resources(template, "AWS::SNS::Topic")
              .items() if r["Properties"]["TopicName"] == f"jfw-{stage}-ses-feedback"}
    [topic] = topics
    [config_set] = checks.resources(template, "AWS::SES::ConfigurationSet").values()
    assert config_set["Properties"]["Name"] == f"jfw-{stage}-mail"
    [destination] = checks.resources(template, "AWS::SES::ConfigurationSetEventDestination"
                                     ).values()
    dest = destination["Properties"]["EventDestination"]
    assert destination["Properties"]["ConfigurationSetName"] == f"jfw-{stage}-mail"
    assert dest["Enabled"] is True
    assert set(dest["MatchingEventTypes"]) == {"bounce", "complaint", "delivery"}
    assert checks.target(dest["SnsDestination"]["TopicARN"]) == topic
    [sub] = [r for r in checks.resources(template, "AWS::SNS::Subscription").values()
             if r["Properties"]["Protocol"] == "https"]
    assert checks.target(sub["Properties"]["TopicArn"]) == topic
    assert sub["Properties"]["Endpoint"]["Fn::Join"][1][-1].endswith("/api/v1/ses/notifications")
    [policy] = [r["Properties"] for r in checks.resources(template, "AWS::SNS::TopicPolicy")
                .values() if any(checks.target(t) == topic for t in r["Properties"]["Topics"])]
    assert any(st.get("Principal") == {"Service": "ses.amazonaws.com"}
               for st in policy["PolicyDocument"]["Statement"])
    for lid, fn in checks.functions(template).items():
        env = fn["Environment"]["Variables"]
        assert checks.target(env["JFW_SES_FEEDBACK_TOPIC_ARN"]) == topic, lid
        assert env["JFW_SES_CONFIGURATION_SET"] == f"jfw-{stage}-mail", lid


def test_api_stage_is_the_api_segment_and_routes_are_mounted_under_it(template):
    """https://<id>.execute-api.../api/v1/health, the URL JFW's SDK builds (base .../api)."""
    assert checks.api_path_problems(template) == []


def test_outputs_give_the_api_url_and_notification_url_patterns(template):
    outputs = template["Outputs"]
    api = outputs["ApiUrl"]["Value"]["Fn::Join"][1]
    # The host root (no stage): <ApiUrl>/api/v1/... is a route, "api" being the stage.
    assert api[0] == "https://" and api[1] == {"Ref": "RestAPI"}
    assert isinstance(api[-1], dict) and api[-1] == {"Ref": "AWS::URLSuffix"}
    for kind, key in (("stripe", "StripeNotificationUrl"), ("paypal", "PayPalNotificationUrl")):
        parts = outputs[key]["Value"]["Fn::Join"][1]
        assert parts[:-1] == api
        assert parts[-1] == f"/api/v1/ipn/{kind}/<gatewayId>"


def test_template_fits_cloudformation_limit(stage):
    from infra.synth import template_path

    size = template_path(stage).stat().st_size
    # CloudFormation refuses templates over 1,000,000 bytes (uploaded through S3, as CDK does);
    # the API definition grows with every route.
    assert size < 800_000, f"{stage} template is {size} bytes: split the stack before 1 MB"


def test_the_functions_run_the_prebuilt_package(template, stage):
    """Chalice's construct didn't package again: the asset every function points at is, byte
    for byte, the package infra.package.build made (precompiled)."""
    import hashlib

    from infra.package import default_out_dir
    from infra.synth import template_path

    keys = {p["CodeUri"]["Key"] for p in checks.functions(template).values()}
    assert len(keys) == 1, keys
    staged = template_path(stage).parent / f"asset.{keys.pop()}"
    built = default_out_dir(stage) / "deployment.zip"

    def digest(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert staged.is_file() and built.is_file()
    assert digest(staged) == digest(built), "stale templates: run `make infra-check`"


def test_every_route_reaches_the_function_through_one_any_method(template, stage):
    """Every route of the app is a path of the REST API whose single ANY operation (infra/
    chalice_app.py one_method_per_path) goes to the API function; no path lists verbs one by one."""
    from chalicelib.http.dispatch import mounted_path
    from chalicelib.routes import all_routes
    from infra.chalice_app import ANY_METHOD

    api = next(r for r in template["Resources"].values()
               if r["Type"] == "AWS::Serverless::Api" or r["Type"] == "AWS::ApiGateway::RestApi")
    paths = api["Properties"].get("DefinitionBody", api["Properties"].get("Body"))["paths"]
    wanted = {mounted_path(r.path, stage) for r in all_routes() if r.enabled_in(stage)}
    missing = sorted(p for p in wanted if ANY_METHOD not in paths.get(p, {}))
    assert missing == []
    verbs = sorted(p for p, ops in paths.items() if set(ops) & {"get", "post", "put", "delete"})
    assert verbs == []
