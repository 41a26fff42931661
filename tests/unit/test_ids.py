"""Ids and codes: their alphabet and length, and every character equally likely at every
position (store/ids.py maps each random byte below a multiple of the alphabet's size to one
character), and no two processes drawing the same bytes."""

from __future__ import annotations

import os
import string
from collections import Counter

from chalicelib.store import ids


def test_ids_and_codes_have_their_alphabet_and_length():
    for _ in range(2000):
        i, c = ids.new_id(), ids.new_code()
        assert len(i) == 14 and set(i) <= set(string.ascii_letters + string.digits)
        assert len(c) == 8 and set(c) <= set(string.ascii_uppercase + string.digits)
    assert len(ids.new_id(20)) == 20


def test_every_character_is_equally_likely_at_every_position():
    draws = 31_000  # 500 expected per character and position
    counts = [Counter() for _ in range(14)]
    for _ in range(draws):
        for pos, ch in enumerate(ids.new_id()):
            counts[pos][ch] += 1
    expected = draws / 62
    for pos in counts:
        assert len(pos) == 62
        # chi-square with 61 degrees of freedom: 120 is far beyond its 99.99th percentile (~110)
        chi2 = sum((n - expected) ** 2 / expected for n in pos.values())
        assert chi2 < 120, chi2


def test_ids_do_not_repeat():
    assert len({ids.new_id() for _ in range(50_000)}) == 50_000


def test_a_forked_child_draws_other_ids_than_its_parent():
    ids.new_id()  # the parent holds random bytes not used yet
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id, to the parent
        os.write(write_end, ids.new_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read_end, 64).decode()
    assert len(child) == 14 and child != ids.new_id()
