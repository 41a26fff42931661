"""What one completed payment costs on AWS: request units, requests, invocations and dollars.

In-process, as bench/ipn.py: moto (mock_aws) for DynamoDB, SQS, SES, S3 and KMS, the app through
``chalice.test.Client``, and localstripe (started here on a free port, as the tests start it)
as Stripe. One journey of a buyer who already has an account:

    checkout link   POST v1/prices/{id}/generate-checkout-link (the PaymentIntent at localstripe)
    checkout page   GET of our hosted page, then the buyer pays with 4242 at localstripe (as the
                    page's Stripe.js does) and comes back to the page once (``&paid=true``)
    notification    localstripe's own signed ``payment_intent.succeeded`` webhook, posted to
                    our notification route
    consumer outbox the SQS ``outbox`` queue drained into the function Lambda calls
                    (chalicelib/devstack/worker.py's event shape, batches of up to 10), again
                    and again until it is empty: fulfilment, mails, the invoice, reports, ...

It prints, per phase and in total, and a baseline measured and computed in the same run:

    cost <phase> api=.. lambda=.. gb_s=.. handler_ms=.. (in_aws_calls=..) ddb_calls=..
         (GetItem=..) rru=.. wru=.. items_written=.. gsi_writes=.. gsi_wru=.. sqs=.. ses=..
         s3_put=.. s3_get=.. kms=.. usd_per_1000=..
    cost consumer_outbox.<row kind> (part of the line above) ddb_calls=.. ... usd_per_1000=..
    cost total ...  outbox_rows=(kind=n ...)
    cost usd_per_1000_payments=... (dynamodb=.. sqs=.. lambda=.. apigw=.. ses=.. ...)
    cost usd_per_1000_payments_if_arm64=...
    cost baseline bare GetItem+PutItem ...      (measured through the same meter: 1 and 1)
    cost baseline notification floor ...        (computed: issue 17's 3-item transaction)
    cost notification_transaction items=.. floor_items=3 items/floor x.. (<sort key>:<bytes> ...)

``--detail`` adds every DynamoDB item read or written, with its size and units: where the units
go, item by item.

Every AWS call is seen in ``botocore.client.BaseClient._make_api_call`` (PynamoDB's connection
and store/aws.py's clients alike). How it counts, and where it approximates:

- DynamoDB units follow DynamoDB's on-demand billing rules, from the real items: an item's size
  is the sum of its attribute names and values ("Item sizes and formats": strings and binaries
  by their bytes, numbers 1 byte per 2 significant digits + 1 (exactly: per base-100 digit,
  + 1 for a negative, as DynamoDB Local counts), null/bool 1, lists and maps 3 + 1 per element
  + their elements, sets their elements). Items are read from moto's backend before and after
  each write (not through the API, so not counted). These sizes, and the units below, are the
  ones DynamoDB Local reports in ConsumedCapacity (tests/e2e/test_cost_units_dynamodb_local.py)
  except where said.
  - Reads: GetItem ceil(size / 4 KB) read units, half when eventually consistent; a missing
    item still costs the minimum. BatchGetItem: each item rounded up to 4 KB, then added up (a
    missing one adds nothing). TransactGetItems 2x. Query/Scan: the total size of the items
    read, rounded up to 4 KB once per call; an empty one is counted at the minimum (DynamoDB
    Local bills it 0: half a unit too many per empty eventually consistent Query, if AWS does
    the same; ``empty_queries`` says how many). The
    items are taken from the reply by key, at their full size in the table (or their
    projection in an INCLUDE index), whatever the ProjectionExpression. Approximation: items a
    filter threw away (ScannedCount - Count) are counted at the mean size of the returned ones
    (1 KB when none came back).
  - Writes: ceil(size / 1 KB) per item, the size being the larger of the item before and after
    (PutItem, UpdateItem; DeleteItem the deleted item), at least 1; in TransactWriteItems 2x.
    Approximation: a ConditionCheck in a transaction is counted as a transactional write of
    the checked item's size (2 units per KB, at least 2; DynamoDB Local bills it 0, AWS's
    pages don't say; the journey has none today: ``--detail`` lists them); a write whose
    condition fails is counted as if it had been done (``failed`` says if any).
  - GSI writes (every table has indexes: store/schema.py), standard units (not doubled in a
    transaction), ceil(projected size / 1 KB): an item that enters or leaves an index is one
    write, one that stays with a changed projection one, one whose index key changes two
    (delete + put); an item outside the index (sparse keys absent) costs nothing there. The
    projected size is the table's keys + the index's keys + its projected attributes.
- SQS: each request is billed per 64 KB chunk of its payload; a batch of up to 10 is one
  request. The ReceiveMessage that brought messages and the DeleteMessageBatch after each
  batch are counted (Lambda's poller makes them on our bill); the poller's empty long polls are
  a fixed cost per month, not per payment, and are left out, as are the scheduled jobs
  (sweeper, janitor... each a fixed number of invocations per month).
- SES: one mail per recipient of each send. S3: PUT/COPY/POST/LIST vs GET/HEAD tiers. KMS: per
  request.
- Lambda: one invocation per API request and per SQS batch consumed; GB-seconds = the measured
  handler time (rounded up to 1 ms per invocation, as Lambda bills) x the memory infra/ deploys
  (``lambdaMemoryMb``, infra/config.py: 512 MB default; x86_64, Chalice's default: infra/
  sets no architecture). Approximation: the time includes moto's time inside AWS calls, which
  is not what DynamoDB's latency is; ``in_aws_calls`` prints how much of it that is.
- API Gateway: one REST API request per HTTP request to the app. localstripe's requests are
  Stripe's, not ours; the webhook to brands costs nothing here (the brand has no endpoint).

Prices (us-east-1, on-demand, no free tier) are in ``PRICES`` below with the date they are from.

Run: .venv/bin/python bench/cost.py
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]

# AWS's published on-demand prices for us-east-1, in USD, as the pricing pages showed them in
# January 2025 (written from knowledge of those pages, not fetched by this script; check
# https://aws.amazon.com/<service>/pricing/ before relying on them). DynamoDB's are the ones
# after its 50 % cut of on-demand throughput on 2024-11-01. Free tiers are ignored.
PRICES_DATE = "2025-01 (us-east-1, on-demand)"
PRICES: dict[str, Decimal] = {
    "dynamodb_write_request_unit": Decimal("0.625") / 10**6,
    "dynamodb_read_request_unit": Decimal("0.125") / 10**6,
    "sqs_standard_request": Decimal("0.40") / 10**6,
    "lambda_request": Decimal("0.20") / 10**6,
    "lambda_gb_second_x86_64": Decimal("0.0000166667"),
    "lambda_gb_second_arm64": Decimal("0.0000133334"),
    "apigateway_rest_request": Decimal("3.50") / 10**6,  # the first 333 million a month
    "ses_mail": Decimal("0.10") / 1000,
    "s3_put_request": Decimal("0.005") / 1000,
    "s3_get_request": Decimal("0.0004") / 1000,
    "kms_request": Decimal("0.03") / 10000,
}
LAMBDA_ARCHITECTURE = "x86_64"  # infra/ sets none: Chalice's default

KB = 1024
READ_UNIT_BYTES = 4 * KB
SQS_CHUNK_BYTES = 64 * KB


# ---- DynamoDB's size and unit arithmetic (tests/unit/test_cost_units.py) ----

def number_size(text: str) -> int:
    """A number's bytes, as DynamoDB Local counts them (checked against its ConsumedCapacity):
    one per base-100 digit, the digits paired from the decimal point (1.5 is two: 01.50), plus
    one, plus one more for a negative number; zero is one byte. DynamoDB's documentation says
    "approximately 1 byte per two significant digits, plus 1"."""
    sign, digits, exponent = Decimal(text.strip()).as_tuple()
    if not any(digits):
        return 1
    assert isinstance(exponent, int), text  # no NaN or Infinity in DynamoDB
    powers = [exponent + len(digits) - 1 - i for i, d in enumerate(digits) if d]
    return max(powers) // 2 - min(powers) // 2 + 1 + 1 + sign


def _binary_size(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return len(value)
    return len(base64.b64decode(value))  # moto keeps binaries base64-encoded


def value_size(value: dict[str, Any]) -> int:
    """The size of one attribute value in DynamoDB JSON ({"S": "..."}), without its name."""
    [(kind, v)] = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return _binary_size(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(number_size(n) for n in v)
    if kind == "BS":
        return sum(_binary_size(b) for b in v)
    if kind == "L":
        return 3 + sum(1 + value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in v.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, dict[str, Any]] | None) -> int:
    """An item's size: the sum of its attribute names and values (0 for no item)."""
    return sum(len(name.encode()) + value_size(v) for name, v in (item or {}).items())


def write_units(size: int, transactional: bool = False) -> int:
    """Write request units of one item: one per 1 KB begun, at least one; 2x in a transaction."""
    return max(1, math.ceil(size / KB)) * (2 if transactional else 1)


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    """Read request units of ``size`` bytes read in one go (an item, or a Query's whole page):
    one per 4 KB begun, at least one; half when eventually consistent, 2x in a transaction."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return units * 2.0
    return float(units) if consistent else units / 2


def batch_read_units(sizes: list[int], consistent: bool) -> float:
    """A BatchGetItem's read units for one table: each item's size rounded up to 4 KB, then
    added up (an item not found adds nothing, as DynamoDB Local bills it); at least the
    minimum of one read."""
    total = sum(math.ceil(size / READ_UNIT_BYTES) * READ_UNIT_BYTES for size in sizes)
    return read_units(total, consistent)


def sqs_requests(payload_bytes: int) -> int:
    """Billed SQS requests of one API request: one per 64 KB chunk of its payload begun."""
    return max(1, math.ceil(payload_bytes / SQS_CHUNK_BYTES))


def lambda_gb_seconds(seconds: float, memory_mb: int) -> float:
    """Billed GB-seconds of one invocation: its time rounded up to 1 ms, x its memory."""
    return math.ceil(seconds * 1000) / 1000 * memory_mb / 1024


def index_writes(before: dict | None, after: dict | None, table_keys: list[str],
                 index_keys: list[str], projected: list[str] | None) -> tuple[int, int]:
    """(write operations, write units) one item's change costs in one GSI. ``projected``: the
    non-key attributes the index holds, None for all of them."""
    def image(item: dict | None) -> dict | None:
        if not item or any(k not in item for k in index_keys):
            return None
        if projected is None:
            return item
        keep = set(table_keys) | set(index_keys) | set(projected)
        return {k: v for k, v in item.items() if k in keep}

    old, new = image(before), image(after)
    if old is None and new is None:
        return 0, 0
    if old is None or new is None:
        return 1, write_units(item_size(old or new))
    if all(old[k] == new[k] for k in index_keys):
        return (0, 0) if old == new else (1, write_units(max(item_size(old), item_size(new))))
    return 2, write_units(item_size(old)) + write_units(item_size(new))


# ---- the meter ----

@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)  # "dynamodb.GetItem": n
    rru: float = 0.0
    wru: int = 0
    gsi_writes: int = 0
    gsi_wru: int = 0
    items_written: int = 0
    sqs_requests: int = 0
    ses_mails: int = 0
    s3_put: int = 0
    s3_get: int = 0
    kms: int = 0
    api_requests: int = 0
    invocations: int = 0
    gb_s: float = 0.0
    handler_s: float = 0.0
    aws_s: float = 0.0
    failed: int = 0
    empty_queries: int = 0  # counted at the minimum read (see the module docstring)
    # What each transaction wrote: one list of "<sort key kind>:<bytes>" per TransactWriteItems.
    transactions: list[list[str]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            if isinstance(value, Counter):
                self.calls.update(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def dollars(self, architecture: str = LAMBDA_ARCHITECTURE) -> dict[str, Decimal]:
        """Dollars for this much, at ``PRICES``, by service."""
        p = PRICES

        def d(x: float) -> Decimal:
            return Decimal(repr(x))
        return {
            "dynamodb": d(self.rru) * p["dynamodb_read_request_unit"]
            + (self.wru + self.gsi_wru) * p["dynamodb_write_request_unit"],
            "sqs": self.sqs_requests * p["sqs_standard_request"],
            "lambda": self.invocations * p["lambda_request"]
            + d(self.gb_s) * p[f"lambda_gb_second_{architecture}"],
            "apigw": self.api_requests * p["apigateway_rest_request"],
            "ses": self.ses_mails * p["ses_mail"],
            "s3": self.s3_put * p["s3_put_request"] + self.s3_get * p["s3_get_request"],
            "kms": self.kms * p["kms_request"],
        }

    def per_1000(self, architecture: str = LAMBDA_ARCHITECTURE) -> Decimal:
        return sum(self.dollars(architecture).values(), Decimal(0)) * 1000

    def line(self, part: bool = False) -> str:
        """The figures; a ``part`` (an outbox row kind's share of its batches) has no
        request, invocation or time of its own: those are its phase's."""
        ddb = {k.split(".", 1)[1]: v for k, v in self.calls.items() if k.startswith("dynamodb.")}
        own = "" if part else (
            f"api={self.api_requests} lambda={self.invocations} gb_s={self.gb_s:.4f} "
            f"handler_ms={self.handler_s * 1000:.0f} (in_aws_calls={self.aws_s * 1000:.0f}) ")
        return (f"{own}ddb_calls={sum(ddb.values())} "
                f"({' '.join(f'{k}={v}' for k, v in sorted(ddb.items()))}) "
                f"rru={self.rru:g} wru={self.wru} items_written={self.items_written} "
                f"gsi_writes={self.gsi_writes} gsi_wru={self.gsi_wru} "
                f"sqs={self.sqs_requests} ses={self.ses_mails} s3_put={self.s3_put} "
                f"s3_get={self.s3_get} kms={self.kms}"
                + (f" failed={self.failed}" if self.failed else "")
                + (f" empty_queries={self.empty_queries}" if self.empty_queries else "")
                + f" usd_per_1000={self.per_1000():.4f}")


S3_GET_CLASS = ("GetObject", "HeadObject", "HeadBucket")


class Meter:
    """Counts every AWS call made while a phase is open, into that phase's Tally."""

    def __init__(self) -> None:
        self.phases: dict[str, Tally] = {}
        self.current: Tally | None = None
        self.original: Any = None
        # (phase, what) for --detail: every item written or read, with its size and units
        self.log: list[tuple[str, str]] = []
        self.region = "us-east-1"

    def note(self, what: str) -> None:
        self.log.append((self.current_name() or "?", what))

    def install(self) -> None:
        from botocore.client import BaseClient

        self.original = BaseClient._make_api_call
        meter = self

        def counted(client: Any, operation: str, params: dict) -> Any:
            tally = meter.current
            if tally is None:
                return meter.original(client, operation, params)
            service = client.meta.service_model.service_name
            tally.calls[f"{service}.{operation}"] += 1
            if service == "dynamodb":
                meter.region = client.meta.region_name
            before = meter.snapshot(operation, params) if service == "dynamodb" else None
            t0 = time.perf_counter()
            try:
                reply = meter.original(client, operation, params)
            except Exception:
                tally.aws_s += time.perf_counter() - t0
                tally.failed += 1
                if service == "dynamodb":
                    meter.dynamodb(tally, operation, params, {}, before)
                raise
            tally.aws_s += time.perf_counter() - t0
            if service == "dynamodb":
                meter.dynamodb(tally, operation, params, reply, before)
            else:
                meter.other(tally, service, operation, params, reply)
            return reply

        BaseClient._make_api_call = counted  # type: ignore[method-assign]

    def uninstall(self) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self.original  # type: ignore[method-assign]

    def phase(self, name: str) -> Tally:
        self.current = self.phases.setdefault(name, Tally())
        return self.current

    def current_name(self) -> str | None:
        return next((n for n, t in self.phases.items() if t is self.current), None)

    def off(self) -> None:
        self.current = None

    # moto's tables, read directly (no API call, nothing counted)
    def table(self, name: str) -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][self.region].get_table(name)

    def stored(self, table_name: str, key: dict) -> dict | None:
        table = self.table(table_name)
        found = table.get_item(key[table.hash_key_attr],
                               key.get(table.range_key_attr) if table.range_key_attr else None)
        return found.to_json()["Attributes"] if found else None

    def key_of(self, table_name: str, item: dict) -> dict:
        table = self.table(table_name)
        return {a: item[a] for a in (table.hash_key_attr, table.range_key_attr) if a}

    def _ddb_value(self, raw: dict) -> dict:
        """A key from a request: botocore already serialised it to DynamoDB JSON; moto wants
        its own DynamoType."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        return {k: DynamoType(v) for k, v in raw.items()}

    def _stored(self, table_name: str, key: dict) -> dict | None:
        return self.stored(table_name, self._ddb_value(key))

    def writes_of(self, operation: str, params: dict) -> list[tuple[str, str, dict]]:
        """(kind, table, key) of every item a write request touches."""
        if operation in ("PutItem",):
            return [("Put", params["TableName"], self.key_of(params["TableName"], params["Item"]))]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(operation[:-4], params["TableName"], params["Key"])]
        if operation == "BatchWriteItem":
            out = []
            for name, requests in params["RequestItems"].items():
                for r in requests:
                    if "PutRequest" in r:
                        out.append(("Put", name, self.key_of(name, r["PutRequest"]["Item"])))
                    else:
                        out.append(("Delete", name, r["DeleteRequest"]["Key"]))
            return out
        if operation == "TransactWriteItems":
            out = []
            for entry in params["TransactItems"]:
                [(kind, op)] = entry.items()
                key = op["Key"] if "Key" in op else self.key_of(op["TableName"], op["Item"])
                out.append((kind, op["TableName"], key))
            return out
        return []

    def snapshot(self, operation: str, params: dict) -> list[tuple[str, str, dict, Any]]:
        return [(kind, name, key, self._stored(name, key))
                for kind, name, key in self.writes_of(operation, params)]

    def dynamodb(self, tally: Tally, operation: str, params: dict, reply: dict,
                 before: list | None) -> None:
        if before:
            transactional = operation == "TransactWriteItems"
            if transactional:
                tally.transactions.append([])
            for kind, name, key, old in before:
                new = self._stored(name, key)
                if kind == "ConditionCheck":
                    tally.wru += write_units(item_size(old), True)
                    self.note(f"{operation} {kind} {name} {_sk(key)} "
                              f"{item_size(old)} B -> {write_units(item_size(old), True)} wru")
                    continue
                size = item_size(old) if kind == "Delete" else max(item_size(old),
                                                                    item_size(new))
                tally.wru += write_units(size, transactional)
                tally.items_written += 1
                if transactional:
                    tally.transactions[-1].append(f"{_sk(key)}:{size}")
                gsi = []
                table = self.table(name)
                table_keys = [a for a in (table.hash_key_attr, table.range_key_attr) if a]
                for index in table.global_indexes:
                    keys = [s["AttributeName"] for s in index.schema]
                    proj = index.projection or {}
                    projected = (None if proj.get("ProjectionType", "ALL") == "ALL"
                                 else list(proj.get("NonKeyAttributes") or []))
                    ops, units = index_writes(old, new, table_keys, keys, projected)
                    tally.gsi_writes += ops
                    tally.gsi_wru += units
                    if ops:
                        gsi.append(f"{index.name}:{units}")
                self.note(f"{operation} {kind} {name} {_sk(key)} {size} B -> "
                          f"{write_units(size, transactional)} wru"
                          + (f" + gsi {' '.join(gsi)}" if gsi else ""))
            return
        before_rru = tally.rru
        if operation == "GetItem":
            size = item_size(self._stored(params["TableName"], params["Key"]))
            tally.rru += read_units(size, bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            for name, spec in params["RequestItems"].items():
                sizes = [item_size(self._stored(name, key)) for key in spec["Keys"]]
                tally.rru += batch_read_units(sizes, bool(spec.get("ConsistentRead")))
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                op = entry["Get"]
                tally.rru += read_units(item_size(self._stored(op["TableName"], op["Key"])),
                                        True, transactional=True)
        elif operation in ("Query", "Scan"):
            read = self.query_bytes(params, reply)
            tally.rru += read_units(read, bool(params.get("ConsistentRead")))
            tally.empty_queries += not read
        target = params.get("TableName") or ",".join(params.get("RequestItems") or [])
        self.note(f"{operation} {target} {params.get('IndexName') or ''}"
                  f"{_sk(params['Key']) if 'Key' in params else ''} -> "
                  f"{tally.rru - before_rru:g} rru")

    def query_bytes(self, params: dict, reply: dict) -> int:
        """The bytes a Query/Scan read: the returned items at their full (or index-projected)
        size, plus the ones a filter dropped at the mean size (see the module docstring)."""
        name = params["TableName"]
        table = self.table(name)
        projected: list[str] | None = None
        keys: list[str] = []
        if params.get("IndexName"):
            index = next(i for i in table.global_indexes if i.name == params["IndexName"])
            keys = [s["AttributeName"] for s in index.schema]
            proj = index.projection or {}
            if proj.get("ProjectionType", "ALL") != "ALL":
                projected = list(proj.get("NonKeyAttributes") or [])
        table_keys = [a for a in (table.hash_key_attr, table.range_key_attr) if a]
        sizes = []
        for returned in reply.get("Items") or []:
            full = self._stored(name, {k: returned[k] for k in table_keys}) or returned
            if projected is not None:
                keep = set(table_keys) | set(keys) | set(projected)
                full = {k: v for k, v in full.items() if k in keep}
            sizes.append(item_size(full))
        dropped = max(0, int(reply.get("ScannedCount", len(sizes))) - len(sizes))
        mean = sum(sizes) / len(sizes) if sizes else KB
        return sum(sizes) + math.ceil(dropped * mean)

    def other(self, tally: Tally, service: str, operation: str, params: dict,
              reply: dict) -> None:
        if service == "sqs":
            if operation == "SendMessageBatch":
                size = sum(len(e["MessageBody"].encode()) for e in params["Entries"])
            elif operation == "SendMessage":
                size = len(params["MessageBody"].encode())
            elif operation == "ReceiveMessage":
                size = sum(len(m.get("Body", "").encode()) for m in reply.get("Messages") or [])
            else:
                size = 0
            tally.sqs_requests += sqs_requests(size)
        elif service in ("ses", "sesv2"):
            if operation in ("SendEmail", "SendRawEmail"):
                dest = params.get("Destination") or {}
                tally.ses_mails += max(1, sum(len(dest.get(k) or []) for k in
                                              ("ToAddresses", "CcAddresses", "BccAddresses")))
        elif service == "s3":
            if operation in S3_GET_CLASS:
                tally.s3_get += 1
            else:
                tally.s3_put += 1
        elif service == "kms":
            tally.kms += 1


def _sk(key: dict) -> str:
    """A key's sort key, its ids cut off: what kind of item it is (PAYMENT, HIST, ...)."""
    sk = next(iter((key.get("sk") or {"S": "-"}).values()))
    return re.sub(r"[0-9a-f]{8,}|\d{4}-\d\d-\d\dT[\d:.]+Z?", "*", str(sk))[:40]


# ---- the journey ----

def memory_mb() -> int:
    """The Lambda memory infra/ deploys by default."""
    sys.path.insert(0, str(ROOT))
    from infra.config import StageConfig

    return StageConfig.__dataclass_fields__["lambda_memory_mb"].default


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--detail", action="store_true",
                        help="also every DynamoDB item read or written, with its size and units")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.update({
        "JFW_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1"})
    for name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
        os.environ.pop(name, None)
    from tests.localstripe import (
        Receiver,
        for_pi,
        pay_as_the_browser,
        register_webhook,
        running_localstripe,
    )

    mem = memory_mb()
    with tempfile.TemporaryDirectory() as tmp, running_localstripe(Path(tmp)) as ls:
        os.environ["JFW_STRIPE_API_BASE"] = ls["base"]
        receiver = Receiver()
        try:
            register_webhook(ls["base"], "bench-cost", receiver.url, "whsec_bench_cost",
                             ["payment_intent.succeeded"])
            meter = journey(ls["base"], receiver, mem, pay_as_the_browser, for_pi)
        finally:
            receiver.close()
    if args.detail:
        for phase, what in meter.log:
            if not phase.startswith("warm-"):
                print(f"  {phase}: {what}")


def journey(stripe_base: str, receiver: Any, mem: int, pay_as_the_browser: Any,
            for_pi: Any) -> Meter:
    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings

        settings.reload()
        from chalice.test import Client

        from app import app
        from chalicelib.devstack.worker import failed_ids, lambda_event
        from chalicelib.http.routing import resolve
        from chalicelib.identity import brands
        from chalicelib.notify.models import OutboxItem
        from chalicelib.payments import service as payments
        from chalicelib.store import aws, bootstrap, schema

        bootstrap.create_all()
        aws.client("ses").verify_email_identity(EmailAddress=settings.get().mail_sender)
        brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
        b = brand["id"]
        from chalicelib.catalog import service as catalog

        pro = catalog.create_package(b, {"code": "PRO", "name": "Pro"})
        price = catalog.create_price(b, {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                         "code": "PRO-30", "name": "PRO-30", "amount": "20.00",
                                         "currency": "USD"})
        gw = payments.create_gateway(b, {
            "appIntegrationId": "stripe", "name": "Stripe", "publicKey": "pk_test_bench",
            "privateKey": "sk_test_bench", "webhookSecret": "whsec_bench_cost",
            "returnLink": "https://bench.test/paid", "cancelLink": "https://bench.test/cancel",
            "testMode": True})["id"]

        meter = Meter()
        meter.install()
        queue = schema.queue("outbox")
        sqs, url = aws.client("sqs"), aws.queue_url(queue.name)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        consumer = resolve(queue.consumer)
        by_kind(meter)

        def drain(phase: str | None) -> int:
            """Every message of the queue through the consumer, as Lambda's poller: batches."""
            batches = 0
            while True:
                meter.off()  # the empty long poll at the end is the poller's fixed cost
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=queue.batch_size,
                                          WaitTimeSeconds=0, AttributeNames=["All"],
                                          MessageAttributeNames=["All"])
                messages = got.get("Messages") or []
                if not messages:
                    return batches
                tally = meter.phase(phase) if phase else None
                if tally:
                    tally.calls["sqs.ReceiveMessage"] += 1
                    tally.sqs_requests += sqs_requests(
                        sum(len(m["Body"].encode()) for m in messages))
                t0 = time.perf_counter()
                result = consumer(lambda_event(messages, arn, "us-east-1"))
                elapsed = time.perf_counter() - t0
                failed = failed_ids(result, {m["MessageId"] for m in messages})
                assert not failed, f"the consumer failed {len(failed)} message(s): {result}"
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)])
                if tally:
                    tally.invocations += 1
                    tally.handler_s += elapsed
                    tally.gb_s += lambda_gb_seconds(elapsed, mem)
                batches += 1

        with Client(app) as client:
            def call(phase: str, method: str, path: str, **kw: Any) -> Any:
                tally = meter.phase(phase)
                t0 = time.perf_counter()
                resp = getattr(client.http, method)(path, **kw)
                elapsed = time.perf_counter() - t0
                meter.off()
                tally.api_requests += 1
                tally.invocations += 1
                tally.handler_s += elapsed
                tally.gb_s += lambda_gb_seconds(elapsed, mem)
                assert resp.status_code < 300, (path, resp.status_code, resp.body[:500])
                return resp

            def buyer(name: str) -> dict[str, str]:
                """A registered, logged-in buyer's headers (not counted)."""
                h = {"Content-Type": "application/json", "Brand-URL": "bench.test"}
                reg = client.http.post("/api/v1/users/register", headers=h, body=json.dumps({
                    "username": name, "password": "s3cret-Pass",
                    "emailAddress": f"{name}@example.com"}))
                assert reg.status_code == 200, reg.body
                login = client.http.post("/api/v1/users/auth", headers=h, body=json.dumps(
                    {"username": name, "password": "s3cret-Pass"}))
                assert login.status_code == 200, login.body
                return {**h, "Auth-Key": json.loads(login.body)["data"]["authKey"]}

            def outbox_ids() -> set[str]:
                return {r.id for r in OutboxItem.scan(OutboxItem.sk == "OUTBOX")}

            # Two buyers' first purchases: the first warms the process (caches, clients; out of
            # the count), the second is counted, as a warm Lambda serves it.
            for counted, h in ((False, buyer("warmup")), (True, buyer("buyer"))):
                tag = (lambda p: p) if counted else (lambda p: f"warm-{p}")  # noqa: E731
                drain(None)
                seen = outbox_ids()
                resp = call(tag("checkout link"), "post",
                            f"/api/v1/prices/{price['id']}/generate-checkout-link", headers=h)
                link = urlsplit(json.loads(resp.body)["data"])
                page = call(tag("checkout page"), "get", f"{link.path}?{link.query}")
                config = json.loads(re.search(
                    r'<script id="checkout-config" type="application/json">(.*?)</script>',
                    page.body.decode(), re.S).group(1))
                pi = pay_as_the_browser(stripe_base, config)
                assert pi["status"] == "succeeded", pi
                call(tag("checkout page"), "get", f"{link.path}?{link.query}&paid=true")
                headers, raw = receiver.wait_for(for_pi("payment_intent.succeeded", pi["id"]))
                call(tag("notification"), "post", f"/api/v1/ipn/stripe/{gw}", body=raw,
                     headers={"Content-Type": "application/json",
                              "Stripe-Signature": headers["Stripe-Signature"]})
                drain(tag(f"consumer {queue.name}"))
                payment_id = link.path.rsplit("/", 1)[1]
                assert payments.get_payment(b, payment_id).status == "Completed"

            rows = [r for r in OutboxItem.scan(OutboxItem.sk == "OUTBOX") if r.id not in seen]
            kinds = Counter(r.kind for r in rows)
            unsent = [r.kind for r in rows if r.status != "Sent"]
            baseline = measured_baseline(meter)
        meter.uninstall()

    report(meter, kinds, unsent, baseline, mem)
    return meter


def by_kind(meter: Meter) -> None:
    """The outbox consumer's work on each row counted apart, as ``<phase>: <row kind>``: the
    batch's invocation, time and SQS requests stay the phase's own. Skipped if notify/jobs.py
    no longer acts on rows one by one through ``process(brand_id, outbox_id)``."""
    from chalicelib.notify import jobs
    from chalicelib.notify.models import OutboxItem, outbox_pk

    original = getattr(jobs, "process", None)
    if original is None:
        return

    def process(brand_id: str, outbox_id: str) -> Any:
        outer, name = meter.current, meter.current_name()
        if outer is None:
            return original(brand_id, outbox_id)
        meter.off()
        try:
            kind = OutboxItem.get(outbox_pk(brand_id, outbox_id), "OUTBOX").kind
        except OutboxItem.DoesNotExist:
            kind = "?"
        meter.phase(f"{name}: {kind}")
        try:
            return original(brand_id, outbox_id)
        finally:
            meter.current = outer

    jobs.process = process


def measured_baseline(meter: Meter) -> Tally:
    """One bare GetItem (strongly consistent) and one PutItem of a ~200-byte item in a table
    with no index, through the same meter: 1 read unit and 1 write unit."""
    from chalicelib.store import aws

    ddb = aws.client("dynamodb")
    ddb.create_table(TableName="bench-cost-bare", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    tally = meter.phase("baseline")
    ddb.put_item(TableName="bench-cost-bare",
                 Item={"pk": {"S": "p1"}, "body": {"S": "x" * 190}})
    ddb.get_item(TableName="bench-cost-bare", Key={"pk": {"S": "p1"}}, ConsistentRead=True)
    meter.off()
    return tally


def floor() -> Tally:
    """Issue 17's floor for a notification, computed: one GetItem (the payment, strongly
    consistent, under 4 KB) and one transaction of 3 items under 1 KB (dedupe, payment, one
    outbox row) with no index write, one SQS send, one API request and one invocation; its
    GB-seconds are left at 0 (time is issue 17's item 1, not this floor)."""
    t = Tally(rru=read_units(1, True), wru=3 * write_units(1, True), items_written=3,
              sqs_requests=1, api_requests=1, invocations=1)
    t.calls.update({"dynamodb.GetItem": 1, "dynamodb.TransactWriteItems": 1})
    return t


def report(meter: Meter, kinds: Counter[str], unsent: list[str], baseline: Tally,
           mem: int) -> None:
    journey_phases = [p for p in meter.phases if not p.startswith("warm-") and p != "baseline"]
    total = Tally()
    for name in [p for p in journey_phases if ": " not in p]:
        parts = {p.split(": ", 1)[1]: meter.phases[p] for p in journey_phases
                 if p.startswith(f"{name}: ")}
        t = Tally()
        for part in [meter.phases[name], *parts.values()]:
            t.add(part)
        total.add(t)
        print(f"cost {name.replace(' ', '_')} {t.line()}")
        for kind, part in sorted(parts.items()):
            print(f"cost {name.replace(' ', '_')}.{kind} (part of the line above) "
                  f"{part.line(part=True)}")
    rows = " ".join(f"{k}={v}" for k, v in sorted(kinds.items()))
    print(f"cost total {total.line()} outbox_rows=({rows})"
          + (f" unsent={unsent}" if unsent else ""))
    dollars = total.dollars()
    print(f"cost usd_per_1000_payments={total.per_1000():.4f} ("
          + " ".join(f"{k}={v * 1000:.4f}" for k, v in dollars.items())
          + f") lambda={LAMBDA_ARCHITECTURE} {mem} MB; prices {PRICES_DATE}")
    print(f"cost usd_per_1000_payments_if_arm64={total.per_1000('arm64'):.4f}")
    note = meter.phases.get("notification")
    fl = floor()
    print(f"cost baseline bare GetItem+PutItem (200 B, no index): {baseline.line()}")
    ratio = (f" notification/floor: wru x{(note.wru + note.gsi_wru) / fl.wru:.1f} "
             f"usd x{note.per_1000() / fl.per_1000():.1f}" if note else "")
    print(f"cost baseline notification floor (computed: GetItem + 3-item transaction, 1 SQS "
          f"send, no GSI write): rru={fl.rru:g} wru={fl.wru} sqs=1 api=1 lambda=1 "
          f"usd_per_1000={fl.per_1000():.4f}{ratio}")
    if note and note.transactions:
        # Issue 17 item 2: the items of the notification's transaction, against the floor's 3.
        for items in note.transactions:
            print(f"cost notification_transaction items={len(items)} "
                  f"floor_items={fl.items_written} items/floor "
                  f"x{len(items) / fl.items_written:.2f} ({' '.join(items)})")


if __name__ == "__main__":
    main()
