"""Signed webhooks to brands (ours: JFW has none; designed in its style). Data only: see
chalicelib/http/routing.py."""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.webhooks.constants import DELIVERY_STATUSES, ENDPOINT_STATUSES

ROUTES = [
    Route("GET", "/api/v1/webhook-endpoints", "chalicelib.webhooks.api:list_endpoints",
          "The brand's webhook endpoints (secrets masked)", permission="WEBHOOK-ENDPOINT.READ",
          returns="page", tag="Webhooks",
          query=(*PAGING, Q("status", enum=ENDPOINT_STATUSES))),
    Route("POST", "/api/v1/webhook-endpoints", "chalicelib.webhooks.api:create_endpoint",
          "Add an endpoint: its events are POSTed there, signed (JFW-Signature); the answer "
          "holds its secret in full, the only time", permission="WEBHOOK-ENDPOINT.CREATE",
          body="chalicelib.webhooks.schemas:EndpointBody", tag="Webhooks", answers=(409,)),
    Route("GET", "/api/v1/webhook-endpoints/{id}", "chalicelib.webhooks.api:get_endpoint",
          "A webhook endpoint (secret masked)", permission="WEBHOOK-ENDPOINT.READ",
          tag="Webhooks"),
    Route("PUT", "/api/v1/webhook-endpoints/{id}", "chalicelib.webhooks.api:update_endpoint",
          "Change an endpoint's url, description, enabledEvents or status (fields sent only)",
          permission="WEBHOOK-ENDPOINT.UPDATE",
          body="chalicelib.webhooks.schemas:EndpointUpdateBody", tag="Webhooks",
          answers=(409,)),
    Route("DELETE", "/api/v1/webhook-endpoints/{id}", "chalicelib.webhooks.api:delete_endpoint",
          "Delete an endpoint (its deliveries' log expires after 30 days)",
          permission="WEBHOOK-ENDPOINT.DELETE", returns="boolean", tag="Webhooks",
          answers=(409,)),
    Route("POST", "/api/v1/webhook-endpoints/{id}/roll-secret",
          "chalicelib.webhooks.api:roll_secret",
          "A new signing secret, shown in full once; the previous one stays valid 24 hours "
          "(deliveries carry both signatures meanwhile)",
          permission="WEBHOOK-ENDPOINT.UPDATE", tag="Webhooks", answers=(409,)),
    Route("POST", "/api/v1/webhook-endpoints/{id}/test", "chalicelib.webhooks.api:test_endpoint",
          "Send a WEBHOOK.ENDPOINT.PING event to the endpoint now (once, no retries); the "
          "answer is the delivery with its attempt", permission="WEBHOOK-ENDPOINT.UPDATE",
          tag="Webhooks"),
    Route("GET", "/api/v1/webhook-endpoints/{id}/deliveries",
          "chalicelib.webhooks.api:list_deliveries",
          "The endpoint's deliveries (last 30 days) with their attempts: status code, the "
          "first 1 kB of the answer, duration", permission="WEBHOOK-ENDPOINT.READ",
          returns="page", tag="Webhooks",
          query=(*PAGING, Q("status", enum=DELIVERY_STATUSES),
                 Q("event", description="An event code, e.g. PAYMENT.PROCESSED.SUCCESS."))),
    Route("GET", "/api/v1/webhook-endpoints/{id}/deliveries/{deliveryId}",
          "chalicelib.webhooks.api:get_delivery",
          "One delivery with its attempts", permission="WEBHOOK-ENDPOINT.READ",
          tag="Webhooks"),
    Route("POST", "/api/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/resend",
          "chalicelib.webhooks.api:resend_delivery",
          "Send the delivery again now (same JFW-Delivery-Id and body, signed now)",
          permission="WEBHOOK-ENDPOINT.UPDATE", tag="Webhooks", answers=(409,)),
]
