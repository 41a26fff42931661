"""Checkout: the one checkout sequence (start.py: buyer, black list, gateway, what is bought, risk,
the gateway's link, the payment), the hosted checkout page (page.py) and the brand's black list
(blacklist.py: checked at every checkout; its CRUD routes are here too)."""
