"""The same rules through CDK's own assertions library (``aws_cdk.assertions``), which also
refuses a template with a circular dependency when it loads it."""

from __future__ import annotations

import pytest

from chalicelib.store import schema
from infra.nodejs import use_bundled_node


@pytest.fixture(scope="module")
def assertions():
    use_bundled_node()
    from aws_cdk import assertions

    return assertions


@pytest.fixture(scope="module")
def cdk_templates(assertions, templates):
    return {stage: assertions.Template.from_json(t) for stage, t in templates.items()}


def test_resource_counts_follow_the_schema(cdk_templates):
    for t in cdk_templates.values():
        t.resource_count_is("AWS::DynamoDB::Table", len(schema.TABLES))
        t.resource_count_is("AWS::SQS::Queue", 2 * len(schema.QUEUES))
        t.resource_count_is("AWS::S3::Bucket", len(schema.BUCKETS))
        t.resource_count_is("AWS::KMS::Key", 1)
        t.resource_count_is("AWS::SNS::Topic", 2)  # alarms, SES feedback (infra/feedback.py)


def test_every_table_has_pitr_and_pay_per_request(cdk_templates, assertions):
    for t in cdk_templates.values():
        t.all_resources_properties("AWS::DynamoDB::Table", {
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        })


def test_prod_tables_keep_their_data(cdk_templates):
    cdk_templates["prod"].all_resources("AWS::DynamoDB::Table", {
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {"DeletionProtectionEnabled": True}})


def test_the_consumer_reports_batch_item_failures(cdk_templates, assertions):
    match = assertions.Match
    for t in cdk_templates.values():
        for q in schema.QUEUES:
            t.has_resource_properties("AWS::Serverless::Function", {"Events": match.object_like({
                f"Consume{q.name.title().replace('-', '')}SqsEventSource": {
                    "Type": "SQS", "Properties": match.object_like({
                        "FunctionResponseTypes": ["ReportBatchItemFailures"]})}})})


def test_the_key_rotates(cdk_templates):
    for t in cdk_templates.values():
        t.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
