"""What a payment gives: the rules behind the ``payment-event`` subscriber (jobs.py
``on_payment_event``, named in payments/jobs.py SUBSCRIBERS).

Each payment event carries the payment as it is after the event (status, ``completed``, gross
and ``refundedMinor``, ``held``, ``paymentVersion``); ``wanted`` turns that into whether the
buyer should hold what they paid for, and the fulfilment follows it: issue, revoke, or restore.
Events about one payment may come in any order and more than once (gateways reorder, the outbox
delivers at least once): the outcome depends only on the newest payment state seen (an event
older than the fulfilment's ``paymentVersion`` changes nothing).

- Wanted: the payment completed, is not held, and no money went back beyond the brand's
  ``licenseOnPartialRefund`` (``Keep``, the default: a partial refund leaves the license, as
  Stripe and Paddle leave access alone; ``Revoke``: any refund takes it back). A full refund,
  an open dispute and a lost one (status Reserved) always take it back.
- Issuing happens ONCE however often the event is delivered: the ``FULFILMENT`` item (one per
  payment, saved only if absent) is in the same transaction as the license, its code, the
  apply and the mail rows. Delivery (brand setting ``licenseDeliveryType``): ``Direct`` applies
  it to the buyer at once and sends PAYMENT.RECEIPT-SENT.DIRECT-APPLIED; ``Mail`` (also the
  fallback when there is no buyer account, or a queued license already waits) mails the code
  with PAYMENT.RECEIPT-SENT.MAIL-DELIVERY. A purchase made through
  ``v1/licenses/purchase/checkout-link`` (quote ``purpose`` "license-purchase") issues
  ``quantity`` Prepaid licenses owned by the buyer, not applied, and mails their codes.
- Revoking: each license becomes type Refunded, status Inactive; a holder whose package came
  from it loses that time (back to the brand's default package when nothing else is left).
  What it took is kept on the license (``revokedFrom``). Money that goes back before the
  success leaves a Revoked mark with no license; a late success issues nothing while the money
  is still back.
- Restoring (a dispute won, the money back): each license gets its type, status and due entry
  back, and its holder the subscription it had, when nothing changed it since; otherwise the
  license's time is added as applying it would. A Revoked mark with no license is issued now.
  No mail: none was sent when it was taken. The fulfilment's ``history`` lists each step.
- Digital downloads (``downloads.py``) are granted, withdrawn and given
  back here too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.licensing import apply as applying
from chalicelib.licensing import changes, downloads, licenses
from chalicelib.licensing import models as m
from chalicelib.licensing import subscriptions as subs
from chalicelib.notify import service as notify
from chalicelib.store.tx import ConditionFailed, is_own, new_token, transaction

log = logging.getLogger("jfw.licensing")

PURCHASE = "license-purchase"
ATTEMPTS = 6
F = m.FulfilmentItem
L = m.LicenseItem
ISSUED, REVOKED = "Issued", "Revoked"


def wanted(brand: dict, payload: dict[str, Any]) -> bool | None:
    """Should the buyer hold what the payment bought, as of this event? None: nothing to do
    (not paid yet, held for review, or an event that says nothing about it)."""
    status = payload.get("status") or ""
    paid = int(payload.get("amountGrossMinor") or payload.get("amountMinor") or 0)
    refunded = payload.get("refundedMinor")
    if refunded is None:  # an event without the figure: a refund is taken as whole
        refunded = paid if status == "Refunded" else 0
    refunded = int(refunded)
    if status == "Reserved":
        return False
    if refunded and (refunded >= paid
                     or subs.policy(brand)["licenseOnPartialRefund"] == "Revoke"):
        return False
    if payload.get("event") == "PAYMENT.PROCESSED.SUCCESS":
        return True if payload.get("fulfil") else None
    if payload.get("completed") and not payload.get("held") and status in (
            "Refunded", "CanceledReversal"):
        return True  # the money came back (a dispute won): give back what was taken
    return None


def get_fulfilment(brand_id: str, payment_id: str) -> m.FulfilmentItem | None:
    try:
        return F.get(m.fulfilment_pk(brand_id, payment_id), m.FULFILMENT_SK,
                     consistent_read=True)
    except DoesNotExist:
        return None


def _version(payload: dict[str, Any]) -> int | None:
    value = payload.get("paymentVersion")
    return int(value) if isinstance(value, int) else None


def _stale(record: m.FulfilmentItem, payload: dict[str, Any]) -> bool:
    """An event older than one the fulfilment already followed."""
    seen, version = record.payment_version, _version(payload)
    if seen is not None and version is not None and version < int(seen):
        log.info("payment %s: event of version %s after %s changes nothing",
                 record.payment_id, version, seen)
        return True
    return False


def _step(action: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"at": now.isoformat(), "action": action, "status": payload.get("status"),
            "eventId": payload.get("eventId")}


def _seen(record: m.FulfilmentItem, payload: dict[str, Any]) -> None:
    """Remember the newest payment version followed, also when it changed nothing."""
    version = _version(payload)
    if version is None or (record.payment_version is not None
                           and version <= int(record.payment_version)):
        return
    try:
        record.update(actions=[F.payment_version.set(version)],
                      condition=F.payment_version.does_not_exist()
                      | (F.payment_version < version))
    except UpdateError:
        pass  # a newer one was recorded meanwhile


# -- issuing -------------------------------------------------------------------------------------

def _package(brand_id: str, package_id: str) -> dict | None:
    try:
        return catalog.get_package(brand_id, package_id)
    except NotFound:  # a package with prices can't be deleted: not one of the catalogue's
        return None


def _duration(brand_id: str, payload: dict[str, Any]) -> dict | None:
    if payload.get("priceId"):
        try:
            if catalog.get_price(brand_id, payload["priceId"]).get("pricingModel") == "OneTime":
                return None
        except NotFound:
            pass
    saved = (payload.get("quote") or {}).get("duration")
    if saved:
        return saved
    if not payload.get("subscriptionTypeId"):
        return None
    try:
        return licenses.duration_of(catalog.get_subscription_type(
            brand_id, payload["subscriptionTypeId"]))
    except NotFound:
        return None


def _buyer(brand_id: str, user_id: str | None) -> Any:
    if not user_id:
        return None
    try:
        return applying.target_user(brand_id, user_id)
    except NotFound:
        return None


def _payment_context(payload: dict[str, Any]) -> dict[str, Any]:
    currency = payload.get("currency") or "USD"
    amount = int(payload.get("amountGrossMinor") or payload.get("amountMinor") or 0)
    when = payload.get("paymentDate")
    moment = datetime.fromisoformat(when) if when else settings.now()
    return {"code": payload.get("paymentCode"), "name": None, "status": payload.get("status"),
            "amount": str(money.to_decimal(amount, currency)), "currency_code": currency,
            "merchant_ref_no": payload.get("merchantRefNo"),
            "date": moment.strftime("%Y-%m-%d %H:%M UTC")}


def fulfil(brand_id: str, payload: dict[str, Any]) -> m.FulfilmentItem | None:
    """Issue (and maybe apply) the payment's license(s), once."""
    payment_id = payload["paymentId"]
    if not payload.get("packageId"):
        return None  # nothing licensable was bought
    done = get_fulfilment(brand_id, payment_id)
    if done is not None and (_stale(done, payload) or done.status == ISSUED):
        _seen(done, payload)
        _grant_downloads(brand_id, done, payload)
        return done
    if done is not None and done.license_ids:
        return restore(brand_id, done, payload)
    mark = done  # None, or a Revoked mark: the money went back before, and now it is back
    package = _package(brand_id, payload["packageId"])
    if package is None:
        log.error("payment %s: package %s is not in the catalogue; nothing issued",
                  payment_id, payload["packageId"])
        return None
    brand = identity.get_brand(brand_id)
    quote = payload.get("quote") or {}
    purchase = quote.get("purpose") == PURCHASE
    duration = _duration(brand_id, payload)
    user = _buyer(brand_id, payload.get("userId"))
    delivery = "Prepaid" if purchase else subs.policy(brand)["licenseDeliveryType"]
    if payload.get("invoiceId") and not purchase:
        delivery = "Direct"  # a renewal (invoicing's provisional invoice) extends the buyer's own
    if user is None and delivery == "Direct":
        delivery = "Mail"
    quantity = max(1, int(quote.get("quantity") or 1)) if purchase else 1
    total = int(payload.get("amountGrossMinor") or payload.get("amountMinor") or 0)
    currency = payload.get("currency") or "USD"
    to = (user.email_address if user is not None else None) or payload.get("userEmail")
    now = settings.now()
    window = _window(quote) if purchase else (now, None)
    common = dict(amount_minor=total // quantity, currency=currency, start=window[0],
                  end=window[1], source="Purchase" if purchase else "Payment",
                  source_id=payment_id, payment_id=payment_id,
                  test_mode=bool(payload.get("testMode")),
                  created_by=user.code if user is not None else None,
                  assigned_user_id=payload.get("userId"))
    type_ = {"Direct": m.NORMAL, "Mail": m.MAIL_DELIVERY, "Prepaid": m.PREPAID}[delivery]
    pairs = [licenses.new_items(brand, package, payload.get("subscriptionTypeId"), duration,
                                type_=type_, **common) for _ in range(quantity)]
    history = [*(mark.history if mark is not None else []), _step(ISSUED, payload, now)]
    for _ in range(ATTEMPTS):
        token = new_token()
        record = F(m.fulfilment_pk(brand_id, payment_id), m.FULFILMENT_SK, payment_id=payment_id,
                   user_id=payload.get("userId"), license_ids=[p[0].id for p in pairs],
                   delivery=delivery, status=ISSUED,
                   version=int(mark.version) + 1 if mark is not None else 1, write_id=token,
                   payment_version=_version(payload), history=history,
                   created_date=mark.created_date if mark is not None else now)
        direct = delivery == "Direct"
        if direct:
            item = pairs[0][0]
            item.status, item.used_by_user_id, item.used_by_user_code = m.USED, user.id, user.code
            item.used_date, item.due_pk, item.due_sk = now, None, None
        rows: list[Any] = []
        sub = subs.get_item(brand_id, user.id) if direct else None
        try:
            with transaction(token) as tx:
                tx.save(record, condition=F.pk.does_not_exist() if mark is None
                        else F.version == mark.version)
                licenses.save_new(tx, pairs)
                if direct:
                    plan, _ = applying.entitlement(tx, brand, user, sub, license_id=pairs[0][0].id,
                                                   package_id=package["id"], duration=duration,
                                                   now=now)
                    context = {"payment": _payment_context(payload),
                               "license": applying.license_context(brand_id, pairs[0][0].code,
                                                                   plan)}
                    event = "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED"
                else:
                    codes = [p[0].code for p in pairs]
                    context = {"payment": _payment_context(payload), "license": {
                        "code": codes[0], "codes": "\n".join(codes), "quantity": quantity,
                        "package_name": package.get("name"), "expiry_date": None}}
                    event = "PAYMENT.RECEIPT-SENT.MAIL-DELIVERY"
                if to:
                    context["user"] = (subs.user_context(user) if user is not None
                                       else {"email_address": to, "name": None})
                    rows = [notify.mail(brand_id, event, to, context,
                                        language_code=user.language_code if user else None)]
                    notify.add(tx, rows)
                rows = [*rows, *changes.add(tx, brand_id, [p[0].id for p in pairs])]
        except Conflict:
            delivery = "Mail"  # e.g. a queued license already waits: the buyer gets the code
            pairs[0][0].type, pairs[0][0].status = m.MAIL_DELIVERY, m.ACTIVE
            pairs[0][0].used_by_user_id = pairs[0][0].used_by_user_code = None
            pairs[0][0].used_date = None
            continue
        except ConditionFailed as e:
            if e.failed(0):
                done = get_fulfilment(brand_id, payment_id)
                if is_own(done, token):
                    break  # our earlier try committed; its reply was lost
                if mark is not None:
                    raise RuntimeError(f"payment {payment_id}: its fulfilment changed while "
                                       "issuing; the outbox retries") from None
                if done is not None:
                    _grant_downloads(brand_id, done, payload)
                return done
            for i in licenses.code_failures(e, 1, len(pairs)):
                pairs[i] = licenses.regenerate(brand, package, pairs[i])
            continue  # a code was taken, or the buyer's subscription moved: again
        break
    else:
        raise RuntimeError(f"payment {payment_id}: fulfilment kept conflicting; the outbox "
                           "retries")
    notify.publish(rows)
    log.info("payment %s fulfilled: %d license(s), %s", payment_id, quantity, delivery)
    if mark is not None:
        _restore_downloads(brand_id, payment_id)  # lift the mark's tombstone
    _grant_downloads(brand_id, record, payload)
    return record


def _window(quote: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    def parse(value: Any) -> datetime | None:
        return licenses.utc(datetime.fromisoformat(value)) if value else None

    return parse(quote.get("startDate")), parse(quote.get("endDate"))


def _grant_downloads(brand_id: str, record: m.FulfilmentItem, payload: dict[str, Any]) -> None:
    """Once per fulfilment: the flag is set after the grant, so a crash in between grants again
    on the next delivery (the grant itself is keyed by the payment)."""
    if record.status != ISSUED or getattr(record, "downloads_granted", False):
        return
    downloads.grant_for_payment(brand_id, payload)
    try:
        F(record.pk, record.sk).update(actions=[F.downloads_granted.set(True)],
                                       condition=F.pk.exists())
    except Exception:  # noqa: BLE001 - the grant stands; a repeat is keyed by the payment
        log.warning("could not mark downloads granted for %s", record.payment_id, exc_info=True)


# -- revoking ------------------------------------------------------------------------------------

def revoke(brand_id: str, payload: dict[str, Any]) -> None:
    payment_id = payload["paymentId"]
    record = get_fulfilment(brand_id, payment_id)
    now = settings.now()
    if record is None:
        try:  # the money went back before the success: nothing is issued while it is back
            F(m.fulfilment_pk(brand_id, payment_id), m.FULFILMENT_SK, payment_id=payment_id,
              user_id=payload.get("userId"), license_ids=[], delivery="None", status=REVOKED,
              version=1, created_date=now, revoked_date=now, payment_version=_version(payload),
              history=[_step(REVOKED, payload, now)]).save(condition=F.pk.does_not_exist())
            _revoke_downloads(brand_id, payment_id)
            return
        except Exception as e:  # noqa: BLE001 - only the condition is expected
            if not isinstance(e, PutError):
                raise
            record = get_fulfilment(brand_id, payment_id)
            if record is None:
                raise
    if _stale(record, payload):
        return
    if record.status != REVOKED:
        for license_id in record.license_ids or []:
            revoke_license(brand_id, license_id)
        _transition(record, REVOKED, payload, now)
    else:
        _seen(record, payload)
    _revoke_downloads(brand_id, payment_id)


def restore(brand_id: str, record: m.FulfilmentItem, payload: dict[str, Any]
            ) -> m.FulfilmentItem:
    """The money came back (a dispute won): give back what ``revoke`` took."""
    for license_id in record.license_ids or []:
        restore_license(brand_id, license_id)
    _transition(record, ISSUED, payload, settings.now())
    _restore_downloads(brand_id, record.payment_id)
    log.info("payment %s: %d license(s) restored", record.payment_id,
             len(record.license_ids or []))
    return record


def _transition(record: m.FulfilmentItem, status: str, payload: dict[str, Any],
                now: datetime) -> None:
    action = REVOKED if status == REVOKED else "Restored"
    actions = [F.status.set(status), F.version.set(int(record.version) + 1),
               F.history.set([*(record.history or []), _step(action, payload, now)])]
    actions.append(F.revoked_date.set(now) if status == REVOKED else F.revoked_date.remove())
    if _version(payload) is not None:
        actions.append(F.payment_version.set(_version(payload)))
    try:
        record.update(actions=actions, condition=F.version == record.version)
    except UpdateError:  # another delivery changed it meanwhile: it records its own step
        log.info("fulfilment %s changed while moving it to %s", record.payment_id, status)


def _revoke_downloads(brand_id: str, payment_id: str) -> None:
    downloads.revoke_for_payment(brand_id, payment_id)


def _restore_downloads(brand_id: str, payment_id: str) -> None:
    downloads.restore_for_payment(brand_id, payment_id)


def revoke_license(brand_id: str, license_id: str) -> None:
    """Refunded + Inactive; its holder loses what it gave (idempotent)."""
    brand = identity.get_brand(brand_id)
    for _ in range(ATTEMPTS):
        try:
            item = L.get(m.license_pk(brand_id, license_id), m.LICENSE_SK, consistent_read=True)
        except DoesNotExist:
            return
        now = settings.now()
        holder = item.used_by_user_id
        sub = subs.get_item(brand_id, holder) if holder else None
        change = _holder_change(brand, sub, item, now) if sub is not None else None
        if item.type == m.REFUNDED and item.status == m.INACTIVE and change is None:
            return
        taken = dict(item.revoked_from or {"type": item.type, "status": item.status,
                                           "duePk": item.due_pk, "dueSk": item.due_sk})
        if change is not None:
            taken["holder"] = {"userId": holder, "version": int(change[0].version),
                               "before": _sub_state(sub)}
        try:
            with transaction() as tx:
                tx.update(item, actions=[L.type.set(m.REFUNDED), L.status.set(m.INACTIVE),
                                         L.due_pk.remove(), L.due_sk.remove(),
                                         L.revoked_from.set(taken),
                                         L.version.set(int(item.version) + 1),
                                         L.modified_date.set(now)],
                          condition=L.version == item.version)
                rows = changes.add(tx, brand_id, [item.id])
                if change is not None:
                    new, mirror = change
                    subs.put(tx, new, sub)
                    if mirror:
                        subs.mirror(tx, brand_id, holder, new.package_id, new.expiry_date)
        except ConditionFailed:
            continue
        notify.publish(rows)
        log.info("license %s revoked (holder %s)", license_id, holder)
        return
    raise RuntimeError(f"license {license_id}: revoke kept conflicting; the outbox retries")


def _sub_state(sub: m.SubscriptionItem) -> dict[str, Any]:
    return {"packageId": sub.package_id,
            "expiry": sub.expiry_date.isoformat() if sub.expiry_date else None,
            "licenseIds": list(sub.license_ids or []), "status": sub.status,
            "queued": {"licenseId": sub.queued_license_id, "packageId": sub.queued_package_id,
                       "duration": sub.queued_duration} if sub.queued_license_id else None}


def restore_license(brand_id: str, license_id: str) -> None:
    """Undo ``revoke_license``: the license's type, status and due entry as they were; its
    holder's subscription as it was when nothing changed it since the revocation, else the
    license's time added again as applying it would (idempotent)."""
    brand = identity.get_brand(brand_id)
    give_back_time = True
    for _ in range(ATTEMPTS):
        try:
            item = L.get(m.license_pk(brand_id, license_id), m.LICENSE_SK, consistent_read=True)
        except DoesNotExist:
            return
        taken = item.revoked_from
        if not taken:
            return  # not revoked (or already restored)
        now = settings.now()
        holder = taken.get("holder") if give_back_time else None
        status = taken["status"]
        actions = [L.type.set(taken["type"]), L.revoked_from.remove(),
                   L.version.set(int(item.version) + 1), L.modified_date.set(now)]
        if taken.get("holder") and not give_back_time:
            # Its time can't be given back now: unused again, so the buyer can apply it.
            status = m.ACTIVE
            actions += [L.used_by_user_id.remove(), L.used_by_user_code.remove(),
                        L.used_date.remove()]
        actions.append(L.status.set(status))
        if taken.get("duePk") and taken.get("dueSk"):
            actions += [L.due_pk.set(taken["duePk"]), L.due_sk.set(taken["dueSk"])]
        try:
            with transaction() as tx:
                tx.update(item, actions=actions, condition=L.version == item.version)
                if holder:
                    _give_back(tx, brand, item, holder, now)
                rows = changes.add(tx, brand_id, [item.id])
        except ConditionFailed:
            continue
        except Conflict:  # e.g. another license already waits in the holder's queue
            give_back_time = False
            continue
        notify.publish(rows)
        log.info("license %s restored (holder %s)", license_id,
                 holder["userId"] if holder else None)
        return
    raise RuntimeError(f"license {license_id}: restore kept conflicting; the outbox retries")


def _give_back(tx: Any, brand: dict, item: m.LicenseItem, holder: dict[str, Any],
               now: datetime) -> None:
    brand_id, user_id = brand["id"], holder["userId"]
    sub = subs.get_item(brand_id, user_id)
    before = holder["before"]
    if sub is not None and int(sub.version) == int(holder["version"]):
        # Nothing happened to the subscription since: exactly what it was.
        expiry = datetime.fromisoformat(before["expiry"]) if before.get("expiry") else None
        policy = subs.policy(brand)
        new = subs.new_state(
            brand_id, user_id, sub, package_id=before["packageId"], expiry=expiry,
            license_ids=before["licenseIds"], status=before["status"],
            due=subs.next_due(expiry, policy["licenseReminderDays"], now, before["status"],
                              policy["licenseGraceDays"]),
            queued=before.get("queued"), keep_queue=False)
        subs.put(tx, new, sub)
        subs.mirror(tx, brand_id, user_id, new.package_id, new.expiry_date)
        return
    try:  # it moved on (another license, an expiry): the license's time, from now
        user = applying.target_user(brand_id, user_id)
    except NotFound:
        return
    applying.entitlement(tx, brand, user, sub, license_id=item.id, package_id=item.package_id,
                         duration=item.duration, now=now)


def _holder_change(brand: dict, sub: m.SubscriptionItem, item: m.LicenseItem, now: datetime
                   ) -> tuple[m.SubscriptionItem, bool] | None:
    """The holder's new subscription without this license's time: (item, mirror to identity?)."""
    brand_id, user_id = brand["id"], sub.user_id
    if sub.queued_license_id == item.id:
        due = subs.next_due(sub.expiry_date, subs.policy(brand)["licenseReminderDays"], now,
                            sub.status, subs.policy(brand)["licenseGraceDays"])
        return subs.new_state(brand_id, user_id, sub, package_id=sub.package_id,
                              expiry=sub.expiry_date, license_ids=list(sub.license_ids or []),
                              status=sub.status, due=due, keep_queue=False), False
    chain = list(sub.license_ids or [])
    if item.id not in chain or sub.status == subs.EXPIRED:
        return None
    chain.remove(item.id)
    expiry = sub.expiry_date
    if chain and expiry is not None and item.duration:
        back = {**item.duration, "quantity": -int(item.duration.get("quantity") or 1)}
        expiry = subs.end_of(expiry, back)
    if not chain or expiry is None or expiry <= now or not item.duration:
        default = catalog.default_package(brand_id)
        return subs.new_state(brand_id, user_id, sub, package_id=default["id"] if default
                              else None, expiry=None, license_ids=[], status=subs.EXPIRED,
                              due=None, keep_queue=False), True
    policy = subs.policy(brand)
    return subs.new_state(brand_id, user_id, sub, package_id=sub.package_id, expiry=expiry,
                          license_ids=chain, status=subs.ACTIVE,
                          due=subs.next_due(expiry, policy["licenseReminderDays"], now)), True
