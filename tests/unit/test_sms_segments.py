"""SMS segments: GSM-7 vs UCS-2 lengths and the cut at the segment cap."""

from __future__ import annotations

import pytest

from chalicelib.notify import segments


@pytest.mark.parametrize(("text", "encoding", "units", "parts"), [
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),  # extension table: two septets each
    ("{" * 81, "GSM-7", 162, 2),
    ("Ünïcode? ñ é Ä", "UCS-2", 14, 1),  # ï is not in GSM 03.38
    ("é" * 70, "GSM-7", 70, 1),
    ("ą" * 70, "UCS-2", 70, 1),
    ("ą" * 71, "UCS-2", 71, 2),
    ("ą" * 134, "UCS-2", 134, 2),
    ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: a surrogate pair each
    ("😀" * 36, "UCS-2", 72, 2),
])
def test_count(text, encoding, units, parts):
    assert segments.count(text) == segments.Count(encoding, units, parts)


def test_cut_keeps_at_most_the_cap():
    assert segments.cut("a" * 1530) == "a" * 1530  # 10 x 153
    assert segments.cut("a" * 5000) == "a" * 1530
    assert segments.cut("ą" * 5000) == "ą" * 670  # 10 x 67
    cut = segments.cut("€" * 1000)
    assert cut == "€" * 765 and segments.count(cut).segments == 10
    cut = segments.cut("😀" * 1000)  # never half a surrogate pair
    assert cut == "😀" * 335 and segments.count(cut).segments == 10
    assert segments.cut("a" * 400, max_segments=2) == "a" * 306
