"""Renewals through provisional invoices: the job ``invoice-renewals`` (jobs.py, store/schema.py
SCHEDULES) and what arms it.

A completed purchase of a subscription price (a package x subscription type that ends) arms the
buyer's renewal watch (``RenewalItem``, one per brand x user, as licensing's SUBSCRIPTION): its
``due`` entry is put at the earliest the next renewal point can be (the purchase's time plus one
period, less ``invoiceRenewalDays``: licensing extends from the later of now and the current
end, so the real end is never earlier). The job reads only the sparse ``due`` index
(``INVDUE#0..7``, ``dueSk`` <= now) and, for each item due:

- a watch: reads licensing's SUBSCRIPTION (``licensing.subscription_of``, one GetItem). Not the
  watched package any more, no end, or Expired: the watch retires (due removed; the next
  purchase arms it again). Before the renewal point (the end less ``invoiceRenewalDays``): due
  moves to it. From the renewal point until the end of the grace period, once per end: the
  provisional invoice (type Provisional, status Unpaid, no number, ``dueDate`` = the end,
  ``overdueDate`` = the end + ``licenseGraceDays``, the same moment licensing's expiry job
  ends the subscription) for the price's current quote, in ONE transaction with the watch's
  ``expiryInvoiced`` moved to that end (conditioned on the watch's version: a second run, or a
  copy running at once, writes nothing) and the INVOICE.RENEWAL.CREATED mail with its pay
  link. Then the watch waits until a day after the overdue date, to follow an end that moved
  without a payment (a license code applied).
- a provisional invoice: paid or deleted meanwhile -> nothing (it has no due entry then).
  Its subscription renewed otherwise (the end moved past ``dueDate``, or another package):
  withdrawn (deleted: it has no number, so none is lost). Else the nearest reminder offset
  (``invoiceReminderDays`` before ``dueDate``) that has come and was not done: the
  INVOICE.RENEWAL.REMINDER mail, ``reminderedCount`` + 1, the offset marked done, in one
  transaction conditioned on the invoice's version (each reminder once; a run after a missed
  window sends only the nearest). At ``overdueDate``: ``isOverdue`` (ours; JFW's status is
  Unpaid/Paid only), the pay link stops working, the INVOICE.RENEWAL.OVERDUE mail; licensing's
  expiry job ends the license at that same moment, as for any subscription.

A new provisional invoice is announced once (its first step, due at once): the off-session
charge of a card the buyer saved (``_charge_saved``, the one seam for it), else, or when that
returns False, the INVOICE.RENEWAL.CREATED mail with the pay link.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError
from chalicelib.identity import service as identity
from chalicelib.invoicing import amounts, paying
from chalicelib.invoicing import models as m
from chalicelib.invoicing.constants import DEFAULT_SETTINGS, MAX_RENEWAL_DAYS
from chalicelib.licensing import service as licensing
from chalicelib.notify import service as notify
from chalicelib.payments import service as payments
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

log = logging.getLogger("jfw.invoicing")

R = m.RenewalItem
I = m.InvoiceItem  # noqa: E741 - the invoice item, as R is the watch
LIMIT_PER_SHARD = 1000
PURCHASE = "license-purchase"  # licensing's codes bought to hand out: nothing to renew
RECHECK_AFTER_OVERDUE = timedelta(days=1)
PROVISIONAL, UNPAID = "Provisional", "Unpaid"


# -- the brand's settings -------------------------------------------------------------------------

def policy(brand: dict) -> dict[str, Any]:
    """``invoiceRenewalDays``, ``invoiceReminderDays`` (each its default when unset or invalid),
    and licensing's ``licenseGraceDays`` (the overdue date is the end of the grace period)."""
    setting = brand.get("setting") or {}
    out: dict[str, Any] = dict(DEFAULT_SETTINGS)
    days = settings.int_in(setting.get("invoiceRenewalDays"), 1, MAX_RENEWAL_DAYS)
    if days is not None:
        out["invoiceRenewalDays"] = days
    offsets = setting.get("invoiceReminderDays")
    if isinstance(offsets, list | tuple):
        parsed = [settings.int_in(d, 1, MAX_RENEWAL_DAYS) for d in offsets]
        if all(d is not None for d in parsed):
            out["invoiceReminderDays"] = sorted({int(d) for d in parsed if d}, reverse=True)
    out["licenseGraceDays"] = int(licensing.policy(brand)["licenseGraceDays"])
    return out


def save_policy(brand_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return policy(identity.update_brand_setting(brand_id, values))


# -- arming the watch (payment events) ------------------------------------------------------------

def _subtype(brand_id: str, subtype_id: str) -> dict | None:
    try:
        return catalog.get_subscription_type(brand_id, subtype_id)
    except ApiError:
        return None


def renews(brand_id: str, payload: dict[str, Any]) -> dict | None:
    """The subscription type a completed payment bought that has a next period to invoice
    (a subscription price for the buyer's own use), else None."""
    quote = payload.get("quote") or {}
    if (payload.get("status") != "Completed" or not payload.get("completed")
            or payload.get("held") or int(payload.get("refundedMinor") or 0)
            or not payload.get("userId") or not payload.get("packageId")
            or not payload.get("subscriptionTypeId")
            or payload.get("paymentType") == amounts.TOP_UP
            or quote.get("purpose") in (amounts.TOP_UP, PURCHASE)):
        return None
    if payload.get("priceId"):
        try:
            if catalog.get_price(brand_id, payload["priceId"]).get(
                    "pricingModel") == "OneTime":
                return None
        except ApiError:
            pass
    subtype = _subtype(brand_id, payload["subscriptionTypeId"])
    if subtype is None or catalog.subscription_end(settings.now(), subtype) is None:
        return None
    return subtype


def _due(item: Any, moment: datetime | None, what: str, key: str) -> list[Any]:
    """The actions putting ``item`` in the due index at ``moment`` (None: out of it)."""
    model = type(item)
    if moment is None:
        return [model.due_pk.remove(), model.due_sk.remove()]
    return [model.due_pk.set(m.due_shard(key)),
            model.due_sk.set(m.due_sk(moment, what, item.brand_id, key))]


def arm(brand_id: str, payload: dict[str, Any]) -> bool:
    """Point the buyer's watch at what this payment bought (idempotent: the same payment
    again changes nothing; an older payment than the one armed is ignored)."""
    subtype = renews(brand_id, payload)
    if subtype is None:
        return False
    user_id = payload["userId"]
    brand = identity.get_brand(brand_id)
    now = settings.now()
    end = catalog.subscription_end(now, subtype)
    assert end is not None
    check = max(now, end - timedelta(days=policy(brand)["invoiceRenewalDays"]))
    paid = datetime.fromisoformat(payload["paymentDate"]) if payload.get("paymentDate") else now
    for _ in range(5):
        try:
            watch = R.get(m.renewal_pk(brand_id, user_id), m.RENEWAL_SK, consistent_read=True)
        except DoesNotExist:
            watch = None
        if watch is not None and (watch.payment_id == payload["paymentId"] or (
                watch.paid_date is not None and watch.paid_date > paid)):
            return False  # this payment again, or one older than the payment armed
        new = R(m.renewal_pk(brand_id, user_id), m.RENEWAL_SK, brand_id=brand_id,
                user_id=user_id, package_id=payload["packageId"],
                subscription_type_id=payload["subscriptionTypeId"],
                price_id=payload.get("priceId"), currency=payload.get("currency") or "USD",
                test_mode=bool(payload.get("testMode")), payment_id=payload["paymentId"],
                paid_date=paid,
                expiry_invoiced=watch.expiry_invoiced if watch is not None else None,
                invoice_id=watch.invoice_id if watch is not None else None,
                version=int(watch.version) + 1 if watch is not None else 1,
                created_date=watch.created_date if watch is not None else now,
                modified_date=now, due_pk=m.due_shard(user_id),
                due_sk=m.due_sk(check, "R", brand_id, user_id))
        try:
            new.save(condition=R.pk.does_not_exist() if watch is None
                     else R.version == watch.version)
        except PutError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        return True
    raise RuntimeError(f"renewal watch of {user_id} kept changing; the outbox retries")


# -- the job --------------------------------------------------------------------------------------

class _Run:
    """Per-run caches: a brand, and a price with its subscription type and quote, are read
    once per run, not per item (a renewal's quote names no buyer, so it is the same for all)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.brands: dict[str, dict] = {}
        self.offers: dict[tuple[str, ...], tuple[Any, Any, Any]] = {}
        self.counts: Counter[str] = Counter()

    def brand(self, brand_id: str) -> dict:
        if brand_id not in self.brands:
            self.brands[brand_id] = identity.get_brand(brand_id)
        return self.brands[brand_id]

    def offer(self, item: m.RenewalItem) -> tuple[dict | None, dict | None, dict | None]:
        """(price, subscription type, quote) of what ``item`` renews; Nones when not for sale."""
        key = (item.brand_id, item.package_id, item.subscription_type_id, item.price_id or "",
               item.currency)
        if key not in self.offers:
            self.offers[key] = _offer(self.brand(item.brand_id), item)
        return self.offers[key]


def run(now: datetime | None = None) -> dict[str, int]:
    state = _Run(now or settings.now())
    cutoff = ids.stamp(state.now) + "#~"
    for shard in m.due_shards():
        for item in m.InvoicingRecord.due.query(shard, m.InvoicingRecord.due_sk <= cutoff,
                                                limit=LIMIT_PER_SHARD):
            state.counts["due"] += 1
            try:
                if isinstance(item, R):
                    state.counts[watch(item, state)] += 1
                elif isinstance(item, I):
                    state.counts[step(item, state)] += 1
                else:
                    state.counts["other"] += 1
            except Exception:  # noqa: BLE001 - one bad item must not stop the others
                log.exception("renewals: %s %s not processed", type(item).__name__, item.pk)
                state.counts["errors"] += 1
    return dict(state.counts)


def _move(item: Any, actions: list[Any]) -> bool:
    model = type(item)
    try:
        item.update(actions=[*actions, model.version.set(int(item.version) + 1)],
                    condition=model.version == item.version)
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def watch(item: m.RenewalItem, state: _Run) -> str:
    now = state.now
    sub = licensing.subscription_of(item.brand_id, item.user_id)
    if (sub is None or sub["packageId"] != item.package_id or sub["expiryDate"] is None
            or sub["status"] == "Expired"):
        return "retired" if _move(item, _due(item, None, "R", item.user_id)) else "conflict"
    end: datetime = sub["expiryDate"]
    rules = policy(state.brand(item.brand_id))
    point = end - timedelta(days=rules["invoiceRenewalDays"])
    overdue = end + timedelta(days=rules["licenseGraceDays"])
    if now < point:
        return "rescheduled" if _move(item, _due(item, point, "R", item.user_id)) else "conflict"
    if item.expiry_invoiced == end:
        # This period is invoiced: look again a day after its overdue date, in case the end
        # moved without a payment (a license code applied); a payment arms the watch itself.
        later = overdue + RECHECK_AFTER_OVERDUE
        if now >= later:
            return "retired" if _move(item, _due(item, None, "R", item.user_id)) else "conflict"
        return "waiting" if _move(item, _due(item, later, "R", item.user_id)) else "conflict"
    if now >= max(overdue, end + timedelta(seconds=1)):
        # Too late to invoice (the job was down, or the end moved back): licensing ends it.
        return "too-late" if _move(item, _due(item, None, "R", item.user_id)) else "conflict"
    return create(item, state, end, overdue, rules)


def _price(brand_id: str, item: m.RenewalItem) -> dict | None:
    """The price renewed: the one bought, else the package's price of the same subscription
    type and currency (the one bought was deleted or hidden since)."""
    if item.price_id:
        try:
            return catalog.get_price(brand_id, item.price_id, public=True)
        except ApiError:
            pass
    try:
        prices = catalog.prices_for_package(brand_id, item.package_id, public=True)
    except ApiError:
        return None
    return next((p for p in prices if p.get("subscriptionTypeId") == item.subscription_type_id
                 and p.get("currency") == item.currency and p.get("pricingModel") != "OneTime"),
                None)


def _offer(brand: dict, item: m.RenewalItem) -> tuple[Any, Any, Any]:
    price = _price(brand["id"], item)
    subtype = _subtype(brand["id"], item.subscription_type_id)
    if price is None or subtype is None:
        return None, None, None
    try:
        return price, subtype, catalog.quote(brand, item.package_id, price_id=price["id"])
    except ApiError as e:
        log.warning("renewal: no quote for price %s: %s", price["id"], e)
        return None, None, None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _name(brand_id: str, price: dict, subtype: dict | None) -> str:
    name = price.get("packageName") or "Package"
    if subtype is not None:
        name = f"{name} - {subtype.get('name') or subtype.get('code')}"
    return name


def create(item: m.RenewalItem, state: _Run, end: datetime, overdue: datetime,
           rules: dict[str, Any]) -> str:
    """The provisional invoice of the period after ``end``, once (the module docstring)."""
    brand_id, now = item.brand_id, state.now
    price, subtype, quote = state.offer(item)
    if price is None or quote is None or subtype is None:
        log.warning("renewal of %s: package %s is no longer for sale; no invoice",
                    item.user_id, item.package_id)
        ok = _move(item, _due(item, None, "R", item.user_id))
        return "not-for-sale" if ok else "conflict"
    currency = quote["currency"]
    total = money.to_minor(quote["total"], currency)
    if total <= 0:  # nothing to pay (a free price, a 100 % coupon): nothing to invoice
        ok = _move(item, _due(item, None, "R", item.user_id))
        return "nothing-to-pay" if ok else "conflict"
    stored = {**_plain(quote), "quantity": 1, "totalMinor": total, "gatewayMinor": total,
              "walletMinor": 0, "priceAmountMinor": int(price["amountMinor"]),
              "duration": {"unit": subtype["unit"], "quantity": int(subtype.get("quantity") or 1)},
              "renewalOf": end.isoformat()}
    figures = amounts.figures({"quote": stored, "currency": currency, "amountMinor": total,
                               "amountGrossMinor": total})
    user = _user(brand_id, item.user_id)
    if user is None:
        ok = _move(item, _due(item, None, "R", item.user_id))
        return "no-user" if ok else "conflict"
    invoice_id = ids.new_id()
    name = _name(brand_id, price, subtype)
    _, sealed = paying.new_pay_token(invoice_id)
    offsets = rules["invoiceReminderDays"]
    done = [d for d in offsets if end - timedelta(days=d) <= now]
    invoice = I(
        m.invoice_pk(brand_id, invoice_id), m.INVOICE_SK, id=invoice_id, brand_id=brand_id,
        number=None, code=f"DRAFT-{ids.new_code(8)}", type=PROVISIONAL, status=UNPAID,
        purpose="Purchase", name=name, description=price.get("description"),
        user_id=item.user_id, user=_user_snapshot(user), payment_id=None, payment={},
        package_id=item.package_id, package_code=None,
        subscription_type_id=item.subscription_type_id, currency=currency,
        items=[{"id": ids.new_id(), "name": name, "quantity": 1,
                "unitMinor": figures.unit_subtotal, "amountMinor": figures.subtotal}],
        subtotal_minor=figures.subtotal, discount_minor=figures.discount,
        prorate_minor=figures.prorate,
        tax_percent=str(figures.tax_percent) if figures.tax_percent is not None else None,
        tax_minor=figures.tax, total_minor=figures.total, wallet_minor=0, paid_minor=0,
        coupon_code=quote.get("couponCode"), invoice_date=now, due_date=end,
        overdue_date=overdue, period_start=end,
        period_end=catalog.subscription_end(end, subtype), test_mode=bool(item.test_mode),
        price_id=price["id"], quote=stored, reminded_days=done, pay_token=sealed, version=1,
        announced=False, charge_tried=False,
        gsi1pk=m.invoices_gsi(brand_id), gsi1sk=f"{ids.stamp(now)}#{invoice_id}",
        gsi2pk=m.user_invoices_gsi(brand_id, item.user_id),
        gsi2sk=f"{ids.stamp(now)}#{invoice_id}", created_date=now, modified_date=now)
    # Due at once: its announcement (an off-session charge, else the mail with the pay link)
    # is the invoice's first step, so a crash right after this commit still announces it.
    invoice.due_pk = m.due_shard(invoice_id)
    invoice.due_sk = m.due_sk(now, "I", brand_id, invoice_id)
    later = overdue + RECHECK_AFTER_OVERDUE
    try:
        with transaction() as tx:
            tx.update(item, actions=[R.expiry_invoiced.set(end), R.invoice_id.set(invoice_id),
                                     R.version.set(int(item.version) + 1),
                                     R.modified_date.set(now),
                                     *_due(item, later, "R", item.user_id)],
                      condition=(R.version == item.version))
            tx.save(invoice, condition=I.pk.does_not_exist())
    except ConditionFailed:
        return "conflict"  # a copy of the job made it, or the watch moved meanwhile
    log.info("renewal of %s: provisional invoice %s for %s", item.user_id, invoice_id, end)
    state.counts["created"] += 1
    return announce(invoice, state, user)


def _charge_saved(brand: dict, invoice: m.InvoiceItem) -> bool:
    """THE seam for the off-session charge (auto-renew): charge the buyer's saved card for the
    invoice; True when the gateway accepted the charge (the invoice is then paid by that
    payment's completion, as by any payment of it), False to fall back to the mailed link (no
    saved card, or the gateway refused it: the payment is then Failed with the reason).

    It is called at most once per invoice (``chargeTried`` is set first, conditioned on the
    invoice's version, so two runs at once can't both charge); the key makes a repeat of the
    same call charge once too."""
    if not invoice.user_id:
        return False
    order = paying.order_for(brand, invoice)
    try:
        charged = payments.charge_saved_card(brand, invoice.user_id, order,
                                             fields=order.fields, key=f"renewal:{invoice.id}")
    except ApiError as e:  # a refusal of ours (nothing to pay, a risk block): mail the link
        log.info("invoice %s: no off-session charge (%s)", invoice.id, e)
        return False
    return charged is not None


def announce(invoice: m.InvoiceItem, state: _Run, user: Any = None) -> str:
    """A new provisional invoice's first step: the off-session charge when the buyer saved a
    card, else (or when it fails) the INVOICE.RENEWAL.CREATED mail with the pay link; once."""
    brand = state.brand(invoice.brand_id)
    if not invoice.charge_tried:
        if not _move(invoice, [I.charge_tried.set(True)]):  # the item takes what was stored
            return "conflict"
        if _charge_saved(brand, invoice):
            ok = _move(invoice, [I.announced.set(True), I.modified_date.set(state.now),
                                 *_due(invoice, next_step(invoice, _offsets(state, invoice)),
                                       "I", invoice.id)])
            return "charged" if ok else "conflict"
    user = user or _user(invoice.brand_id, invoice.user_id or "")
    rows = (_mails(invoice.brand_id, user, invoice, "INVOICE.RENEWAL.CREATED",
                   paying.open_token(invoice)) if user is not None else [])
    nxt = next_step(invoice, _offsets(state, invoice))
    try:
        with transaction() as tx:
            tx.update(invoice, actions=[
                I.announced.set(True), I.version.set(int(invoice.version) + 1),
                I.modified_date.set(state.now), *_due(invoice, nxt, "I", invoice.id)],
                condition=(I.version == invoice.version) & (I.status == UNPAID)
                & (I.announced == False))  # noqa: E712 - a DynamoDB condition
            notify.add(tx, rows)
    except ConditionFailed:
        return "conflict"
    notify.publish(rows)
    return "mailed"


def _offsets(state: _Run, invoice: m.InvoiceItem) -> list[int]:
    return policy(state.brand(invoice.brand_id))["invoiceReminderDays"]


def _user(brand_id: str, user_id: str) -> Any:
    try:
        user = identity.get_user_item(brand_id, user_id)
    except ApiError:
        return None
    return None if user.status == "Deleted" else user


def _user_snapshot(user: Any) -> dict[str, Any]:
    return {"id": user.id, "createdDate": user.created_date.isoformat()
            if user.created_date else None, "code": user.code, "username": user.username,
            "firstName": user.first_name, "lastName": user.last_name,
            "nickName": user.nick_name, "emailAddress": user.email_address,
            "packageId": user.package_id}


def next_step(invoice: m.InvoiceItem, offsets: list[int]) -> datetime:
    """When the invoice is next due: its nearest reminder not done, else its overdue date."""
    assert invoice.due_date is not None and invoice.overdue_date is not None
    done = set(invoice.reminded_days or [])
    ahead = [invoice.due_date - timedelta(days=d) for d in offsets if d not in done]
    return min([*ahead, max(invoice.overdue_date, invoice.due_date)])


def _context(user: Any, invoice: m.InvoiceItem, token: str | None) -> dict[str, Any]:
    c = invoice.currency
    return {
        "user": notify.user_vars(username=user.username, email_address=user.email_address,
                                 first_name=user.first_name, last_name=user.last_name,
                                 nick_name=user.nick_name),
        "invoice": {"code": invoice.code, "name": invoice.name,
                    "total": str(money.to_decimal(int(invoice.total_minor), c)),
                    "currency_code": c, "due_date": notify.mail_date(invoice.due_date),
                    "overdue_date": notify.mail_date(invoice.overdue_date),
                    "period_start": notify.mail_date(invoice.period_start),
                    "period_end": notify.mail_date(invoice.period_end),
                    "reminder_count": int(invoice.reminded_count or 0),
                    "pay_link": paying.pay_link(invoice, token) if token else None}}


def _mails(brand_id: str, user: Any, invoice: m.InvoiceItem, event: str,
           token: str | None) -> list[Any]:
    if not user.email_address:
        return []
    return [notify.mail(brand_id, event, user.email_address, _context(user, invoice, token),
                        language_code=user.language_code)]


def _moved_on(invoice: m.InvoiceItem) -> bool:
    """Before its overdue date: was the subscription renewed or changed another way (its end
    moved, another package), or did it end early (revoked)? Then the invoice is moot."""
    sub = licensing.subscription_of(invoice.brand_id, invoice.user_id or "")
    return (sub is None or sub["status"] == "Expired" or sub["packageId"] != invoice.package_id
            or sub["expiryDate"] != invoice.due_date)


def step(invoice: m.InvoiceItem, state: _Run) -> str:
    """A provisional invoice's next reminder, or its overdue mark (the module docstring)."""
    now = state.now
    if invoice.type != PROVISIONAL or invoice.status != UNPAID or invoice.is_overdue:
        return "stale" if _move(invoice, _due(invoice, None, "I", invoice.id)) else "conflict"
    if not invoice.announced:
        return announce(invoice, state)
    offsets = policy(state.brand(invoice.brand_id))["invoiceReminderDays"]
    assert invoice.due_date is not None and invoice.overdue_date is not None
    if now >= max(invoice.overdue_date, invoice.due_date):
        return mark_overdue(invoice, state)  # whether licensing's expiry ran first or not
    if _moved_on(invoice):
        return withdraw(invoice)
    done = set(invoice.reminded_days or [])
    passed = [d for d in offsets if d not in done and invoice.due_date - timedelta(days=d) <= now]
    if not passed:
        nxt = next_step(invoice, offsets)
        ok = _move(invoice, _due(invoice, nxt, "I", invoice.id))
        return "rescheduled" if ok else "conflict"
    # Only the nearest reminder that has come is sent; older ones missed are marked done.
    invoice.reminded_days = sorted(done | set(passed), reverse=True)
    invoice.reminded_count = int(invoice.reminded_count or 0) + 1
    nxt = next_step(invoice, offsets)
    user = _user(invoice.brand_id, invoice.user_id or "")
    rows = (_mails(invoice.brand_id, user, invoice, "INVOICE.RENEWAL.REMINDER",
                   paying.open_token(invoice)) if user is not None else [])
    try:
        with transaction() as tx:
            tx.update(invoice, actions=[
                I.reminded_days.set(invoice.reminded_days),
                I.reminded_count.set(invoice.reminded_count),
                I.version.set(int(invoice.version) + 1), I.modified_date.set(now),
                *_due(invoice, nxt, "I", invoice.id)],
                condition=(I.version == invoice.version) & (I.status == UNPAID))
            notify.add(tx, rows)
    except ConditionFailed:
        return "conflict"
    notify.publish(rows)
    return "reminded"


def mark_overdue(invoice: m.InvoiceItem, state: _Run) -> str:
    now = state.now
    invoice.is_overdue = True
    user = _user(invoice.brand_id, invoice.user_id or "")
    rows = (_mails(invoice.brand_id, user, invoice, "INVOICE.RENEWAL.OVERDUE", None)
            + notify.texts_for(invoice.brand_id, "INVOICE.RENEWAL.OVERDUE", user,
                               _context(user, invoice, None)) if user is not None else [])
    try:
        with transaction() as tx:
            tx.update(invoice, actions=[
                I.is_overdue.set(True), I.overdue_marked.set(now),
                I.version.set(int(invoice.version) + 1), I.modified_date.set(now),
                *_due(invoice, None, "I", invoice.id)],
                condition=(I.version == invoice.version) & (I.status == UNPAID))
            notify.add(tx, rows)
    except ConditionFailed:
        return "conflict"
    notify.publish(rows)
    log.info("provisional invoice %s overdue", invoice.id)
    return "overdue"


def withdraw(invoice: m.InvoiceItem) -> str:
    """The subscription was renewed (or changed) another way: the provisional invoice goes."""
    try:
        invoice.delete(condition=(I.version == invoice.version) & (I.status == UNPAID)
                       & (I.type == PROVISIONAL))
    except Exception as e:  # noqa: BLE001 - only the condition is expected
        if getattr(e, "cause_response_code", None) == "ConditionalCheckFailedException":
            return "conflict"
        raise
    log.info("provisional invoice %s withdrawn: the subscription moved on", invoice.id)
    return "withdrawn"
