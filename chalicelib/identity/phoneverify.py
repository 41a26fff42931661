"""Phone number verification by a texted code (ours: JFW's SDK has only passwordless OTPs).

- ``send_code``: a 6-digit code texted to the caller's own phone number (E.164) through the
  outbox (``USER.PHONE.VERIFICATION-CODE-SENT``, kind ``sms``); the code's keyed, salted hash, the
  number, the expiry (10 minutes) and an attempt counter are stored in the same transaction
  as the outbox row. Rate-limited per user and per number (``SEND_LIMIT`` in ``SEND_WINDOW``),
  so nobody can use it to flood a phone or our SMS bill. The text's log row shows the code as
  ``[redacted]`` outside the local stages.
- ``verify``: each try first spends one of ``MAX_ATTEMPTS`` (a conditional UpdateItem), then
  compares, so parallel guesses can't get more tries than that; the right code, for the number
  the user still has, sets ``confirmedPhoneNumber`` and removes the code in one transaction.
  The user is ``phoneNumberConfirmed`` while that equals ``phoneNumber``: changing the number
  unconfirms it with no extra write.
- ``confirmed_phone``: the lookup notify's texter uses for rows that name a user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict
from chalicelib.identity import ratelimit, users
from chalicelib.identity.models import PhoneCodeItem, UserItem, user_pk
from chalicelib.notify import service as notify
from chalicelib.store import secrets as secrets_store
from chalicelib.store.tx import ConditionFailed, transaction

CODE_SENT = "USER.PHONE.VERIFICATION-CODE-SENT"
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
SEND_LIMIT = 5
SEND_WINDOW = timedelta(hours=1)


def _key(brand_id: str, user_id: str) -> tuple[str, str]:
    return f"B#{brand_id}#PHONEVERIFY#{user_id}", "PHONEVERIFY"


def _hash(salt: str, code: str) -> str:
    """Keyed (HMAC with a key derived from the secrets key): a million possible codes are no
    secret to whoever reads the table, unless the hash needs a key the table doesn't hold."""
    key = hashlib.sha256(secrets_store.base_key() + b"|phone-verification-code").digest()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _user(brand_id: str, user_id: str) -> UserItem:
    return users.get_item(brand_id, user_id)


def send_code(brand_id: str, user_id: str) -> bool:
    """Text a new code to the caller's phone number (any older code stops working)."""
    user = _user(brand_id, user_id)
    phone = user.phone_number
    if not notify.is_e164(phone):
        raise BadRequest("Set your phone number in international form (+ and country code, "
                         "e.g. +14155550123) before asking for a code.",
                         code="PHONE_NUMBER_MISSING", field="phoneNumber")
    assert phone is not None
    if user.confirmed_phone == phone:
        raise Conflict("This phone number is already confirmed.", code="PHONE_ALREADY_CONFIRMED")
    for purpose, key in (("PHONECODE-USER", user_id), ("PHONECODE-NUMBER", phone)):
        ratelimit.check(brand_id, purpose, key, SEND_LIMIT, SEND_WINDOW,
                        "Too many verification codes asked for", "PHONE_CODE_LIMIT")
    for purpose, key in (("PHONECODE-USER", user_id), ("PHONECODE-NUMBER", phone)):
        ratelimit.hit(brand_id, purpose, key, SEND_WINDOW)
    now = settings.now()
    code = f"{secrets.randbelow(10 ** 6):06d}"
    salt = secrets.token_hex(16)
    expires = now + CODE_TTL
    item = PhoneCodeItem(*_key(brand_id, user_id), user_id=user_id, phone_number=phone,
                         salt=salt, code_hash=_hash(salt, code), expires_at=expires, attempts=0,
                         ttl=int(expires.timestamp()) + 86400)
    context = {"user": notify.user_vars(username=user.username, email_address=user.email_address,
                                        first_name=user.first_name, last_name=user.last_name,
                                        nick_name=user.nick_name),
               "verification": {"code": code,
                                "expiry_minutes": int(CODE_TTL.total_seconds() // 60)}}
    rows = [notify.text(brand_id, CODE_SENT, context=context, to=phone, user_id=user_id,
                        language_code=user.language_code, secrets=[code])]
    with transaction() as tx:
        tx.save(item)
        notify.add(tx, rows)
    notify.publish(rows)
    return True


def _no_code() -> BadRequest:
    return BadRequest("No verification code is waiting: ask for a new one.",
                      code="PHONE_CODE_INVALID", field="code")


def verify(brand_id: str, user_id: str, code: str) -> dict:
    """Check a texted code; the right one confirms the user's phone number (IUser answered)."""
    try:
        rec = PhoneCodeItem.get(*_key(brand_id, user_id), consistent_read=True)
    except DoesNotExist:
        raise _no_code() from None
    if rec.expires_at <= settings.now():
        raise BadRequest("The verification code has expired: ask for a new one.",
                         code="PHONE_CODE_EXPIRED", field="code")
    try:  # spend a try first: parallel guesses can't get more than MAX_ATTEMPTS between them
        rec.update(actions=[PhoneCodeItem.attempts.add(1)],
                   condition=PhoneCodeItem.code_hash.exists()
                   & (PhoneCodeItem.attempts < MAX_ATTEMPTS)
                   & (PhoneCodeItem.salt == rec.salt))
    except UpdateError:
        raise BadRequest("Too many wrong codes: ask for a new one.",
                         code="PHONE_CODE_ATTEMPTS", field="code") from None
    if not hmac.compare_digest(rec.code_hash, _hash(rec.salt, code)):
        left = MAX_ATTEMPTS - int(rec.attempts)
        raise BadRequest(f"The code is wrong; {left} tr{'y' if left == 1 else 'ies'} left."
                         if left else "The code is wrong; ask for a new one.",
                         code="PHONE_CODE_WRONG", field="code")
    user = _user(brand_id, user_id)
    if user.phone_number != rec.phone_number:
        raise BadRequest("Your phone number changed since the code was sent: ask for a new one.",
                         code="PHONE_CODE_INVALID", field="code")
    try:
        with transaction() as tx:
            tx.delete(rec, condition=PhoneCodeItem.salt == rec.salt)
            tx.update(user, actions=[UserItem.confirmed_phone.set(rec.phone_number)],
                      condition=UserItem.phone_number == rec.phone_number)
    except ConditionFailed:
        raise _no_code() from None
    return users.to_dto(_user(brand_id, user_id))


def confirmed_phone(brand_id: str, user_id: str) -> str | None:
    """The user's confirmed number, if any (notify's texter, for rows that name a user)."""
    try:
        user = UserItem.get(user_pk(brand_id, user_id), "USER")
    except DoesNotExist:
        return None
    if user.status == "Deleted" or not user.phone_number:
        return None
    return user.phone_number if user.confirmed_phone == user.phone_number else None


notify.set_phone_lookup(confirmed_phone)
