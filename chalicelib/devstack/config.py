"""The local stack's own knobs (ports, seeded admin, timer speed), read from the environment.

They are read here, not in chalicelib/settings.py, because the launcher needs them before the
app's settings exist: the AWS endpoint the app will use is built from ``MOTO_PORT``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"

DEFAULT_ADMIN_USERNAME = "admin"
# A local-only default that passes the Medium password policy; printed at start.
DEFAULT_ADMIN_PASSWORD = "Admin-Passw0rd"

ENV_HELP = """\
environment:
  PORT                        API port (default 8000)
  DYNAMODB_PORT               DynamoDB Local port (default 5056)
  MOTO_PORT                   moto server port: SQS, SES, SNS, S3 (default 5055)
  LOCALSTRIPE_PORT            localstripe port (default 8420)
  JFW_ADMIN_USERNAME          seeded SuperAdmin username (default admin)
  JFW_ADMIN_PASSWORD          seeded SuperAdmin password (default Admin-Passw0rd)
  JFW_TIMER_INTERVAL_SECONDS  run every schedule this often instead of its rate
  JFW_WORKERS_PER_QUEUE       batches consumed at once from each queue (default 2)
  JFW_API_PROCESSES           API processes sharing the API port (default 2)
  JFW_TIMER_SPEEDUP           divide every schedule's rate by this (default 1)
  JFW_DEVSTACK_DIR            where the stack's processes write their logs (default .devstack/)
  JFW_DATA_DIR                what persists between runs: DynamoDB Local's database and S3's
                              files (default <JFW_DEVSTACK_DIR>/data/; --fresh empties it)
  JFW_DYNAMODB_JAVA_OPTS      DynamoDB Local's JVM options (default -Xmx512m -XX:+UseSerialGC)
"""


class ConfigError(ValueError):
    """A bad value in the environment, said so a person can fix it."""


@dataclass(frozen=True)
class DevConfig:
    api_port: int
    dynamodb_port: int
    moto_port: int
    stripe_port: int
    admin_username: str
    admin_password: str
    admin_password_is_default: bool
    log_dir: Path
    data_dir: Path
    timer_interval_seconds: float | None
    timer_speedup: float
    workers_per_queue: int = 2
    api_processes: int = 2
    host: str = HOST
    fresh: bool = False  # --fresh: start with no data (FRESH=1 of make run)
    dynamodb: str = "local"  # --dynamodb: "local" (DynamoDB Local) or "moto" (bench/stack.py)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def dynamodb_url(self) -> str:
        if self.dynamodb == "moto":
            return self.moto_url
        return f"http://{self.host}:{self.dynamodb_port}"

    @property
    def moto_url(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    @property
    def stripe_url(self) -> str:
        return f"http://{self.host}:{self.stripe_port}"

    def schedule_interval(self, rate_minutes: int) -> float:
        if self.timer_interval_seconds is not None:
            return self.timer_interval_seconds
        return rate_minutes * 60 / self.timer_speedup

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DevConfig:
        env = os.environ if env is None else env
        password = env.get("JFW_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
        interval = _number(env, "JFW_TIMER_INTERVAL_SECONDS", None)
        log_dir = Path(env.get("JFW_DEVSTACK_DIR") or ROOT / ".devstack")
        return cls(
            api_port=_port(env, "PORT", 8000),
            dynamodb_port=_port(env, "DYNAMODB_PORT", 5056),
            moto_port=_port(env, "MOTO_PORT", 5055),
            stripe_port=_port(env, "LOCALSTRIPE_PORT", 8420),
            admin_username=env.get("JFW_ADMIN_USERNAME") or DEFAULT_ADMIN_USERNAME,
            admin_password=password,
            admin_password_is_default=password == DEFAULT_ADMIN_PASSWORD,
            log_dir=log_dir,
            data_dir=Path(env.get("JFW_DATA_DIR") or log_dir / "data"),
            timer_interval_seconds=interval,
            timer_speedup=_number(env, "JFW_TIMER_SPEEDUP", 1.0) or 1.0,
            workers_per_queue=int(_number(env, "JFW_WORKERS_PER_QUEUE", 2) or 2),
            api_processes=max(1, int(_number(env, "JFW_API_PROCESSES", 2) or 2)),
        )


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{name} must be a TCP port number (1-65535); got '{raw}'.")
    return int(raw)


def _number(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number; got '{raw}'.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive number; got '{raw}'.")
    return value
