"""Alarms to one SNS topic: a message in any dead-letter queue, the API's 5xx rate, each
function's throttles and errors, and a wallet whose ledger failed its reconciliation."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from infra.config import StageConfig
from infra.data import QueuePair

PERIOD = Duration.minutes(5)
# The reconciliation job (chalicelib/wallet/reconcile.py) logs one ERROR line starting with
# FAILED_EVENT per wallet whose ledger disagrees; a metric filter on its function's log group
# counts them as METRIC (tests/infra checks the names against reconcile.py's).
RECONCILIATION_SCHEDULE = "wallet-reconciliation"
RECONCILIATION_FAILED_EVENT = "WALLET.RECONCILIATION.FAILED"
RECONCILIATION_METRIC = "WalletReconciliationFailures"


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


def metric_namespace(cfg: StageConfig) -> str:
    return f"JFWBilling/{cfg.stage}"


def make_reconciliation_alarm(scope: Construct, cfg: StageConfig, topic: sns.Topic,
                              log_group: logs.CfnLogGroup) -> cw.Alarm:
    """WalletReconciliationFailures, counted from the job's log, alarmed when above 0 in the
    hour of a run (the job runs hourly; a failing wallet is found again daily until unlocked)."""
    logs.CfnMetricFilter(
        scope, "WalletReconciliationFailuresFilter", log_group_name=log_group.ref,
        filter_pattern=f'"{RECONCILIATION_FAILED_EVENT}"',
        metric_transformations=[logs.CfnMetricFilter.MetricTransformationProperty(
            metric_name=RECONCILIATION_METRIC, metric_namespace=metric_namespace(cfg),
            metric_value="1", default_value=0)])
    return _alarm(
        scope, topic, "WalletReconciliationFailures", f"{cfg.prefix}wallet-reconciliation-failed",
        cw.Metric(namespace=metric_namespace(cfg), metric_name=RECONCILIATION_METRIC,
                  statistic=cw.Stats.SUM, period=Duration.hours(1)),
        0, "A wallet's ledger and balance disagree (edited or deleted outside the ledger): the "
           "reconciliation locked it and mailed the brand's support address. The job's log line "
           f"{RECONCILIATION_FAILED_EVENT} names the wallet and the first bad row; an admin "
           "unlocks it once restored (README, Wallets).")
