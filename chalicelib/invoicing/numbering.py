"""Invoice and credit-note numbers: gapless, per brand and sequence, never given twice.

Test mode's documents count in their own sequences (models.counter_of), printed alike: a test
payment leaves no gap in the live series.

A number is taken in the transaction that writes the numbered document: the sequence's counter
item goes from n-1 to n on the condition that it still holds n-1 (``take``), so a transaction
that commits has the next number and one that fails took none. Concurrent writers race on the
condition; the losers read the counter again and retry (``Retry``).

The printed form comes from a brand setting (``invoiceNumberFormat``,
``creditNoteNumberFormat``): literal text around exactly one ``{number}`` or ``{number:0Nd}``
(N 1-12): ``INV-{number:06d}`` -> ``INV-000001``. A setting that is not such a format (the
brand setting's schema refuses it; an older value might not be) prints with the default.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.invoicing import models as m

log = logging.getLogger("jfw.invoicing")

DEFAULTS = {m.INVOICE_SEQ: "INV-{number:06d}", m.CREDIT_SEQ: "CN-{number:06d}"}
SETTING = {m.INVOICE_SEQ: "invoiceNumberFormat", m.CREDIT_SEQ: "creditNoteNumberFormat"}
# The same pattern is the brand setting's schema (identity/schemas.py NumberFormat).
FORMAT = re.compile(r"^[A-Za-z0-9 ._/#-]{0,20}\{number(:0([1-9]|1[0-2])d)?\}"
                    r"[A-Za-z0-9 ._/#-]{0,20}$")


def valid_format(fmt: Any) -> bool:
    return isinstance(fmt, str) and FORMAT.fullmatch(fmt) is not None


def render(fmt: str, number: int) -> str:
    """``number`` printed with ``fmt`` (checked by ``valid_format``)."""
    if number < 1:
        raise ValueError("numbers start at 1")
    return fmt.format(number=number)


def format_for(brand: dict, sequence: str) -> str:
    fmt = (brand.get("setting") or {}).get(SETTING[sequence])
    if fmt in (None, ""):
        return DEFAULTS[sequence]
    if not valid_format(fmt):
        log.warning("brand %s: %s %r is not a number format; the default is used",
                    brand.get("id"), SETTING[sequence], fmt)
        return DEFAULTS[sequence]
    return fmt


def current(brand_id: str, sequence: str) -> int:
    """The last number given in the sequence (0 before the first), read consistently."""
    try:
        return int(m.CounterItem.get(m.counter_pk(brand_id, sequence), m.COUNTER_SK,
                                     consistent_read=True).value or 0)
    except DoesNotExist:
        return 0


def take(tx: Any, brand_id: str, sequence: str, last: int) -> int:
    """Add to ``tx`` the counter's move from ``last`` to ``last + 1`` (its condition: it still
    holds ``last``); the number taken, if ``tx`` commits."""
    now = settings.now()
    if last == 0:
        tx.save(m.CounterItem(m.counter_pk(brand_id, sequence), m.COUNTER_SK, value=1,
                              modified_date=now),
                condition=m.CounterItem.pk.does_not_exist())
    else:
        item = m.CounterItem(m.counter_pk(brand_id, sequence), m.COUNTER_SK)
        tx.update(item, actions=[m.CounterItem.value.set(last + 1),
                                 m.CounterItem.modified_date.set(now)],
                  condition=m.CounterItem.value == last)
    return last + 1
