"""The analytics' per-day totals (`daily_total`): what each day's payments, failures,
refunds, disputes and balance transactions add up to, per currency and key, kept in the
same transaction as the writes that change them.

`kept` wraps a batch of writes (ledger.writes.write_records): before the batch it reads
what the rows it is about to write add to the totals now (by id, through the primary
keys), after the batch what they add then, and adds the difference to the day rows. A row
that moves (a status change, a refund that fails) leaves one total for another; a stale or
re-delivered snapshot changes nothing and adds nothing; a refund or dispute arriving days
after its payment lands on its own day. `REBUILD` builds every total from the tables, for
a ledger made before them (the migration) or filled around the writes (bench/make_ledger.py).

Not stored, and why:
- holds (ledger.analytics_holds): what is held, lapsing or lapsed depends on `now`, not
  only on the rows; they read the few payments in requires_capture or canceled.
- early fraud warnings (ledger.fraud_views): the share refunded is of their payments'
  state now, and a warning's currency is its payment's; the warnings are few.
- periods that are not whole UTC days (a custom range) scan the rows (ledger.rollups).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ledger.fees import CHARGE_TYPES_SQL, DISPUTE_CATEGORIES_SQL
from ledger.records import Records, Row
from ledger.rollups import Source
from ledger.sql import (
    LedgerDatabase,
    chunks,
    counted,
    execute,
    execute_many,
    greater,
    marks,
    write_transaction,
)

_SUCCEEDED = "status = 'succeeded'"
_FAILED = "status != 'succeeded' AND failure_code IS NOT NULL"

PAYMENTS = Source("payment", {
    # amount_received: a PaymentIntent whose charge the ledger has not seen yet.
    "gross": f"CASE WHEN {_SUCCEEDED} THEN {greater('amount_captured', 'amount_received')} "
             "ELSE 0 END",
    "payments_succeeded": counted(_SUCCEEDED),
    "payments_attempted": counted(f"{_SUCCEEDED} OR failure_code IS NOT NULL"),
}, kind="payment", key="card_brand")
FAILURES = Source("payment", {}, where=_FAILED, kind="failure",
                  key="COALESCE(decline_code, failure_code)")
REFUNDS = Source(
    "refund",
    {"refunded": "amount", "refunds": "1"},
    where="COALESCE(status, 'succeeded') NOT IN ('failed', 'canceled')",
    kind="refund",
)
DISPUTES = Source("dispute", {
    "disputes": "1",
    "disputed_lost": "CASE WHEN status = 'lost' THEN amount ELSE 0 END",
}, kind="dispute", key="reason")
BALANCE = Source("balance_transaction", {
    "fees": f"CASE WHEN type IN {CHARGE_TYPES_SQL} THEN fee ELSE 0 END",
    "dispute_withdrawn": f"CASE WHEN reporting_category IN {DISPUTE_CATEGORIES_SQL} "
                         "THEN -net ELSE 0 END",
}, kind="balance")

# Customers not deleted, counted per day they were created (the Customers pane's count,
# flat: a count(*) of 1M customers took 0.3 s at mount). A customer has no currency; one
# without `created` counts on day 0.
CUSTOMERS = Source("(SELECT id, COALESCE(created, 0) AS created, '' AS currency FROM customer "
                   "WHERE deleted = 0) AS customer", {}, kind="customer")

STORED = (PAYMENTS, FAILURES, REFUNDS, DISPUTES, BALANCE, CUSTOMERS)


def _count_of(source: Source) -> str:
    """SQL: how many rows the source holds, without reading them (flat however many)."""
    return f"SELECT COALESCE(SUM(row_count), 0) FROM daily_total WHERE kind = '{source.kind}'"


# Every payment row is in PAYMENTS (it has no `where`): a count(*) of 10M rows took 0.1 s.
PAYMENT_COUNT = _count_of(PAYMENTS)
CUSTOMER_COUNT = _count_of(CUSTOMERS)

Group = tuple[str, int, str, str]  # kind, day, currency, label


def _columns(source: Source) -> tuple[str, ...]:
    return ("kind", "day", "currency", "label", "row_count", *source.measures)


def _select(source: Source, where: str) -> str:
    """The source's rows that `where` picks, grouped as `daily_total` keeps them."""
    label = f"COALESCE({source.key}, '')" if source.key else "''"
    grouped = f", {label}" if source.key else ""  # PostgreSQL groups by no constant
    measures = "".join(f", SUM({expr})" for expr in source.measures.values())
    return (f"SELECT '{source.kind}', created / 86400, currency, {label}, COUNT(*){measures} "
            f"FROM {source.table} WHERE ({source.where}) AND {where} "
            f"GROUP BY created / 86400, currency{grouped}")


def _build(source: Source) -> str:
    """SQL: the source's totals, from every row of its table."""
    return f"INSERT INTO daily_total ({', '.join(_columns(source))}) {_select(source, '1 = 1')}"


REBUILD: tuple[str, ...] = ("DELETE FROM daily_total", *map(_build, STORED))
# The customers' totals alone, for a ledger whose other totals are there already.
REBUILD_CUSTOMERS: tuple[str, ...] = (
    f"DELETE FROM daily_total WHERE kind = '{CUSTOMERS.kind}'", _build(CUSTOMERS))


def rebuild(db: LedgerDatabase) -> None:
    """Every total from the tables (in the caller's transaction)."""
    for statement in REBUILD:
        execute(db, statement)


def _written(records: Records) -> dict[str, list[Row]]:
    """Per table, the rows a batch writes."""
    return {"payment": records.payment_intents + records.payment_charges,
            CUSTOMERS.table: records.customers,
            "refund": records.refunds, "dispute": records.disputes,
            "balance_transaction": records.balance_transactions}


def _contributions(db: LedgerDatabase, ids: dict[str, list[str]]
                   ) -> dict[Group, list[int]]:
    """What the rows of those ids add to each group now."""
    found: dict[Group, list[int]] = {}
    for source in STORED:
        for chunk in chunks(ids[source.table]):
            for kind, day, currency, label, *values in execute(
                    db, _select(source, f"id IN ({marks(chunk)})"), chunk):
                found[(kind, int(day), currency, label)] = [int(v) for v in values]
    return found


def _add(db: LedgerDatabase, deltas: dict[Group, list[int]]) -> None:
    for source in STORED:
        rows = [(*group, *values) for group, values in deltas.items()
                if group[0] == source.kind and any(values)]
        if rows:
            execute_many(db, _upsert(source), rows)


def _upsert(source: Source) -> str:
    columns = _columns(source)
    added = ", ".join(f"{c} = daily_total.{c} + excluded.{c}" for c in columns[4:])
    return (f"INSERT INTO daily_total ({', '.join(columns)}) VALUES ({marks(columns)}) "
            f"ON CONFLICT (kind, day, currency, label) DO UPDATE SET {added}")


@contextmanager
def kept(db: LedgerDatabase, records: Records) -> Iterator[None]:
    """Keep the totals in step with the writes of `records` done inside (in the caller's
    transaction: a batch that fails leaves both as they were)."""
    ids = {table: sorted({row["id"] for row in rows})
           for table, rows in _written(records).items()}
    # On PostgreSQL a second writer of the same rows (an action's refresh beside the sync)
    # waits until this batch commits, so what it reads before its own writes is this
    # batch's result and no difference is added twice. SQLite has one writer at a time.
    with write_transaction(db, "daily_totals"):
        before = _contributions(db, ids)
        yield
        deltas = _contributions(db, ids)
        for group, values in before.items():
            now = deltas.setdefault(group, [0] * len(values))
            deltas[group] = [n - b for n, b in zip(now, values, strict=True)]
        _add(db, deltas)

