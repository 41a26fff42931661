"""A gateway's secrets at rest: ``privateKey`` and ``webhookSecret`` sealed with store/secrets.py,
each under its own context (``gateway:<id>:privateKey`` / ``gateway:<id>:webhookSecret``), and
opened only where a checkout, a refund or a notification needs them."""

from __future__ import annotations

import json

from chalicelib.store import secrets


def contexts(gateway_id: str) -> tuple[str, str]:
    return f"gateway:{gateway_id}:privateKey", f"gateway:{gateway_id}:webhookSecret"


def open_secrets(gateway_id: str, private_key: str | None, webhook_secrets: str | None
                 ) -> tuple[str | None, list[str]]:
    """``(secret key, webhook secrets)``, decrypted."""
    pk_ctx, wh_ctx = contexts(gateway_id)
    key = secrets.decrypt(private_key, pk_ctx) if private_key else None
    hooks = json.loads(secrets.decrypt(webhook_secrets, wh_ctx)) if webhook_secrets else []
    return key, hooks
