"""Gateways: verify a gateway's notification and normalise it into one ``GatewayEvent``.

Pure modules with no dependency on the rest of payments. Import the one you need
(``gateways.stripe``, ``gateways.paypal``); this package imports nothing, to keep cold starts
cheap.
"""
