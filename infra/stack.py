"""One stage of JFW Billing on AWS: data (data.py), the Chalice app (chalice_app.py) wired to it,
its IAM policy (policy.py), alarms (alarms.py) and the outputs a person needs after a deploy."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnOutput, RemovalPolicy, Stack, Tags
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ses as ses
from constructs import Construct

from chalicelib.store import schema
from infra import alarms, chalice_app, data, feedback, policy
from infra.config import StageConfig

IPN_PATH = "/api/v1/ipn/{kind}/<gatewayId>"
API_STAGE = "api"  # JFW clients call https://<host>/api/v1/...


class BillingStack(Stack):
    def __init__(self, scope: Construct, cfg: StageConfig, package_dir: Path) -> None:
        # Unindented: the API definition (every route, from Chalice) makes the template large,
        # and CloudFormation takes at most 1 MB (test_template_fits_cloudformation_limit).
        super().__init__(scope, cfg.stack_name,
                         description=f"JFW Billing ({cfg.stage}): API, tables, queues, schedules",
                         suppress_template_indentation=True)
        self.cfg = cfg
        Tags.of(self).add("app", "jfw-billing")
        Tags.of(self).add("stage", cfg.stage)

        sam = json.loads((Path(package_dir) / "sam.json").read_text())
        fns = chalice_app.functions(sam)
        self.function_names = {lid: f"{cfg.prefix}{chalice_app.function_suffix(lid)}"
                               for lid in fns}
        self.data = data.make_data(self, cfg, self._consumer_timeouts(fns))

        template = copy.deepcopy(sam)
        chalice_app.point_api_at_function_name(
            template, self.function_names[chalice_app.API_LOGICAL_ID])
        chalice_app.binary_for_every_accept(template)
        chalice_app.one_method_per_path(template)
        self.app = chalice_app.PrebuiltChalice(self, "App", package_dir=Path(package_dir),
                                               template=template)
        rest_api_props = sam["Resources"][chalice_app.REST_API_LOGICAL_ID]["Properties"]
        self.api_stage = rest_api_props.get("StageName", "api")
        if self.api_stage != API_STAGE:
            # The stage is the "/api" of every URL (chalicelib/http/dispatch.py mounted_path).
            raise ValueError(f"The API Gateway stage is {self.api_stage!r}; .chalice/config.json "
                             f"must set api_gateway_stage={API_STAGE!r}")
        self.api_name = f"{cfg.prefix}api"
        self.app.resource(chalice_app.REST_API_LOGICAL_ID).add_property_override(
            "Name", self.api_name)
        self.base_url = cfg.base_url or chalice_app.default_base_url(self.app)
        self.feedback = feedback.make_feedback(self, cfg, self.base_url)
        self.feedback.subscription.add_resource_dependency(
            self.app.resource(chalice_app.API_LOGICAL_ID))  # the function that confirms it

        log_groups = self._log_groups()
        self._wire_functions(fns, log_groups)
        self._set_role_policies(sam, [g.attr_arn for g in log_groups.values()])
        if cfg.create_mail_identity:
            self._mail_identity()

        topic = alarms.make_topic(self, cfg)
        alarms.make_alarms(self, cfg, topic, self.data.queues, list(self.function_names.values()),
                           self.api_name, self.api_stage)
        reconciliation = f"{cfg.prefix}{alarms.RECONCILIATION_SCHEDULE}"
        alarms.make_reconciliation_alarm(self, cfg, topic, next(
            log_groups[lid] for lid, name in self.function_names.items()
            if name == reconciliation))
        self._outputs(topic.topic_arn)

    # -- wiring -----------------------------------------------------------------------------

    def _consumer_timeouts(self, fns: dict[str, dict]) -> dict[str, int]:
        """schema queue name -> timeout of the Lambda that consumes it (from the package)."""
        by_physical = {f"{self.cfg.prefix}{q.name}": q.name for q in schema.QUEUES}
        timeouts: dict[str, int] = {}
        for lid, props in fns.items():
            for event in chalice_app.events(props, "SQS").values():
                physical = chalice_app.sqs_queue_name(event)
                if physical not in by_physical:
                    raise ValueError(
                        f"{lid} consumes {physical!r}, which is not a queue of stage "
                        f"{self.cfg.stage} ({sorted(by_physical)}): was the package built for "
                        "another stage?")
                timeouts[by_physical[physical]] = int(props.get("Timeout", 60))
        return timeouts

    def environment(self) -> dict[str, str]:
        """The settings (chalicelib/settings.py) every function gets, from created resources."""
        queue_visibility = {p.visibility_seconds for p in self.data.queues.values()}
        env = {
            "JFW_STAGE": self.cfg.stage,
            "JFW_TABLE_PREFIX": self.cfg.prefix,
            "JFW_QUEUE_PREFIX": self.cfg.prefix,
            # A queue's URL without GetQueueUrl (store/aws.py queue_url): SQS's URL form.
            "JFW_QUEUE_URL_PREFIX": f"https://sqs.{Aws.REGION}.{Aws.URL_SUFFIX}/{Aws.ACCOUNT_ID}/",
            "JFW_BUCKET": self.data.files.bucket_name,
            "JFW_BASE_URL": self.base_url,
            "JFW_MAIL_SENDER": self.cfg.mail_sender,
            "JFW_SECRETS_KMS_KEY_ID": self.data.secrets_key.key_arn,
            "JFW_STRIPE_API_BASE": self.cfg.stripe_api_base,
        }
        # SES feedback (infra/feedback.py): the mailer sends with the configuration set, and
        # believes only this topic's SNS messages.
        env["JFW_SES_FEEDBACK_TOPIC_ARN"] = self.feedback.topic.topic_arn
        env["JFW_SES_CONFIGURATION_SET"] = self.feedback.configuration_set
        if queue_visibility:
            # The outbox lease (notify/jobs.py) must outlast the queue's visibility timeout.
            env["JFW_QUEUE_VISIBILITY_SECONDS"] = str(max(queue_visibility))
        return env

    def _log_groups(self) -> dict[str, logs.CfnLogGroup]:
        groups = {}
        for lid, name in self.function_names.items():
            group = logs.CfnLogGroup(self, f"Logs-{lid}", log_group_name=f"/aws/lambda/{name}",
                                     retention_in_days=self.cfg.log_retention_days)
            group.apply_removal_policy(
                RemovalPolicy.RETAIN if self.cfg.protected else RemovalPolicy.DESTROY)
            groups[lid] = group
        return groups

    def _wire_functions(self, fns: dict[str, dict], log_groups: dict[str, Any]) -> None:
        queues_by_physical = {f"{self.cfg.prefix}{logical}": pair
                              for logical, pair in self.data.queues.items()}
        env = self.environment()
        for lid, props in fns.items():
            fn = self.app.resource(lid)
            fn.add_property_override("FunctionName", self.function_names[lid])
            fn.add_property_override("MemorySize", self.cfg.lambda_memory_mb)
            for key, value in env.items():
                fn.add_property_override(f"Environment.Variables.{key}", value)
            fn.add_resource_dependency(log_groups[lid])
            for name, event in chalice_app.events(props, "SQS").items():
                pair = queues_by_physical[chalice_app.sqs_queue_name(event)]
                base = f"Events.{name}.Properties"
                # The consumers answer {"batchItemFailures": [...]}; without this Lambda retries
                # the whole batch (and a good message's mail goes out twice).
                fn.add_property_override(f"{base}.FunctionResponseTypes",
                                         ["ReportBatchItemFailures"])
                # The created queue's ARN (not Chalice's string): the mapping waits for it.
                fn.add_property_override(f"{base}.Queue", pair.queue.queue_arn)
            for name in chalice_app.events(props, "Schedule"):
                fn.add_property_override(f"Events.{name}.Properties.Name",
                                         self.function_names[lid])

    def _set_role_policies(self, sam: dict, log_group_arns: list[str]) -> None:
        document = policy.app_policy_document(
            self.cfg, self.data, log_group_arns,
            mail_configuration_sets=[self.feedback.configuration_set_arn()])
        for lid, resource in sam["Resources"].items():
            if resource["Type"] == "AWS::IAM::Role":
                self.app.resource(lid).add_property_override("Policies", [
                    {"PolicyName": f"{self.cfg.prefix}app", "PolicyDocument": document}])

    def _mail_identity(self) -> None:
        identity = ses.EmailIdentity(self, "MailIdentity",
                                     identity=ses.Identity.domain(self.cfg.mail_domain))
        for n, (name, value) in enumerate(
                ((identity.dkim_dns_token_name1, identity.dkim_dns_token_value1),
                 (identity.dkim_dns_token_name2, identity.dkim_dns_token_value2),
                 (identity.dkim_dns_token_name3, identity.dkim_dns_token_value3)), start=1):
            CfnOutput(self, f"DkimRecord{n}", value=f"{name} CNAME {value}",
                      description=f"DNS record {n}/3 that verifies {self.cfg.mail_domain} in SES")

    def _outputs(self, topic_arn: str) -> None:
        CfnOutput(self, "ApiUrl", value=self.base_url,
                  description="Base URL of the API (JFW_BASE_URL); routes are <ApiUrl>/api/v1/...")
        for kind, label in (("stripe", "Stripe"), ("paypal", "PayPal")):
            CfnOutput(self, f"{label}NotificationUrl",
                      value=self.base_url + IPN_PATH.format(kind=kind),
                      description=f"{label} webhook/IPN URL; <gatewayId> is the id of the brand's "
                                  f"{label} gateway (its ipnListenerLink)")
        CfnOutput(self, "FilesBucketName", value=self.data.files.bucket_name)
        CfnOutput(self, "SecretsKeyArn", value=self.data.secrets_key.key_arn)
        CfnOutput(self, "AlarmTopicArn", value=topic_arn)
