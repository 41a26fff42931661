"""Count what predates the report counters, for brands whose payments and licenses were made
before the reports context was deployed (run once per brand after the deploy):

    python -m chalicelib.reports.rebuild <brandId> [<brandId> ...] [--check]

Each payment and license goes through the same idempotent ``count`` as the outbox's events, so
running it twice, or while the outbox delivers, counts nothing twice. It reads every payment
and license of the brand (one paged Query of each): an operator's tool, never a request path.
``--check`` only compares the counters with a recomputation and says what differs.
"""

from __future__ import annotations

import argparse
import sys

from chalicelib.reports import counters, license_counts


def check(brand_id: str) -> list[str]:
    """What the counters hold that a recomputation doesn't (empty: they agree)."""
    out = []
    want, have = counters.recompute(brand_id), counters.held(brand_id)
    out += [f"sales {k}: counted {have.get(k)}, recomputed {want.get(k)}"
            for k in sorted(want.keys() | have.keys()) if want.get(k) != have.get(k)]
    want_l = license_counts.recompute(brand_id)
    have_l = license_counts.held(brand_id, {month for month, _ in want_l})
    out += [f"licenses {k}: counted {have_l.get(k)}, recomputed {want_l.get(k)}"
            for k in sorted(want_l.keys() | have_l.keys()) if want_l.get(k) != have_l.get(k)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.reports.rebuild",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("brand_ids", nargs="+", metavar="brandId")
    parser.add_argument("--check", action="store_true", help="compare only; change nothing")
    args = parser.parse_args(argv)
    bad = 0
    for brand_id in args.brand_ids:
        if args.check:
            diff = check(brand_id)
            bad += bool(diff)
            print(f"{brand_id}: " + ("counters agree" if not diff else "\n  ".join(
                ["counters differ:", *diff])))
            continue
        sales = counters.rebuild(brand_id)
        licenses = license_counts.rebuild(brand_id)
        print(f"{brand_id}: {sales} payment(s) and {licenses} license(s) counted")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
