"""Account recovery: forgot / reset password by e-mail, and change password when logged in.

- A reset token is a random secret sent by mail; only its SHA-256 is stored
  (``B#<brand>#RESET#<sha256>`` / ``RESET``), with the user, the expiry and the user's
  ``sessionEpoch`` at issue time. It works once, until it expires, and only while the epoch is
  unchanged: any password change, lock or suspension in between voids it.
- ``forgot_password`` always answers True, whether the address is known or not, after the same
  work either way (no account enumeration, by answer or by time): the lookup, the token and the
  mail happen in the outbox consumer (``deliver_reset``). The link must open one of the
  brand's own pages (``links.py``), or the token could be mailed to a page someone else controls.
- A password change, by reset or by the user, bumps ``sessionEpoch`` (every Auth-Key stops
  working) and queues a ``USER.PASSWORD.CHANGED`` mail, in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict
from chalicelib.identity import links, passwords, ratelimit, throttle, users
from chalicelib.identity.models import ResetTokenItem, UniqueItem, UserItem, user_pk
from chalicelib.notify import service as notify
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

RESET_REQUESTED = notify.PASSWORD_RESET_REQUESTED.code
PASSWORD_CHANGED = notify.PASSWORD_CHANGED.code


def _reset_key(brand_id: str, token: str) -> tuple[str, str]:
    return f"B#{brand_id}#RESET#{ids.digest(token)}", "RESET"


def _policy(brand: dict) -> str:
    return (brand.get("setting") or {}).get("passwordPolicyLevel") or "Medium"


def _user_vars(user: UserItem) -> dict:
    return notify.user_vars(
        username=user.username, email_address=user.email_address, first_name=user.first_name,
        last_name=user.last_name, nick_name=user.nick_name,
        expiry_date=user.expiry_date.isoformat() if user.expiry_date else None)


def _user_by_email(brand_id: str, email_address: str) -> UserItem | None:
    try:
        ref = UniqueItem.get(*users.unique_key(brand_id, "EMAIL", email_address))
        return UserItem.get(user_pk(brand_id, ref.user_id), "USER")
    except DoesNotExist:
        return None


# -- the reset link ----------------------------------------------------------------------------

def reset_link(base: str, token: str, email_address: str) -> str:
    """``base`` with ``token`` and ``emailAddress`` added to its query (replacing any there)."""
    parts = urlsplit(base.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("token", "emailAddress")]
    query += [("token", token), ("emailAddress", email_address)]
    return urlunsplit(parts._replace(query=urlencode(query)))


# -- forgot / reset ----------------------------------------------------------------------------

def forgot_password(brand: dict, email_address: str, reset_password_link: str) -> bool:
    """Queue a reset request for this address; ``deliver_reset`` mails the link if an account
    has it. The request itself does the same work for every address (count it, write one outbox
    row, publish it), so neither its answer nor its time tells whether an account exists."""
    links.check_brand_link(brand, reset_password_link, "resetPasswordLink")
    # Counted per address whether or not an account has it, so the 429 tells nothing about
    # which addresses exist; it stops anyone from filling a mailbox (or our SES quota).
    s = settings.get()
    window = timedelta(minutes=s.reset_mail_window_minutes)
    ratelimit.check(brand["id"], "RESETMAIL", email_address, s.reset_mail_max, window,
                    "Too many password reset mails for this address", "RESET_MAIL_LIMIT")
    ratelimit.hit(brand["id"], "RESETMAIL", email_address, window)
    rows = [notify.row(brand["id"], RESET_KIND, {"emailAddress": email_address,
                                                 "link": reset_password_link})]
    with transaction() as tx:
        notify.add(tx, rows)
    notify.publish(rows)
    return True


def deliver_reset(item: notify.OutboxItem) -> notify.Delivery:
    """The ``password-reset`` outbox kind: if an account has the address, a single-use token is
    stored and the link mailed (the mail is logged with the token redacted)."""
    payload = item.payload or {}
    user = _user_by_email(item.brand_id, str(payload.get("emailAddress") or ""))
    if user is None or user.status == "Deleted" or not user.email_address:
        return notify.Delivery(result={"mailed": False})
    s = settings.get()
    expires = settings.now() + timedelta(minutes=s.reset_token_ttl_minutes)
    token = ids.new_secret()
    ResetTokenItem(*_reset_key(item.brand_id, token), user_id=user.id, expires_at=expires,
                   epoch=user.session_epoch, ttl=int(expires.timestamp()) + 86400,
                   ).save(condition=ResetTokenItem.pk.does_not_exist())
    context = {
        "user": _user_vars(user),
        "reset_password": {
            "link": reset_link(str(payload["link"]), token, user.email_address),
            "expiry_minutes": s.reset_token_ttl_minutes,
            "expiry_date": expires.isoformat(),
        },
    }
    mail = notify.mail(item.brand_id, RESET_REQUESTED, user.email_address, context,
                       language_code=user.language_code, secrets=[token])
    mail.id = item.id  # the sent-mail log points at this row
    sent = notify.deliver_mail(mail)
    texts = notify.texts_for(item.brand_id, RESET_REQUESTED, user, context, secrets=[token])
    return notify.Delivery(result={**sent.result, "mailed": True}, writes=sent.writes + texts)


# The outbox kind behind forgot-password; the consumer runs deliver_reset for it.
RESET_KIND = notify.register_kind("password-reset", deliver_reset)


def _invalid_token() -> BadRequest:
    return BadRequest("This password reset link is invalid or was already used; ask for a new "
                      "one with forgot-password.", code="RESET_TOKEN_INVALID", field="token")


def reset_password(brand: dict, email_address: str, token: str, new_password: str) -> bool:
    """Set a new password with a mailed token: the token is spent, every Auth-Key revoked."""
    passwords.check_policy(new_password, _policy(brand), field="newPassword")
    try:
        record = ResetTokenItem.get(*_reset_key(brand["id"], token), consistent_read=True)
    except DoesNotExist:
        raise _invalid_token() from None
    now = settings.now()
    if record.expires_at <= now:
        raise BadRequest("This password reset link has expired; ask for a new one with "
                         "forgot-password.", code="RESET_TOKEN_EXPIRED", field="token")
    try:
        user = UserItem.get(user_pk(brand["id"], record.user_id), "USER", consistent_read=True)
    except DoesNotExist:
        raise _invalid_token() from None
    if ((user.email_address or "").casefold() != email_address.strip().casefold()
            or user.status == "Deleted"
            or (record.epoch is not None and record.epoch != user.session_epoch)):
        raise _invalid_token()
    rows = _changed_mail(brand["id"], user, "reset")
    try:
        with transaction() as tx:
            tx.delete(record, condition=ResetTokenItem.pk.exists()
                      & (ResetTokenItem.user_id == user.id)
                      & (ResetTokenItem.expires_at > now))
            _set_password(tx, user, new_password)
            notify.add(tx, rows)
    except ConditionFailed:
        raise _invalid_token() from None
    notify.publish(rows)
    return True


# -- change (logged in) ------------------------------------------------------------------------

def change_password(brand: dict, user_id: str, old_password: str, new_password: str,
                    confirm_password: str, client_ip: str | None = None) -> bool:
    """The logged-in user's own password; ``brand`` is the user's brand. A wrong oldPassword
    counts as a wrong password for the account, as a failed login does (throttle.py)."""
    if new_password != confirm_password:
        raise BadRequest("newPassword and confirmPassword differ; type the new password twice.",
                         code="PASSWORD_MISMATCH", field="confirmPassword")
    passwords.check_policy(new_password, _policy(brand), field="newPassword")
    user = users.get_item(brand["id"], user_id)
    guard = throttle.for_user(brand["id"], user.id, client_ip)
    guard.check()
    if not passwords.verify(user.password_hash, old_password):
        guard.failed()
        raise BadRequest("The current password (oldPassword) is wrong.", code="WRONG_PASSWORD",
                         field="oldPassword")
    guard.succeeded()
    rows = _changed_mail(brand["id"], user, "change")
    try:
        with transaction() as tx:
            _set_password(tx, user, new_password)
            notify.add(tx, rows)
    except ConditionFailed:
        raise Conflict("The password was changed by another request meanwhile; log in again.",
                       code="PASSWORD_CHANGED_MEANWHILE") from None
    notify.publish(rows)
    return True


def _set_password(tx: object, user: UserItem, new_password: str) -> None:
    """New hash and a new session epoch, only if nobody changed either since we read the user."""
    now = settings.now()
    tx.update(  # type: ignore[attr-defined]
        user,
        actions=[UserItem.password_hash.set(passwords.hash_password(new_password)),
                 UserItem.session_epoch.add(1), UserItem.modified_date.set(now)],
        condition=UserItem.pk.exists() & (UserItem.session_epoch == user.session_epoch)
        & (UserItem.password_hash == user.password_hash),
    )


def _changed_mail(brand_id: str, user: UserItem, method: str) -> list:
    if not user.email_address:
        return []
    context = {"user": _user_vars(user),
               "change": {"date": notify.mail_date(settings.now()),
                          "method": method}}
    return [notify.mail(brand_id, PASSWORD_CHANGED, user.email_address, context,
                        language_code=user.language_code)]
