"""Payment gateway routes (JFW v6.9.3 §13). Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import Q, Route

ROUTES = [
    Route("GET", "/api/v1/app-integrations", "chalicelib.payments.gateways.api:list_integrations",
          "The integrations this server speaks (Stripe and PayPal, type PaymentGateway)",
          auth="optional", returns="array", tag="Payment gateways", query=(
              Q("type", enum=("Analytics", "Authenticate", "CDN", "PaymentGateway",
                              "PushNotification", "ReCaptcha", "SMS", "SMTP")),
              Q("status", enum=("Inactive", "Active")), Q("keywords"))),
    Route("GET", "/api/v1/app-integrations/payment-gateway",
          "chalicelib.payments.gateways.api:list_gateways",
          "The brand's payment gateways (secrets masked)", permission="GATEWAY.READ",
          returns="array", tag="Payment gateways"),
    Route("GET", "/api/v1/app-integrations/payment-gateway/{id}",
          "chalicelib.payments.gateways.api:get_gateway", "A payment gateway (secrets masked)",
          permission="GATEWAY.READ", tag="Payment gateways"),
    Route("POST", "/api/v1/app-integrations/payment-gateway",
          "chalicelib.payments.gateways.api:create_gateway",
          "Add a Stripe or PayPal gateway (secrets encrypted at rest; ipnListenerLink is set by "
          "the server; the first Active gateway becomes the default)",
          permission="GATEWAY.CREATE", body="chalicelib.payments.gateways.schemas:GatewayBody",
          tag="Payment gateways"),
    Route("PUT", "/api/v1/app-integrations/payment-gateway/{id}",
          "chalicelib.payments.gateways.api:update_gateway",
          "Change a gateway (a secret left out, null or sent back masked keeps its value)",
          permission="GATEWAY.UPDATE", body="chalicelib.payments.gateways.schemas:GatewayBody",
          tag="Payment gateways"),
    Route("DELETE", "/api/v1/app-integrations/payment-gateway/{id}",
          "chalicelib.payments.gateways.api:delete_gateway",
          "Remove a gateway (soft: notifications about its payments still verify)",
          permission="GATEWAY.DELETE", returns="boolean", tag="Payment gateways"),
]
