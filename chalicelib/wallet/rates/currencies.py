"""The currencies the API takes (JFW's ``ICurrency``): the ISO 4217 list money.py knows.

``isDefault`` marks the brand's currency (its setting ``currencyCode``, USD unless set);
``decimalDigits`` is the currency's minor-unit exponent, the precision every amount of it has
here; ``rounding`` is 0 (amounts are exact to the minor unit; no cash rounding); ``isCoin`` is
false (no brand coin currencies yet). Symbols come from a small table of common currencies
(no extra dependency); others answer null.
"""

from __future__ import annotations

from typing import Any

from chalicelib import money
from chalicelib.http import paging
from chalicelib.http.errors import BadRequest

# code -> (symbol, native symbol, plural name)
SYMBOLS: dict[str, tuple[str, str, str]] = {
    "USD": ("$", "$", "US dollars"), "EUR": ("€", "€", "euros"),
    "GBP": ("£", "£", "British pounds sterling"), "JPY": ("¥", "￥", "Japanese yen"),
    "CNY": ("CN¥", "CN¥", "Chinese yuan"), "KRW": ("₩", "₩", "South Korean won"),
    "INR": ("Rs", "₹", "Indian rupees"), "VND": ("₫", "₫", "Vietnamese dong"),
    "AUD": ("AU$", "$", "Australian dollars"), "CAD": ("CA$", "$", "Canadian dollars"),
    "NZD": ("NZ$", "$", "New Zealand dollars"), "HKD": ("HK$", "$", "Hong Kong dollars"),
    "SGD": ("S$", "$", "Singapore dollars"), "CHF": ("CHF", "CHF", "Swiss francs"),
    "SEK": ("Skr", "kr", "Swedish kronor"), "NOK": ("Nkr", "kr", "Norwegian kroner"),
    "DKK": ("Dkr", "kr", "Danish kroner"), "PLN": ("zł", "zł", "Polish zlotys"),
    "CZK": ("Kč", "Kč", "Czech Republic korunas"), "RUB": ("RUB", "₽", "Russian rubles"),
    "TRY": ("TL", "TL", "Turkish Lira"), "BRL": ("R$", "R$", "Brazilian reals"),
    "MXN": ("MX$", "$", "Mexican pesos"), "ZAR": ("R", "R", "South African rand"),
    "THB": ("฿", "฿", "Thai baht"), "PHP": ("₱", "₱", "Philippine pesos"),
    "IDR": ("Rp", "Rp", "Indonesian rupiahs"), "MYR": ("RM", "RM", "Malaysian ringgits"),
    "ILS": ("₪", "₪", "Israeli new sheqels"), "AED": ("AED", "د.إ.‏", "UAE dirhams"),
    "SAR": ("SR", "ر.س.‏", "Saudi riyals"), "KWD": ("KD", "د.ك.‏", "Kuwaiti dinars"),
    "BHD": ("BD", "د.ب.‏", "Bahraini dinars"), "TWD": ("NT$", "NT$", "New Taiwan dollars"),
}
SORTABLE = ("code", "name", "decimalDigits")
KEYWORD_FIELDS = ("code", "name", "namePlural", "symbol")


def to_dto(info: dict[str, Any], default_code: str) -> dict[str, Any]:
    code = info["code"]
    symbol, native, plural = SYMBOLS.get(code, (None, None, None))
    return {"id": code, "createdDate": None, "code": code, "name": info["name"],
            "namePlural": plural, "symbol": symbol, "symbolNative": native,
            "decimalDigits": info["exponent"], "rounding": 0, "isCoin": False,
            "isDefault": code == default_code, "numericCode": info["numericCode"]}


def brand_currency(brand: dict | None) -> str:
    return str(((brand or {}).get("setting") or {}).get("currencyCode") or "USD").upper()


def list_currencies(brand: dict | None, query: dict[str, Any]) -> dict[str, Any]:
    default_code = brand_currency(brand)
    rows = [to_dto(info, default_code) for info in money.currencies().values()]
    if query.get("code"):
        rows = [r for r in rows if r["code"] == str(query["code"]).strip().upper()]
    for field in ("name", "namePlural", "symbol", "symbolNative", "tags"):
        want = str(query.get(field) or "").strip().lower()
        if want:
            rows = [r for r in rows if want in str(r.get(field) or "").lower()]
    if query.get("decimalDigits") is not None:
        rows = [r for r in rows if r["decimalDigits"] == query["decimalDigits"]]
    if query.get("rounding") is not None:
        rows = [r for r in rows if r["rounding"] == query["rounding"]]
    if query.get("isCoin") is not None:
        rows = [r for r in rows if r["isCoin"] == bool(query["isCoin"])]
    query = {"sortDataField": "code", "sortOrder": "asc", **query}
    if query["sortDataField"] not in (*SORTABLE, "id"):
        raise BadRequest(f"sortDataField must be one of {', '.join(SORTABLE)}.",
                         field="sortDataField")
    return paging.page(rows, query, sortable=SORTABLE, default_sort="code",
                       keyword_fields=KEYWORD_FIELDS)
