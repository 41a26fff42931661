"""SES delivery feedback: a configuration set the mailer sends with, whose event destination
publishes bounces, complaints and deliveries to an SNS topic, subscribed over HTTPS to
``POST /api/v1/ses/notifications`` (chalicelib/notify/feedback.py). The app learns the topic
(``JFW_SES_FEEDBACK_TOPIC_ARN``: only its messages are believed) and the configuration set
(``JFW_SES_CONFIGURATION_SET``) from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import StageConfig

FEEDBACK_PATH = "/api/v1/ses/notifications"
EVENT_TYPES = ["bounce", "complaint", "delivery"]


@dataclass
class Feedback:
    topic: sns.Topic
    configuration_set: str
    subscription: sns.CfnSubscription

    def configuration_set_arn(self) -> str:
        return (f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:configuration-set/"
                f"{self.configuration_set}")


def make_feedback(scope: Construct, cfg: StageConfig, base_url: str) -> Feedback:
    topic = sns.Topic(scope, "SesFeedbackTopic", topic_name=f"{cfg.prefix}ses-feedback",
                      display_name=f"JFW Billing {cfg.stage} SES feedback", enforce_ssl=True)
    topic.add_to_resource_policy(iam.PolicyStatement(
        sid="SesPublishes", actions=["sns:Publish"], resources=[topic.topic_arn],
        principals=[iam.ServicePrincipal("ses.amazonaws.com")],
        conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}))
    name = f"{cfg.prefix}mail"
    config_set = ses.CfnConfigurationSet(scope, "MailConfigurationSet", name=name)
    destination = ses.CfnConfigurationSetEventDestination(
        scope, "MailFeedbackDestination", configuration_set_name=name,
        event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
            name=f"{cfg.prefix}feedback", enabled=True, matching_event_types=EVENT_TYPES,
            sns_destination=ses.CfnConfigurationSetEventDestination.SnsDestinationProperty(
                topic_arn=topic.topic_arn)))
    destination.add_resource_dependency(config_set)
    # SNS posts a SubscriptionConfirmation at once; the app confirms it (our topic only).
    subscription = sns.CfnSubscription(scope, "SesFeedbackSubscription",
                                       topic_arn=topic.topic_arn, protocol="https",
                                       endpoint=base_url + FEEDBACK_PATH)
    return Feedback(topic=topic, configuration_set=name, subscription=subscription)
