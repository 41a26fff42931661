"""Converting money between two of a user's wallets at the brand's rate, with the brand's fee.

One conversion is ONE ``ledger.post``: the debit of the original wallet and the credit(s) of
the target, and the conversion's record, all in one transaction: both happen or neither.

- Amounts: ``totalAmount`` is taken from the original wallet (its currency); the brand's fee
  (fees.py) is a percent of it, rounded half-up to the original's minor unit; the rest is
  converted at the rate in force (rates.py) and ROUNDED DOWN to the target's minor unit
  (rounding.py): the brand never creates money. A conversion that would credit 0 is a 400.
- The fee the buyer saw: a ``fee`` sent must equal the one computed now (409 ``FEE_CHANGED``
  otherwise, nothing moves), so nobody pays a fee they were not shown.
- Parts: the debit takes granted money first, then paid (the ledger's rule); the target is
  credited in the same proportion, one ledger row per part (granted stays granted, paid stays
  paid; rounding.split_credit). The split is planned from the wallet as read and checked
  against the wallet the ledger reads in its transaction: a wallet that changed meanwhile is
  planned again.
- Who and what: both wallets the caller's own (anyone else's: 404, as if missing), both Open,
  two different wallets of the same mode (test money never becomes live money).
- Each ledger row's description states the amounts, the fee, the rate, its version and date
  and the rounding; the ``WCONV`` record keeps them as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any

from chalicelib import money, settings
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.store import ids
from chalicelib.wallet import ledger
from chalicelib.wallet.rates import fees, rates, rounding
from chalicelib.wallet.rates import models as m

ATTEMPTS = 20
EXACT = Context(prec=80)


class FeeChanged(Conflict):
    code = "FEE_CHANGED"


class _Replan(Exception):
    """The original wallet's parts changed between the plan and the ledger's read."""


@dataclass(frozen=True)
class Quote:
    from_code: str
    to_code: str
    total_minor: int
    fee_minor: int
    fee_percent: Decimal
    credit_minor: int
    rate: rates.Rate

    @property
    def net_minor(self) -> int:
        return self.total_minor - self.fee_minor

    def dto(self) -> dict[str, Any]:
        f, t = self.from_code, self.to_code
        return {"fromCurrencyCode": f, "toCurrencyCode": t,
                "totalAmount": money.to_decimal(self.total_minor, f),
                "fee": money.to_decimal(self.fee_minor, f), "feePercent": self.fee_percent,
                "convertedAmount": money.to_decimal(self.net_minor, f),
                "amount": money.to_decimal(self.credit_minor, t), "rate": self.rate.rate,
                "rateVersion": self.rate.version,
                "rateDate": self.rate.last_update.isoformat() if self.rate.last_update else None,
                "rounding": f"down to the {t} minor unit ({money.exponent(t)} decimals)"}


def quote(brand_id: str, from_code: str, to_code: str, total_amount: Decimal,
          percent: Decimal | None = None, field: str = "totalAmount") -> Quote:
    total = money.to_minor(total_amount, from_code, field)
    if total <= 0:
        raise BadRequest(f"{field} must be greater than 0.", field=field)
    percent = fees.current_percent(brand_id) if percent is None else percent
    fee = rounding.fee_minor(total, percent)
    rate = rates.in_force(brand_id, from_code, to_code)
    credit = rounding.convert_minor(total - fee, from_code, to_code, rate.rate)
    money.check_minor(credit, to_code, field, what="The converted amount")
    if credit <= 0:
        raise BadRequest(
            f"{money.to_decimal(total, from_code)} {from_code}"
            + (f" less the fee of {money.to_decimal(fee, from_code)} {from_code}" if fee else "")
            + f" converts to less than one minor unit of {to_code} at {rate.rate}: nothing "
              "would be credited. Convert a larger amount.", field=field,
            code="CONVERT_AMOUNT_TOO_SMALL")
    return Quote(from_code, to_code, total, fee, percent, credit, rate)


def convert_amount(brand_id: str, from_code: str, to_code: str, amount: Decimal) -> Decimal:
    """``GET v1/exchange-rates/convert``: ``amount`` at the rate, no fee, rounded down."""
    total = money.to_minor(amount, from_code, "amount")
    rate = rates.in_force(brand_id, from_code, to_code)
    credit = rounding.convert_minor(total, from_code, to_code, rate.rate)
    return money.to_decimal(money.check_minor(credit, to_code, "amount",
                                              what="The converted amount"), to_code)


def _own(brand_id: str, user_id: str, wallet_id: str) -> Any:
    try:
        found = ledger.get_wallet(brand_id, wallet_id)
    except NotFound:
        found = None
    if found is None or found.user_id != user_id:
        raise NotFound(f"Wallet {wallet_id} was not found.", code="WALLET_NOT_FOUND")
    return found


def _pair(brand_id: str, user_id: str, original_id: str, target_id: str) -> tuple[Any, Any]:
    original = _own(brand_id, user_id, original_id)
    target = _own(brand_id, user_id, target_id)
    if original.id == target.id:
        raise BadRequest("originalWalletId and targetWalletId are the same wallet.",
                         field="targetWalletId", code="CONVERT_SAME_WALLET")
    if bool(original.test_mode) != bool(target.test_mode):
        raise BadRequest("A test-mode wallet and a live wallet can't be converted into each "
                         "other.", field="targetWalletId", code="CONVERT_MODE_MISMATCH")
    return original, target


def quote_wallets(brand_id: str, user_id: str, original_id: str, target_id: str,
                  total_amount: Decimal) -> Quote:
    original, target = _pair(brand_id, user_id, original_id, target_id)
    return quote(brand_id, original.currency, target.currency, total_amount)


def _plan(original: Any, total: int) -> tuple[int, int]:
    """(paid, granted) the debit takes: granted first, then paid."""
    paid, granted = int(original.paid_minor), int(original.granted_minor)
    if total > paid + granted:
        have = money.to_decimal(paid + granted, original.currency)
        raise ledger.InsufficientFunds(
            f"Wallet {original.id} holds {have} {original.currency}: less than the "
            f"{money.to_decimal(total, original.currency)} {original.currency} to convert.")
    taken_granted = min(total, granted)
    return total - taken_granted, taken_granted


def _open(*wallets: Any) -> None:
    for w in wallets:
        if w.status != "Open":
            raise ledger.WalletNotOpen(f"Wallet {w.id} is {w.status}: it can't take part in a "
                                       "conversion.")


def convert(brand_id: str, user_id: str, original_id: str, target_id: str,
            total_amount: Decimal, fee: Decimal | None = None) -> dict[str, Any]:
    """Convert (the module doc); the conversion's record as a dict."""
    original, target = _pair(brand_id, user_id, original_id, target_id)
    _open(original, target)
    q = quote(brand_id, original.currency, target.currency, total_amount)
    if fee is not None and money.to_minor(fee, original.currency, "fee") != q.fee_minor:
        raise FeeChanged(
            f"The conversion fee is {money.to_decimal(q.fee_minor, q.from_code)} {q.from_code} "
            f"({q.fee_percent}% of {money.to_decimal(q.total_minor, q.from_code)}), not the "
            f"{fee} sent: nothing was converted. Show the buyer the new fee and send it.",
            field="fee")
    conversion_id = ids.new_id()
    current = original
    for _ in range(ATTEMPTS):
        planned = _plan(current, q.total_minor)
        credit_paid, credit_granted = rounding.split_credit(q.credit_minor, *planned)

        def check(read: dict[str, Any], planned: tuple[int, int] = planned) -> None:
            _open(*read.values())
            if _plan(read[original.id], q.total_minor) != planned:
                raise _Replan

        now = settings.now()
        record = m.ConversionItem(
            m.conversion_pk(brand_id, conversion_id), m.CONVERSION_SK, id=conversion_id,
            user_id=user_id, original_wallet_id=original.id, target_wallet_id=target.id,
            from_code=q.from_code, to_code=q.to_code, total_minor=q.total_minor,
            fee_minor=q.fee_minor, fee_percent=str(q.fee_percent), rate=str(q.rate.rate),
            rate_version=q.rate.version, rate_date=q.rate.last_update,
            credited_minor=q.credit_minor, paid_minor=credit_paid,
            granted_minor=credit_granted, created_date=now)
        story = describe(q)
        moves = [ledger.Move(original.id, -q.total_minor, "WalletConvert",
                             split={"paid": planned[0], "granted": planned[1]},
                             description=f"Converted into wallet {target.code}: {story}",
                             ref_object="WalletConversion", ref_id=conversion_id)]
        for part, amount in (("paid", credit_paid), ("granted", credit_granted)):
            if amount:
                moves.append(ledger.Move(
                    target.id, amount, "WalletConvert", part=part,
                    description=f"Converted from wallet {original.code}: {story}; this row: "
                                f"the {part} part, {money.to_decimal(amount, q.to_code)} "
                                f"{q.to_code}",
                    ref_object="WalletConversion", ref_id=conversion_id))
        try:
            ledger.post(brand_id, moves, puts=[(record, m.ConversionItem.pk.does_not_exist())],
                        check=check)
        except _Replan:
            current = ledger.get_wallet(brand_id, original.id)
            continue
        return conversion_dto(record)
    raise Conflict("The wallet is busy; try again in a moment.", code="WALLET_BUSY")


def describe(q: Quote) -> str:
    f, t = q.from_code, q.to_code
    net = money.to_decimal(q.net_minor, f)
    exact = EXACT.multiply(net, q.rate.rate)
    when = q.rate.last_update.isoformat() if q.rate.last_update else "-"
    return (f"{money.to_decimal(q.total_minor, f)} {f} - fee {money.to_decimal(q.fee_minor, f)} "
            f"{f} ({q.fee_percent}%) = {net} {f} x {q.rate.rate} ({f}->{t} rate version "
            f"{q.rate.version} of {when}) = {exact} {t}, rounded down to "
            f"{money.to_decimal(q.credit_minor, t)} {t}")


def conversion_dto(item: Any) -> dict[str, Any]:
    f, t = item.from_code, item.to_code
    return {"id": item.id, "createdDate": item.created_date.isoformat(),
            "originalWalletId": item.original_wallet_id,
            "targetWalletId": item.target_wallet_id, "fromCurrencyCode": f,
            "toCurrencyCode": t, "totalAmount": money.to_decimal(int(item.total_minor), f),
            "fee": money.to_decimal(int(item.fee_minor), f),
            "feePercent": Decimal(item.fee_percent), "rate": Decimal(item.rate),
            "rateVersion": int(item.rate_version),
            "rateDate": item.rate_date.isoformat() if item.rate_date else None,
            "amount": money.to_decimal(int(item.credited_minor), t),
            "paidAmount": money.to_decimal(int(item.paid_minor), t),
            "grantedAmount": money.to_decimal(int(item.granted_minor), t)}
