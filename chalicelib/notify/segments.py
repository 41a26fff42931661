"""How many SMS segments a text takes: GSM-7 (3GPP TS 23.038) when every character is in the
GSM 03.38 alphabet, else UCS-2 (UTF-16 code units).

GSM-7: 160 septets in one message, 153 per part of a longer one; the extension table's
characters (``^{}\\[~]|€`` and form feed) take two septets each. UCS-2: 70 code units, 67 per
part; a character outside the BMP (most emoji) takes two. A text longer than ``MAX_SEGMENTS``
is refused when a template is saved and cut when one is rendered (``cut``).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SEGMENTS = 10

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

_GSM7 = (160, 153)
_UCS2 = (70, 67)


@dataclass(frozen=True)
class Count:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def _is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def _units(c: str, gsm: bool) -> int:
    if gsm:
        return 2 if c in GSM7_EXTENDED else 1
    return 2 if ord(c) > 0xFFFF else 1


def count(text: str) -> Count:
    """The encoding, length and number of segments of ``text``."""
    gsm = _is_gsm7(text)
    single, part = _GSM7 if gsm else _UCS2
    units = sum(_units(c, gsm) for c in text)
    segments = 0 if units == 0 else 1 if units <= single else -(-units // part)
    return Count("GSM-7" if gsm else "UCS-2", units, segments)


def cut(text: str, max_segments: int = MAX_SEGMENTS) -> str:
    """``text`` cut to fit ``max_segments`` (never splitting a character)."""
    found = count(text)
    if found.segments <= max_segments:
        return text
    gsm = found.encoding == "GSM-7"
    budget = (_GSM7 if gsm else _UCS2)[1] * max_segments
    out, used = [], 0
    for c in text:
        used += _units(c, gsm)
        if used > budget:
            break
        out.append(c)
    return "".join(out)
