"""Typed settings, read once from the environment, and the clock.

Everything that differs between the local stack, tests and AWS is here; nothing else reads
``os.environ``. Tests call ``reload()`` after changing the environment and ``set_clock()`` to move
time.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

# Stages that run on this machine (the local stack, the tests): development keys, dev-only
# routes, paths served with their /api prefix. Every other stage is deployed.
LOCAL_STAGES = ("local", "test")


# A NamedTuple, not a frozen dataclass: importing ``dataclasses`` (and ``inspect`` with it) is a
# measurable part of the Lambda cold start (bench/coldstart.py). Tests use ``_replace``.
class Settings(NamedTuple):
    stage: str
    region: str
    aws_endpoint_url: str | None
    # DynamoDB's own endpoint: the local stack serves it from DynamoDB Local, the rest from moto.
    dynamodb_endpoint_url: str | None
    table_prefix: str
    queue_prefix: str
    base_url: str
    mail_sender: str
    auth_key_ttl_hours: int
    reset_token_ttl_minutes: int
    login_max_failures: int
    login_failure_window_minutes: int
    reset_mail_max: int
    reset_mail_window_minutes: int
    validate_per_ip_per_minute: int
    validate_per_brand_per_minute: int
    argon2_time_cost: int
    argon2_memory_kib: int
    queue_visibility_seconds: int
    outbox_sweep_after_seconds: int
    stripe_api_base: str
    secrets_key: str | None  # base64 of 32 bytes (store/secrets.py)
    paypal_simulator_url: str | None
    bucket: str = ""  # the files bucket (package downloads): JFW_BUCKET
    secrets_kms_key_id: str | None = None  # KMS key for store/secrets.py v2 (id, ARN, alias)
    ledger_key: str | None = None  # base64 of 32 bytes: wallet ledger HMACs (wallet/chain.py)
    wallet_audit_days: int = 30  # every wallet's ledger is proven in full at least this often
    # SES feedback (notify/snsverify.py): the SNS topic SES publishes bounces and complaints to;
    # unset, POST v1/ses/notifications refuses every message.
    ses_feedback_topic_arn: str | None = None
    # Local and test stages only: SNS signing certificates may also come from this origin
    # (e.g. http://127.0.0.1:<port>), and then must be issued by this CA (PEM).
    sns_test_cert_origin: str | None = None
    # Where the stage's queues are (``https://sqs.<region>.<suffix>/<account>/``, the CDK stack
    # sets it): a queue's URL is this + its name, with no GetQueueUrl on a cold start; unset
    # (the local stack, tests), store/aws.py asks SQS.
    queue_url_prefix: str | None = None
    sns_test_ca_pem: str | None = None
    # The SES configuration set mails are sent with (its event destination is that topic).
    ses_configuration_set: str | None = None

    @property
    def is_local(self) -> bool:
        return self.stage in LOCAL_STAGES

    def table_name(self, logical: str) -> str:
        return f"{self.table_prefix}{logical}"

    def queue_name(self, logical: str) -> str:
        return f"{self.queue_prefix}{logical}"

    def bucket_name(self, logical: str) -> str:
        """Physical name of a bucket in store/schema.py BUCKETS ("files" is JFW_BUCKET)."""
        return self.bucket if logical == "files" else f"{self.table_prefix}{logical}"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _load() -> Settings:
    stage = os.environ.get("JFW_STAGE", "local")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_endpoint_url=os.environ.get("JFW_AWS_ENDPOINT_URL") or None,
        dynamodb_endpoint_url=(os.environ.get("JFW_DYNAMODB_ENDPOINT_URL")
                               or os.environ.get("JFW_AWS_ENDPOINT_URL") or None),
        table_prefix=os.environ.get("JFW_TABLE_PREFIX", f"jfw-{stage}-"),
        queue_prefix=os.environ.get("JFW_QUEUE_PREFIX", f"jfw-{stage}-"),
        queue_url_prefix=os.environ.get("JFW_QUEUE_URL_PREFIX") or None,
        base_url=os.environ.get("JFW_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        mail_sender=os.environ.get("JFW_MAIL_SENDER", "no-reply@jfw.localhost"),
        auth_key_ttl_hours=_int("JFW_AUTH_KEY_TTL_HOURS", 24 * 7),
        reset_token_ttl_minutes=_int("JFW_RESET_TOKEN_TTL_MINUTES", 60),
        login_max_failures=_int("JFW_LOGIN_MAX_FAILURES", 10),
        login_failure_window_minutes=_int("JFW_LOGIN_FAILURE_WINDOW_MINUTES", 15),
        reset_mail_max=_int("JFW_RESET_MAIL_MAX", 5),
        reset_mail_window_minutes=_int("JFW_RESET_MAIL_WINDOW_MINUTES", 60),
        # Anonymous POST v1/licenses/validate: per (brand, source IP), and per brand in all.
        validate_per_ip_per_minute=_int("JFW_VALIDATE_PER_IP_PER_MINUTE", 60),
        validate_per_brand_per_minute=_int("JFW_VALIDATE_PER_BRAND_PER_MINUTE", 6000),
        # OWASP's argon2id minimum is m=19 MiB, t=2; tests lower it through the environment.
        argon2_time_cost=_int("JFW_ARGON2_TIME_COST", 2),
        argon2_memory_kib=_int("JFW_ARGON2_MEMORY_KIB", 19 * 1024),
        queue_visibility_seconds=_int("JFW_QUEUE_VISIBILITY_SECONDS", 60),
        outbox_sweep_after_seconds=_int("JFW_OUTBOX_SWEEP_AFTER_SECONDS", 300),
        stripe_api_base=os.environ.get("JFW_STRIPE_API_BASE", "https://api.stripe.com"),
        secrets_key=os.environ.get("JFW_SECRETS_KEY") or None,
        paypal_simulator_url=os.environ.get("JFW_PAYPAL_SIMULATOR_URL") or None,
        bucket=os.environ.get("JFW_BUCKET") or f"jfw-{stage}-files",
        secrets_kms_key_id=os.environ.get("JFW_SECRETS_KMS_KEY_ID") or None,
        ledger_key=os.environ.get("JFW_LEDGER_KEY") or None,
        wallet_audit_days=_int("JFW_WALLET_AUDIT_DAYS", 30),
        ses_feedback_topic_arn=os.environ.get("JFW_SES_FEEDBACK_TOPIC_ARN") or None,
        sns_test_cert_origin=os.environ.get("JFW_SNS_TEST_CERT_ORIGIN") or None,
        sns_test_ca_pem=os.environ.get("JFW_SNS_TEST_CA_PEM") or None,
        ses_configuration_set=os.environ.get("JFW_SES_CONFIGURATION_SET") or None,
    )



def int_in(value: Any, low: int, high: int) -> int | None:
    """A brand setting's whole number within [low, high] ("7" or 7, not 7.5 or " 7x"), else
    None: the caller falls back to its default."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high and str(value).strip() == str(number) else None

_settings: Settings | None = None


def get() -> Settings:
    global _settings
    if _settings is None:
        _settings = _load()
    return _settings


def reload() -> Settings:
    global _settings
    _settings = _load()
    shared = os.environ.get("JFW_DEV_CLOCK_FILE")
    if shared:
        share_clock(shared)
    return _settings


def _system_now() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = _system_now
_shared_offset: Any = None  # the local stack's mapped clock file (share_clock)
_OFFSET = struct.Struct("<q")  # microseconds


def now() -> datetime:
    """The current UTC time; every rule that depends on time asks here."""
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Tests: any clock. Local stack (shared clock): the offset of ``clock`` from the system's,
    for every process of the stack at once."""
    global _clock
    if _shared_offset is None:
        _clock = clock or _system_now
        return
    offset = 0 if clock is None else (clock() - _system_now()) // timedelta(microseconds=1)
    _OFFSET.pack_into(_shared_offset, 0, offset)


def _shared_now() -> datetime:
    return _system_now() + timedelta(microseconds=_OFFSET.unpack_from(_shared_offset, 0)[0])


def share_clock(path: str) -> None:
    """The local stack's processes (its API processes, queue workers and timer) keep one dev
    clock: its offset lives in 8 bytes of ``path``, mapped by each of them, so ``v1/dev/clock``
    served by one API process moves them all at once. The stack creates the file (zero)."""
    global _shared_offset, _clock
    if _shared_offset is not None:
        return
    with open(path, "r+b") as f:
        _shared_offset = mmap.mmap(f.fileno(), _OFFSET.size)
    _clock = _shared_now
