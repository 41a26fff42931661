"""Password guessing: one throttle for login and change-password (README, "Sign-in throttling").

Nobody is ever locked out by someone else's wrong passwords for long; guesses are slowed down.
Three counters (``ratelimit.py``), read in one BatchGetItem before a password is verified and
counted when it is wrong:

1. client + account: 10 wrong passwords for one account from one client (source IP) in 15
   minutes (``JFW_LOGIN_MAX_FAILURES``, ``JFW_LOGIN_FAILURE_WINDOW_MINUTES``), and that client
   waits until the 15 minutes are over before trying that account again. The account is the
   same whether the login names its username or its e-mail.
2. account, from every client together, in windows of the same 15 minutes: the first 20 wrong
   passwords cost nothing; each one after makes every client wait 2^(n-20) seconds (2 s, 4 s,
   ...) before the next try, until the window ends. One client alone never gets there: any 15
   minutes overlap at most two of its own windows of rule 1, so at most 20 of its failures. It
   takes several clients to slow the account's owner down, and then by a delay that ends.
3. client: 50 wrong passwords in 15 minutes from one source IP, over any accounts and names,
   and that client waits until the 15 minutes are over before any login: one client can't spray
   many accounts, nor feed rule 2 for many victims.

A login name that matches no account is counted like an account (by the name), so the answers
are the same whether it exists or not. A right password clears counters 1 and 2 of the account.
The source IP is API Gateway's (``requestContext.identity.sourceIp``), never a header.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib import settings
from chalicelib.identity import ratelimit

PAIR, ACCOUNT, CLIENT = "PWFAIL-PAIR", "PWFAIL-ACCOUNT", "PWFAIL-CLIENT"

CLIENT_WINDOW = timedelta(minutes=15)
CLIENT_MAX = 50

MESSAGE = "Too many wrong passwords"
CODE = "LOGIN_THROTTLED"


def _window() -> timedelta:
    return timedelta(minutes=settings.get().login_failure_window_minutes)


def _pair_max() -> int:
    return settings.get().login_max_failures


class Guard:
    """The counters of one password check: ``check()`` first, then ``failed()`` or
    ``succeeded()``."""

    def __init__(self, brand_id: str, account: str, client_ip: str | None) -> None:
        self.brand_id = brand_id
        client = (client_ip or "unknown").strip()
        self.keys = {PAIR: f"{account}|{client}", ACCOUNT: account, CLIENT: client}
        self.records: dict = {}

    def check(self) -> None:
        """429 LOGIN_THROTTLED (with Retry-After) when this try must wait."""
        self.records = ratelimit.read(self.brand_id, self.keys.items())
        rec = self.records.get
        ratelimit.over_limit(rec((CLIENT, self.keys[CLIENT])), CLIENT_MAX, CLIENT_WINDOW,
                             f"{MESSAGE} from this client", CODE)
        ratelimit.over_limit(rec((PAIR, self.keys[PAIR])), _pair_max(), _window(),
                             f"{MESSAGE} for this account", CODE)
        # Twice the pair's limit: the most one client can fit in one window (see rule 2).
        ratelimit.backing_off(rec((ACCOUNT, self.keys[ACCOUNT])), 2 * _pair_max(), _window(),
                              _window(), f"{MESSAGE} for this account", CODE)

    def failed(self) -> None:
        ratelimit.hit(self.brand_id, PAIR, self.keys[PAIR], _window())
        ratelimit.hit(self.brand_id, ACCOUNT, self.keys[ACCOUNT], _window())
        ratelimit.hit(self.brand_id, CLIENT, self.keys[CLIENT], CLIENT_WINDOW)

    def succeeded(self) -> None:
        for purpose in (PAIR, ACCOUNT):
            if (purpose, self.keys[purpose]) in self.records:
                ratelimit.clear(self.brand_id, purpose, self.keys[purpose])


def for_user(brand_id: str, user_id: str, client_ip: str | None) -> Guard:
    return Guard(brand_id, f"user:{user_id}", client_ip)


def for_unknown_name(brand_id: str, login: str, client_ip: str | None) -> Guard:
    return Guard(brand_id, f"name:{login.strip().lower()}", client_ip)
