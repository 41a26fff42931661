"""A brand's payment gateways, and the gateways themselves.

- config.py: the brand's gateways (JFW's IAppIntegrationPaymentGateway): CRUD, DTO, rules;
  sealed.py: their secrets at rest; webhook.py: what a notification (or the janitor, a refund)
  needs of a gateway by its id alone, cached; choice.py: which gateway a checkout uses.
- routes.py, api.py, schemas.py: ``v1/app-integrations``.
- events.py, stripe.py, paypal.py: verify a gateway's notification and normalise it into one
  ``GatewayEvent``; pure modules with no dependency on the rest of payments.
This package's ``__init__`` imports nothing, to keep cold starts cheap.
"""
