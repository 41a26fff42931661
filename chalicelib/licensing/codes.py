"""License codes in JFW's format (reference.md §0.3 #3).

brand prefix (the brand's abbr, upper case, letters and digits only) + the first letter of the
package code + the subscription type id (``0`` for a license with none: a one-time purchase) +
the month letter of the start (A = January ... L = December) + 6 random characters A-Z0-9 from
the OS CSPRNG. Example ``DEMOGKD12ANPLKDMD5SI4QX7ZP``. Codes are unique per brand: the
``LICCODE`` item is written in the same transaction as the license (models.py).

Our ids are 14 characters, not JFW's small integers, so codes run longer than JFW's example; the
random part alone gives 36^6 (about 2.2e9) codes per prefix and month.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime

RANDOM_ALPHABET = string.ascii_uppercase + string.digits
RANDOM_LENGTH = 6
MONTH_LETTERS = "ABCDEFGHIJKL"
CUSTOM_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,63}$")


def _alnum_upper(value: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (value or "").upper())


def month_letter(moment: datetime) -> str:
    return MONTH_LETTERS[moment.month - 1]


def random_part() -> str:
    return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(RANDOM_LENGTH))


def prefix(brand_abbr: str, package_code: str, subscription_type_id: str | None,
           start: datetime) -> str:
    package_letter = _alnum_upper(package_code)[:1] or "X"
    return (_alnum_upper(brand_abbr) + package_letter
            + (_alnum_upper(subscription_type_id) or "0") + month_letter(start))


def generate(brand_abbr: str, package_code: str, subscription_type_id: str | None,
             start: datetime) -> str:
    return prefix(brand_abbr, package_code, subscription_type_id, start) + random_part()


def normalise(code: str) -> str:
    """How a code is stored and looked up: upper case, no surrounding blanks."""
    return (code or "").strip().upper()
