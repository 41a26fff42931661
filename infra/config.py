"""What a deploy of one stage is made of: read from CDK context (``-c key=value``), checked.

Context keys (cdk.json holds the defaults):

- ``stage`` (``dev`` | ``prod`` | another stage of .chalice/config.json): every resource name
  carries it (``jfw-<stage>-...``); ``prod`` also gets deletion protection and RETAIN.
- ``mailSender``: the platform's sender address (JFW_MAIL_SENDER); the app may send as it (and
  as its domain) through SES. Required.
- ``mailIdentities``: more SES identities (domains or addresses, comma separated) the app may
  send as, e.g. brands' own ``systemEmail`` domains.
- ``createMailIdentity``: ``true`` creates the SES domain identity of ``mailSender`` (DKIM
  records come out as stack outputs). Leave it off when the domain is verified in SES already.
- ``alarmEmail``: subscribe this address to the alarm topic (optional).
- ``baseUrl``: the public base URL when a custom domain fronts the API (default: the API
  Gateway stage URL).
- ``stripeApiBase``, ``lambdaMemoryMb``, ``logRetentionDays``, ``api5xxRateThreshold``,
  ``bucketName`` (default ``jfw-<stage>-files-<account>-<region>``: bucket names are global).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import settings

ROOT = Path(__file__).resolve().parent.parent
PROTECTED_STAGES = ("prod",)
_STAGE = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_EMAIL = re.compile(r"^[^@\s<>]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                   2192, 2557, 2922, 3288, 3653)


class ConfigError(Exception):
    """A context value is missing or wrong; the message says which and how to set it."""


def chalice_stages() -> list[str]:
    """Stages .chalice/config.json declares that can be deployed (``local`` is the laptop)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return [s for s in config.get("stages", {}) if s not in settings.LOCAL_STAGES]


@dataclass(frozen=True)
class StageConfig:
    stage: str
    mail_sender: str
    mail_identities: tuple[str, ...] = ()
    create_mail_identity: bool = False
    alarm_email: str | None = None
    base_url: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    lambda_memory_mb: int = 512
    log_retention_days: int = 30
    api_5xx_rate_threshold: float = 0.05
    bucket_name: str | None = None

    @property
    def protected(self) -> bool:
        """Production data: deletion protection on, and nothing is deleted with the stack."""
        return self.stage in PROTECTED_STAGES

    @property
    def prefix(self) -> str:
        """Physical name prefix, the same formula as chalicelib.settings (JFW_TABLE_PREFIX)."""
        return f"jfw-{self.stage}-"

    @property
    def stack_name(self) -> str:
        return f"jfw-billing-{self.stage}"

    @property
    def mail_domain(self) -> str:
        return self.mail_sender.rsplit("@", 1)[1].lower()

    def sender_identities(self) -> list[str]:
        """SES identities the app sends as: the sender, its domain, and ``mailIdentities``."""
        names = [self.mail_sender, self.mail_domain, *self.mail_identities]
        return list(dict.fromkeys(n.strip() for n in names if n.strip()))


def _bool(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _number(ctx: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    raw = ctx.get(key)
    if raw in (None, ""):
        return default
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"context {key}={raw!r} is not a {kind.__name__}") from None


def from_context(ctx: dict[str, Any]) -> StageConfig:
    """Build the stage's config from a context mapping (``app.node.try_get_context`` values)."""
    stage = str(ctx.get("stage") or "").strip()
    stages = chalice_stages()
    if stage not in stages or not _STAGE.match(stage):
        raise ConfigError(f"unknown stage {stage!r}: pass -c stage=<one of {', '.join(stages)}> "
                          "(stages come from .chalice/config.json)")
    sender = str(ctx.get("mailSender") or "").strip()
    if not _EMAIL.match(sender):
        raise ConfigError(f"mailSender={sender!r} is not an e-mail address: pass "
                          "-c mailSender=no-reply@your-domain (make deploy takes "
                          "JFW_MAIL_SENDER=...); it must be verified in SES")
    identities = tuple(i.strip() for i in str(ctx.get("mailIdentities") or "").split(",")
                       if i.strip())
    alarm_email = str(ctx.get("alarmEmail") or "").strip() or None
    if alarm_email and not _EMAIL.match(alarm_email):
        raise ConfigError(f"alarmEmail={alarm_email!r} is not an e-mail address")
    base_url = str(ctx.get("baseUrl") or "").strip().rstrip("/") or None
    if base_url and not base_url.startswith("https://"):
        raise ConfigError(f"baseUrl={base_url!r} must start with https://")
    retention = _number(ctx, "logRetentionDays", int, 30)
    if retention not in _RETENTION_DAYS:
        raise ConfigError(f"logRetentionDays={retention} is not one CloudWatch Logs accepts: "
                          f"{_RETENTION_DAYS}")
    memory = _number(ctx, "lambdaMemoryMb", int, 512)
    if not 128 <= memory <= 10240:
        raise ConfigError(f"lambdaMemoryMb={memory} must be 128..10240")
    rate = _number(ctx, "api5xxRateThreshold", float, 0.05)
    if not 0 < rate < 1:
        raise ConfigError(f"api5xxRateThreshold={rate} must be a fraction, e.g. 0.05 for 5 %")
    return StageConfig(
        stage=stage,
        mail_sender=sender,
        mail_identities=identities,
        create_mail_identity=_bool(ctx.get("createMailIdentity", False)),
        alarm_email=alarm_email,
        base_url=base_url,
        stripe_api_base=str(ctx.get("stripeApiBase") or "https://api.stripe.com").rstrip("/"),
        lambda_memory_mb=memory,
        log_retention_days=retention,
        api_5xx_rate_threshold=rate,
        bucket_name=str(ctx.get("bucketName") or "").strip() or None,
    )
