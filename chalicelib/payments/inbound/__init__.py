"""Inbound: gateway notifications, from the raw request to the payment's change, in three steps.

routes.py/api.py (the webhook URLs and the notification log) -> receive.py (verify the bytes:
Stripe signature / PayPal postback; normalise them with gateways/stripe|paypal into one
``GatewayEvent``; replay a stored one) -> intake.py (apply the event to its payment: one read,
one transaction, one SQS send). notifications.py keeps the row of every notification received,
with its outcome (constants.OUTCOMES).
"""
