"""The app's IAM policy, least privilege: this stage's tables and their indexes, queues, files
bucket and secrets key, SES sending as the configured identities, its own log groups. It replaces
the policy Chalice generates (which grants SQS on ``*``).

Every action below is one the code makes (PynamoDB: DescribeTable on first use of a table, the
item calls and batch calls, ConditionCheckItem inside transactions; the outbox: SendMessage(Batch)
after GetQueueUrl; Lambda's SQS poller: Receive/Delete/ChangeMessageVisibility/GetQueueAttributes;
downloads: Head/Get/PutObject, presigned URLs included; secrets: KMS envelope encryption; brand
settings: whether a brand's ``systemEmail`` is a verified SES identity, an action that has no
resource-level permission; texts: SNS Publish to phone numbers, never to a topic).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws

from chalicelib.store import schema
from infra.config import StageConfig
from infra.data import Data

DYNAMODB_ITEM_ACTIONS = [
    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
    "dynamodb:Query", "dynamodb:UpdateItem",
]
DYNAMODB_INDEX_ACTIONS = ["dynamodb:Query"]
SQS_ACTIONS = [
    "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage",
]
S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject"]
S3_BUCKET_ACTIONS = ["s3:ListBucket"]  # so a missing object answers 404, not 403
KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]
SES_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
SES_READ_ACTIONS = ["ses:GetIdentityVerificationAttributes"]
LOGS_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
# Text messages (notify/texter.py): SNS Publish straight to a phone number, which has no
# resource ARN, so the Allow names ``*`` and a Deny keeps every topic out of it.
SMS_ACTIONS = ["sns:Publish"]


def sns_topics_arn() -> str:
    return f"arn:{Aws.PARTITION}:sns:*:*:*"


def ses_identity_arn(identity: str) -> str:
    return f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{identity}"


def app_policy_document(cfg: StageConfig, data: Data, log_group_arns: list[str],
                        mail_configuration_sets: list[str] | None = None) -> dict[str, Any]:
    """The app's one policy; ``mail_configuration_sets``: SES configuration sets it sends with
    (SES checks SendEmail against the set as well as the identity)."""
    tables = [data.tables[t.name] for t in schema.TABLES]
    index_arns = [f"{data.tables[t.name].table_arn}/index/{i.name}"
                  for t in schema.TABLES for i in t.indexes]

    def allow(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}

    statements = [
        allow("Tables", DYNAMODB_ITEM_ACTIONS, [t.table_arn for t in tables]),
        allow("Queues", SQS_ACTIONS, [p.queue.queue_arn for p in data.queues.values()]),
        allow("FilesObjects", S3_OBJECT_ACTIONS, [data.files.arn_for_objects("*")]),
        allow("FilesBucket", S3_BUCKET_ACTIONS, [data.files.bucket_arn]),
        allow("SecretsKey", KMS_ACTIONS, [data.secrets_key.key_arn]),
        allow("SendMail", SES_ACTIONS, [ses_identity_arn(i) for i in cfg.sender_identities()]
              + list(mail_configuration_sets or [])),
        allow("CheckSenders", SES_READ_ACTIONS, ["*"]),
        allow("Logs", LOGS_ACTIONS, log_group_arns),
    ]
    statements += [allow("SendTexts", SMS_ACTIONS, ["*"]),
                   {"Sid": "NoTopicPublish", "Effect": "Deny", "Action": SMS_ACTIONS,
                    "Resource": [sns_topics_arn()]}]
    if index_arns:
        statements.insert(1, allow("TableIndexes", DYNAMODB_INDEX_ACTIONS, index_arns))
    return {"Version": "2012-10-17", "Statement": statements}
