"""Catalogue helpers: exact number literals in a body, a price row as an old release stored it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)  # the coupon and quote tests' time (their clock)


def with_literals(body: dict, **literals: str) -> bytes:
    """``body`` as JSON with the named fields written as these exact number literals (a Python
    float could not carry 9.990000000000000000001, and json.dumps writes no NaN on purpose)."""
    text = json.dumps({**body, **{k: f"@{k}@" for k in literals}})
    for k, literal in literals.items():
        text = text.replace(f'"@{k}@"', literal)
    return text.encode()


def set_amount_minor(brand: dict, price_id: str, minor: int) -> None:
    """What a price row holds if it was stored before the ceiling existed (DynamoDB keeps up
    to 38 digits). The head's version moves with it, as with any catalogue write, so a snapshot
    this process keeps (catalogue.query) is read again: the row is as if it had always been so."""
    from chalicelib.catalog.models import HEAD_SK, CatalogHead, PriceItem, cat_pk, price_sk
    from chalicelib.store.tx import transaction

    with transaction() as tx:
        tx.update(PriceItem(cat_pk(brand["id"]), price_sk(price_id)),
                  actions=[PriceItem.amount_minor.set(minor)])
        tx.update(CatalogHead(cat_pk(brand["id"]), HEAD_SK),
                  actions=[CatalogHead.version.add(1)])
