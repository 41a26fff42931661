"""localstripe on one address only, state kept in memory, with the test-card rules Stripe has.

localstripe's own ``start()`` binds every interface (``::``) and pickles its state to
``/tmp/localstripe.pickle`` on every write; the local stack wants 127.0.0.1 only and a fresh
start each time, like its moto.

``extend`` adds, through localstripe's classes and its aiohttp app, what the hosted page's
Stripe.js stand-in (chalicelib/static/stripe-local.js) needs and localstripe lacks:
- the two calls Stripe.js makes with the publishable key: ``POST /v1/payment_methods`` and
  ``POST /v1/payment_intents/<id>/confirm`` with the intent's ``client_secret`` and a
  ``payment_method`` (localstripe takes neither with a ``pk_`` key, nor a ``payment_method`` on
  confirm); a confirm after a declined card is a new attempt, as at Stripe;
- Stripe's charge-time declines: 4000 0000 0000 0002 (``generic_decline``) and
  4000 0000 0000 9995 (``insufficient_funds``) are declined when charged (localstripe declines
  them only when attached to a customer), with ``decline_code``, Stripe's messages and the
  ``card_error`` type;
- a failed 3-D Secure step sends ``payment_intent.payment_failed`` with Stripe's
  ``payment_intent_authentication_failure`` (localstripe sends nothing);
- ``setup_future_usage`` on a PaymentIntent (localstripe refuses it): on success the card is
  attached to the intent's customer, as Stripe does.
"""

from __future__ import annotations

import argparse
import logging
import re
from typing import Any

DECLINES = {"4000000000000002": ("generic_decline", "Your card was declined."),
            "4000000000009995": ("insufficient_funds", "Your card has insufficient funds.")}
AUTHENTICATION_FAILED = ("We are unable to authenticate your payment method. Please choose a "
                         "different payment method and try again.")
_BROWSER_CALL = re.compile(r"^/v1/(?:payment_methods|payment_intents/(pi_\w+)/confirm)$")
_AUTHENTICATE = re.compile(r"^/v1/payment_intents/(pi_\w+)/_authenticate$")


def extend() -> None:
    """Patch localstripe's classes and app (module doc); call once, before the app starts."""
    from aiohttp import web  # a dev-only tool's dependency, loaded when the stack starts it
    from localstripe import resources as r  # a dev-only tool, loaded when the stack starts it
    from localstripe import server  # a dev-only tool, loaded when the stack starts it
    from localstripe.errors import UserError, json_response  # the same dev-only tool

    charging_is_declined = r.PaymentMethod._charging_is_declined

    def _charging_is_declined(self: Any) -> bool:
        return charging_is_declined(self) or (
            self.type == "card" and self._card_number in DECLINES)

    r.PaymentMethod._charging_is_declined = _charging_is_declined

    set_auth_failure = r.Charge._set_auth_failure

    def _set_auth_failure(self: Any) -> None:
        set_auth_failure(self)
        pm = r.PaymentMethod._api_retrieve(self.payment_method)
        code, message = DECLINES.get(getattr(pm, "_card_number", ""),
                                     ("generic_decline", self.failure_message))
        self.failure_message, self._decline_code = message, code

    def _raise_failure(self: Any) -> None:
        error = UserError(402, self.failure_message, {
            "code": self.failure_code, "charge": self.id,
            "decline_code": getattr(self, "_decline_code", "generic_decline")})
        error.body["error"]["type"] = "card_error"
        raise error

    r.Charge._set_auth_failure = _set_auth_failure
    r.Charge._raise_failure = _raise_failure

    last_payment_error = r.PaymentIntent.last_payment_error.fget

    def _last_payment_error(self: Any) -> dict | None:
        error = last_payment_error(self)
        if error is None:
            return None
        if self._authentication_failed:
            return {**error, "type": "invalid_request_error", "message": AUTHENTICATION_FAILED}
        return {**error, "type": "card_error", "decline_code": getattr(
            self.latest_charge, "_decline_code", "generic_decline")}

    r.PaymentIntent.last_payment_error = property(_last_payment_error)

    init, on_success = r.PaymentIntent.__init__, r.PaymentIntent._on_success

    def _init(self: Any, setup_future_usage: str | None = None, **data: Any) -> None:
        if setup_future_usage not in (None, "off_session", "on_session"):
            raise UserError(400, "Bad request")
        init(self, **data)
        self.setup_future_usage = setup_future_usage

    def _on_success(self: Any) -> None:
        if getattr(self, "setup_future_usage", None) and self.customer:
            pm = r.PaymentMethod._api_retrieve(self.payment_method)
            if pm.customer is None:
                pm.customer = self.customer
        on_success(self)

    r.PaymentIntent.__init__ = _init
    r.PaymentIntent._on_success = _on_success

    def confirm(id: str, client_secret: Any = None, payment_method: Any = None,  # noqa: A002
                **extra: Any) -> Any:
        if extra:
            raise UserError(400, "Unexpected " + ", ".join(extra))
        pi = r.PaymentIntent._api_retrieve(id)
        if client_secret != pi.client_secret:
            raise UserError(401, "Unauthorized")
        if not (isinstance(payment_method, str) and payment_method.startswith("pm_")):
            raise UserError(400, "Bad request")
        r.PaymentMethod._api_retrieve(payment_method)
        if pi.status not in ("requires_payment_method", "requires_confirmation"):
            raise UserError(400, f"This PaymentIntent's status is {pi.status}; it can't be "
                            "confirmed.", {"code": "payment_intent_unexpected_state"})
        pi.payment_method, pi.latest_charge = payment_method, None
        return r.PaymentIntent._api_confirm(id)

    @web.middleware
    async def browser_calls(request: Any, handler: Any) -> Any:
        if request.method != "POST":
            return await handler(request)
        call = _BROWSER_CALL.match(request.path)
        if call and server.get_api_key(request) is None:
            data = await server.get_post_data(request, remove_auth=False) or {}
            key = data.pop("key", None)
            if not (isinstance(key, str) and key.startswith("pk_")):
                raise UserError(401, "Unauthorized")
            data.pop("payment_user_agent", None)
            made = confirm(call.group(1), **data) if call.group(1) else \
                r.PaymentMethod._api_create(**data)
            return json_response(made._export())
        answer = await handler(request)
        authenticated = _AUTHENTICATE.match(request.path)
        if authenticated and answer.status == 200:
            pi = r.PaymentIntent._api_retrieve(authenticated.group(1))
            if pi._authentication_failed:
                r.schedule_webhook(r.Event("payment_intent.payment_failed", pi))
        return answer

    server.app.middlewares.insert(1, browser_calls)  # after error_middleware: UserError answers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args(argv)

    from aiohttp import web  # after the stack's environment
    from localstripe import server  # a dev-only tool, loaded when the stack starts it
    from localstripe.resources import store  # after the stack's environment

    store.dump_to_disk = lambda: None  # type: ignore[method-assign]
    extend()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    web.run_app(server.app, host=args.host, port=args.port,
                access_log=logging.getLogger("aiohttp.access"))


if __name__ == "__main__":
    main()
