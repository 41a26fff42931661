"""Payments: payments, their status machine and history, checkout, gateways, gateway notifications.

Other contexts import only ``service.py`` (``from chalicelib.payments import service as
payments``). Inside:
- service.py: the front door; ledger.py: the payment rows and THE writer of every change;
  states.py: the status machine; models.py: every item of the context (access patterns on top);
  constants.py: the enumerations; records.py: lists, detail (the dashboard's figures are the
  reports context's counters); review.py: an admin's
  approve / refund of a held payment; risk.py (checkout/risk.py: the checkout's signals);
  effects.py: what a change causes (outbox rows), kinds.py: what the consumer does with them;
  commission.py; janitor.py and jobs.py (scheduled and queue entry points);
  routes.py / api.py / schemas.py: payments, review, commission rates, constants.
- inbound/: gateway notifications (webhooks -> receive -> intake) and their log.
- checkout/: the one checkout sequence, the hosted page, the black list.
- gateways/: a brand's gateways (config, secrets, choice, the webhook's view) and the Stripe /
  PayPal adapters.
"""
