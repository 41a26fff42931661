"""A user's saved cards (ours; JFW has none): the cards they let us keep for renewals at a
consented checkout (``saveCardForRenewals``). Data only: see chalicelib/http/routing.py.

``v1/users/me/...`` is the caller's own: another user's card answers 404 like a missing one.
"""

from chalicelib.http.routing import Route

ROUTES = [
    Route("GET", "/api/v1/users/me/saved-cards", "chalicelib.payments.cards.api:list_saved_cards",
          "The caller's saved cards (brand, last 4 digits, expiry; never the number), newest "
          "first: the newest unexpired one pays renewals off-session",
          returns="array", tag="Saved cards"),
    Route("DELETE", "/api/v1/users/me/saved-cards/{id}",
          "chalicelib.payments.cards.api:delete_saved_card",
          "Forget one of the caller's saved cards (it is detached from its Stripe customer): "
          "renewals then ask for payment by mail",
          returns="boolean", tag="Saved cards"),
]
