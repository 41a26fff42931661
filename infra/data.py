"""The stage's data: tables, queues with their dead-letter queues, the files bucket, the secrets
key. Everything is read from chalicelib/store/schema.py, the list the local stack and tests
create from too (tests/infra/test_no_drift.py holds the two together)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.store import schema
from infra.config import StageConfig

# A consumer may run for its whole Lambda timeout, and SQS redelivers a message whose visibility
# timeout ran out while it was still being processed: AWS asks for at least 6x the timeout.
VISIBILITY_PER_CONSUMER_TIMEOUT = 6
DLQ_RETENTION = Duration.days(14)


@dataclass
class QueuePair:
    queue: sqs.Queue
    dlq: sqs.Queue
    visibility_seconds: int


@dataclass
class Data:
    tables: dict[str, dynamodb.Table]
    queues: dict[str, QueuePair]
    files: s3.Bucket
    secrets_key: kms.Key


def _attr(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def make_tables(scope: Construct, cfg: StageConfig) -> dict[str, dynamodb.Table]:
    removal = RemovalPolicy.RETAIN if cfg.protected else RemovalPolicy.DESTROY
    tables = {}
    for t in schema.TABLES:
        table = dynamodb.Table(
            scope, f"Table-{t.name}",
            table_name=f"{cfg.prefix}{t.name}",
            partition_key=_attr(t.hash_key),
            sort_key=_attr(t.range_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=t.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=cfg.protected,
            removal_policy=removal,
        )
        for index in t.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attr(index.hash_key),
                sort_key=_attr(index.range_key),
                projection_type=(dynamodb.ProjectionType.ALL if index.include is None
                                 else dynamodb.ProjectionType.INCLUDE),
                non_key_attributes=list(index.include) if index.include else None,
            )
        tables[t.name] = table
    return tables


def make_queues(scope: Construct, cfg: StageConfig,
                consumer_timeouts: dict[str, int]) -> dict[str, QueuePair]:
    """Every queue with its DLQ; ``consumer_timeouts``: queue -> its Lambda consumer's timeout."""
    removal = RemovalPolicy.RETAIN if cfg.protected else RemovalPolicy.DESTROY
    queues = {}
    for q in schema.QUEUES:
        if q.name not in consumer_timeouts:
            raise ValueError(f"queue {q.name!r} has no Lambda consumer in the Chalice package "
                             "(chalicelib/events.py registers one per schema.QUEUES entry)")
        dlq = sqs.Queue(
            scope, f"Dlq-{q.name}",
            queue_name=f"{cfg.prefix}{q.dlq_name}",
            retention_period=DLQ_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            removal_policy=removal,
        )
        visibility = VISIBILITY_PER_CONSUMER_TIMEOUT * consumer_timeouts[q.name]
        queue = sqs.Queue(
            scope, f"Queue-{q.name}",
            queue_name=f"{cfg.prefix}{q.name}",
            visibility_timeout=Duration.seconds(visibility),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=q.max_receives, queue=dlq),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            removal_policy=removal,
        )
        queues[q.name] = QueuePair(queue, dlq, visibility)
    return queues


def make_files_bucket(scope: Construct, cfg: StageConfig) -> s3.Bucket:
    """Package files sold as downloads. Kept when the stack goes (paid links point into it)."""
    (logical,) = schema.BUCKETS  # one bucket today; a second needs its own env var (settings)
    name = cfg.bucket_name or f"{cfg.prefix}{logical}-{Aws.ACCOUNT_ID}-{Aws.REGION}"
    return s3.Bucket(
        scope, f"Bucket-{logical}",
        bucket_name=name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=cfg.protected,
        # Presigned PUT uploads (licensing/downloads.py) come from a brand's admin page in a
        # browser; the URL itself is the credential.
        cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET],
                          allowed_origins=["*"], allowed_headers=["*"], max_age=3000)],
        removal_policy=RemovalPolicy.RETAIN,
    )


def make_secrets_key(scope: Construct, cfg: StageConfig) -> kms.Key:
    """Encrypts gateway secrets (store/secrets.py). Losing it loses every stored gateway key, so
    production keeps it whatever happens to the stack."""
    return kms.Key(
        scope, "SecretsKey",
        alias=f"alias/{cfg.prefix}secrets",
        description=f"JFW Billing {cfg.stage}: encrypts payment gateway secrets at rest",
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN if cfg.protected else RemovalPolicy.DESTROY,
        pending_window=Duration.days(30 if cfg.protected else 7),
    )


def make_data(scope: Construct, cfg: StageConfig, consumer_timeouts: dict[str, int]) -> Data:
    return Data(
        tables=make_tables(scope, cfg),
        queues=make_queues(scope, cfg, consumer_timeouts),
        files=make_files_bucket(scope, cfg),
        secrets_key=make_secrets_key(scope, cfg),
    )
