"""The one definition of every table and queue.

The local stack, the tests and the deploy (infra/) all create resources from these lists, so
the three can't drift. Logical names here; physical names add the stage prefix (settings).
Kept free of boto3/pynamodb imports: infra/ reads it too. NamedTuples rather than dataclasses:
the app imports this at cold start.
"""

from __future__ import annotations

from typing import NamedTuple


class Index(NamedTuple):
    name: str
    hash_key: str
    range_key: str
    # The non-key attributes the index carries; None: all of them.
    include: tuple[str, ...] | None = None


class Table(NamedTuple):
    name: str
    hash_key: str = "pk"
    range_key: str = "sk"
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = "ttl"

    def key_attributes(self) -> list[str]:
        names = [self.hash_key, self.range_key]
        for index in self.indexes:
            names += [index.hash_key, index.range_key]
        return list(dict.fromkeys(names))


class Queue(NamedTuple):
    name: str
    # How many receives before a message goes to the queue's dead-letter queue.
    max_receives: int = 5
    batch_size: int = 10
    consumer: str = ""  # "module:function" the worker and Lambda call

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


# Every table has gsi1 for listings inside a brand and a sparse "due" index whose hash key is a
# sharded bucket (e.g. "OUTBOX#3") and whose range key is the due time, so jobs read only what
# is due (ARCHITECTURE.md, "Data").
GSI1 = Index("gsi1", "gsi1pk", "gsi1sk")
DUE = Index("due", "duePk", "dueSk")
# A buyer's payments by creation time: all the checkout's risk rules read
# (payments/checkout/risk.py), so their cost follows the buyer's payments, not the brand's.
BUYER = Index("buyer", "buyerPk", "buyerSk", include=("kind", "status", "createdDate"))
# A user's own documents by creation time (invoicing: a buyer's invoices), beside gsi1's brand
# listing.
GSI2 = Index("gsi2", "gsi2pk", "gsi2sk")

TABLES: tuple[Table, ...] = (
    Table("identity", indexes=(GSI1,)),
    Table("notify", indexes=(GSI1, DUE)),
    Table("catalog", indexes=(GSI1,)),
    Table("payments", indexes=(GSI1, DUE, BUYER)),
    Table("licensing", indexes=(GSI1, DUE)),
    Table("wallet", indexes=(GSI1, DUE)),
    Table("invoicing", indexes=(GSI1, GSI2, DUE)),
    Table("reports", indexes=(DUE,)),
    Table("webhooks", indexes=(DUE,)),
)

QUEUES: tuple[Queue, ...] = (
    Queue("outbox", consumer="chalicelib.notify.jobs:consume_outbox_batch"),
)

# S3 buckets (logical names; settings.bucket_name gives the physical one). "files": package
# files sold as digital downloads (licensing/downloads.py), one key prefix per brand.
BUCKETS: tuple[str, ...] = ("files",)

# Scheduled functions: (name, rate in minutes, "module:function").
SCHEDULES: tuple[tuple[str, int, str], ...] = (
    ("outbox-sweeper", 5, "chalicelib.notify.jobs:sweep_outbox"),
    ("payment-janitor", 5, "chalicelib.payments.jobs:run_janitor"),
    ("license-expiry", 10, "chalicelib.licensing.jobs:run_expiry"),
    ("wallet-reconciliation", 60, "chalicelib.wallet.jobs:run_reconciliation"),
    ("invoice-renewals", 10, "chalicelib.invoicing.jobs:run_renewals"),
    ("report-license-recount", 10, "chalicelib.reports.jobs:run_license_recount"),
    ("webhook-retries", 1, "chalicelib.webhooks.jobs:run_retries"),
)


def table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)


def queue(name: str) -> Queue:
    return next(q for q in QUEUES if q.name == name)
