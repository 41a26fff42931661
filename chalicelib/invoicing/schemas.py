"""Request bodies of invoicing's routes (ours: JFW has no way to pay an invoice, nor renewal
settings). Unknown fields are ignored."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.http.schemas import Body, Url
from chalicelib.invoicing.constants import MAX_RENEWAL_DAYS

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
Days = Annotated[int, Field(ge=1, le=MAX_RENEWAL_DAYS)]


class InvoiceCheckoutBody(Body):
    """``POST v1/invoices/{id}/checkout``: ``appIntegrationId`` a gateway (default the brand's);
    ``walletId`` a wallet of yours pays all of it instead."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {}, {"appIntegrationId": "stripe"}, {"walletId": "Wk3Jd8a0qLm2Zx"}]})

    appIntegrationId: Id | None = None
    walletId: Id | None = None
    returnURL: Url | None = None
    cancelURL: Url | None = None


class RenewalSettingsBody(Body):
    """``PUT v1/invoices/settings`` (constants.DEFAULT_SETTINGS)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"invoiceRenewalDays": 7, "invoiceReminderDays": [3, 1]}]})

    invoiceRenewalDays: Days | None = None
    invoiceReminderDays: Annotated[list[Days], Field(max_length=10)] | None = None
