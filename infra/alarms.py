"""Alarms to one SNS topic: a message in any dead-letter queue, the API's 5xx rate, and each
function's throttles and errors."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from infra.config import StageConfig
from infra.data import QueuePair

PERIOD = Duration.minutes(5)


def make_topic(scope: Construct, cfg: StageConfig) -> sns.Topic:
    topic = sns.Topic(scope, "AlarmTopic", topic_name=f"{cfg.prefix}alarms",
                      display_name=f"JFW Billing {cfg.stage} alarms", enforce_ssl=True)
    if cfg.alarm_email:
        topic.add_subscription(subs.EmailSubscription(cfg.alarm_email))
    return topic


def _alarm(scope: Construct, topic: sns.Topic, construct_id: str, name: str, metric: cw.Metric,
           threshold: float, description: str) -> cw.Alarm:
    alarm = cw.Alarm(
        scope, construct_id,
        alarm_name=name,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    alarm.add_ok_action(cw_actions.SnsAction(topic))
    return alarm


def make_alarms(scope: Construct, cfg: StageConfig, topic: sns.Topic,
                queues: dict[str, QueuePair], function_names: list[str], api_name: str,
                api_stage: str) -> list[cw.Alarm]:
    alarms = []
    for logical, pair in queues.items():
        alarms.append(_alarm(
            scope, topic, f"DlqDepth-{logical}", f"{cfg.prefix}{logical}-dlq-not-empty",
            pair.dlq.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic=cw.Stats.MAXIMUM),
            0, f"Messages of {logical} failed every retry and wait in its dead-letter queue: "
               "fix the cause, then `python -m chalicelib.notify.redrive --queue "
               f"{logical}` (README, Deploy to AWS)."))
    alarms.append(_alarm(
        scope, topic, "Api5xxRate", f"{cfg.prefix}api-5xx-rate",
        cw.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                  dimensions_map={"ApiName": api_name, "Stage": api_stage},
                  statistic=cw.Stats.AVERAGE, period=PERIOD),
        cfg.api_5xx_rate_threshold,
        f"More than {cfg.api_5xx_rate_threshold:.0%} of API requests answered 5xx: a 500 is a "
        "bug; the function's logs carry the correlation id."))
    for fn in function_names:
        for metric_name, what in (("Throttles", "throttled"), ("Errors", "failed")):
            alarms.append(_alarm(
                scope, topic, f"{metric_name}-{fn}", f"{fn}-{metric_name.lower()}",
                cw.Metric(namespace="AWS/Lambda", metric_name=metric_name,
                          dimensions_map={"FunctionName": fn}, statistic=cw.Stats.SUM,
                          period=PERIOD),
                0, f"Lambda {fn} {what} invocations in the last 5 minutes."))
    return alarms
