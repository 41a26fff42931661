"""Request body of a brand's payment gateway (JFW v6.9.3 §13 plus what verification needs).

Unknown fields are ignored; ``ipnListenerLink`` is accepted whatever it holds (JFW's SDK sends
``""``) and ignored: the server fills it. An empty ``cancelLinkWithoutLogin`` is no link."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib.http.schemas import Body, Name, Text, Url

Key = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
OptionalUrl = Annotated[Url | None, BeforeValidator(lambda v: None if v == "" else v)]
IntegrationId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class GatewayBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"appIntegrationId": "stripe", "name": "Stripe", "returnLink": "https://example.com/ok",
         "cancelLink": "https://example.com/cancel", "publicKey": "pk_test_123",
         "privateKey": "sk_test_123", "webhookSecret": "whsec_123", "testMode": True},
        {"appIntegrationId": "paypal", "name": "PayPal", "returnLink": "https://example.com/ok",
         "cancelLink": "https://example.com/cancel", "paypalReceiverEmail": "seller@example.com",
         "paypalMode": "sandbox", "testMode": True, "isDefault": False, "status": "Active"},
    ]})

    appIntegrationId: IntegrationId
    name: Name
    ipnListenerLink: Annotated[str, StringConstraints(max_length=2000)] | None = None
    cancelLinkWithoutLogin: OptionalUrl = None
    cancelLink: Url
    returnLink: Url
    publicKey: Key | None = None
    privateKey: Key | None = None
    description: Text | None = None
    notes: Text | None = None
    testMode: bool | None = None
    isDefault: bool | None = None
    status: Literal["Inactive", "Active"] | None = None
    # Stripe: the webhook endpoint's signing secret, or several while one is being rolled.
    webhookSecret: Key | Annotated[list[Key], Field(min_length=1, max_length=5)] | None = None
    # PayPal: the account IPN messages must name, and where to verify them.
    # Not EmailStr: PayPal's sandbox and the local simulator use addresses such as
    # seller@jfw.localhost, which e-mail validation refuses.
    paypalReceiverEmail: Annotated[str, StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    paypalReceiverId: Annotated[str, StringConstraints(strip_whitespace=True,
                                                       max_length=64)] | None = None
    paypalMode: Literal["live", "sandbox", "simulator"] | None = None
