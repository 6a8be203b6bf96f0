"""Build a realistic synthetic ledger fast, through the ledger's own schema.

    .venv/bin/python bench/make_ledger.py --payments 10000000 --output /tmp/bench-ledger.db
    .venv/bin/python bench/make_ledger.py --output postgresql://me@db:5432/bench \
        --sqlite /tmp/bench-ledger.db   # the same ledger on PostgreSQL

Reproducible by --seed. The schema (tables, indexes, migrations) comes from
`ledger.db.open_ledger`; rows go in with sqlite3 `executemany`, because building each
statement through the ORM would take most of the time (17 s vs 2.5 s per million rows).
A PostgreSQL ledger is that SQLite file copied by `ledger.copy.copy_ledger` (COPY), then
vacuumed and analysed, so that the planner knows the tables as a live server's would.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from ledger.copy import copy_ledger, drop_everything, rows_held
from ledger.daily_totals import REBUILD
from ledger.db import open_ledger
from ledger.locations import is_postgres_url

DAY = 86_400
CURRENCIES = (("usd", 70, 4_500), ("eur", 12, 4_000), ("gbp", 9, 3_500), ("jpy", 6, 5_000),
              ("kwd", 3, 15_000))
BRANDS = (("visa", 60), ("mastercard", 25), ("amex", 10), ("discover", 5))
DECLINES = (("card_declined", 60), ("insufficient_funds", 25), ("expired_card", 10),
            ("incorrect_cvc", 5))
DISPUTE_REASONS = ("fraudulent", "product_not_received", "duplicate", "subscription_canceled",
                   "general")
DISPUTE_STATUSES = ("needs_response", "warning_needs_response", "under_review", "won", "lost")
BATCH = 50_000


def _choose(rng: random.Random, weighted: tuple[tuple, ...]) -> tuple:
    return rng.choices(weighted, weights=[w[1] for w in weighted])[0]


def customers(rng: random.Random, count: int, now: int, days: int) -> Iterator[tuple]:
    for n in range(count):
        yield (f"cus_{n:014d}", now - rng.randrange(days * DAY), f"user{n}@example.com",
               f"Customer {n}", f"pm_{n:014d}", 0, "{}", 0, now)


def payments(rng: random.Random, count: int, customer_count: int, now: int, days: int
             ) -> Iterator[tuple]:
    for n in range(count):
        currency, _, median = _choose(rng, CURRENCIES)
        amount = max(50, int(rng.lognormvariate(0, 0.6) * median) // 100 * 100)
        customer = rng.randrange(customer_count)
        created = now - rng.randrange(days * DAY)
        failed = rng.random() < 0.08
        status = "requires_payment_method" if failed else "succeeded"
        failure = _choose(rng, DECLINES)[0] if failed else None
        refunded = 0 if failed or rng.random() > 0.05 else amount
        captured = 0 if failed else amount
        yield (f"pi_{n:016d}", created, amount, currency, status, f"cus_{customer:014d}",
               f"user{customer}@example.com", None, f"pm_{customer:014d}", captured, "{}", 0,
               f"ch_{n:016d}", int(not failed), captured, refunded, int(refunded == amount),
               0, failure, "Your card was declined." if failed else None, None,
               _choose(rng, BRANDS)[0], f"{rng.randrange(10_000):04d}", created, created)


def refunds(rng: random.Random, db: sqlite3.Connection) -> Iterator[tuple]:
    rows = db.execute("SELECT id, latest_charge, amount_refunded, currency, created "
                      "FROM payment WHERE amount_refunded > 0")
    for payment, charge, amount, currency, created in rows:
        yield (f"re_{payment[3:]}", created + rng.randrange(DAY), payment, charge, amount,
               currency, "succeeded", "requested_by_customer", "{}", created)


def disputes(rng: random.Random, db: sqlite3.Connection, count: int) -> Iterator[tuple]:
    rows = db.execute("SELECT id, latest_charge, amount, currency, created FROM payment "
                      "WHERE status = 'succeeded' AND amount_refunded = 0 "
                      "ORDER BY random() LIMIT ?", (count,))
    for payment, charge, amount, currency, created in rows:
        opened = created + rng.randrange(30 * DAY)
        status = rng.choice(DISPUTE_STATUSES)
        yield (f"dp_{payment[3:]}", opened, payment, charge, amount, currency, status,
               rng.choice(DISPUTE_REASONS), opened + 7 * DAY, int(status != "needs_response"),
               int(status in ("under_review", "won", "lost")), "{}", "{}", opened)


INSERTS = {
    "customer": "INSERT INTO customer (id, created, email, name, default_payment_method, "
                "deleted, metadata, livemode, as_of) VALUES (?,?,?,?,?,?,?,?,?)",
    "payment": "INSERT INTO payment (id, created, amount, currency, status, customer, "
               "customer_email, description, payment_method, amount_received, metadata, "
               "livemode, latest_charge, captured, amount_captured, amount_refunded, "
               "refunded, disputed, failure_code, failure_message, decline_code, card_brand, "
               "card_last4, intent_as_of, charge_as_of) "
               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "refund": "INSERT INTO refund (id, created, payment, charge, amount, currency, status, "
              "reason, metadata, as_of) VALUES (?,?,?,?,?,?,?,?,?,?)",
    "dispute": "INSERT INTO dispute (id, created, payment, charge, amount, currency, status, "
               "reason, due_by, has_evidence, submission_count, evidence, metadata, as_of) "
               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
}


def insert(db: sqlite3.Connection, table: str, rows: Iterator[tuple]) -> int:
    total = 0
    while True:
        batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
        if not batch:
            return total
        db.executemany(INSERTS[table], batch)
        total += len(batch)


def build(path: Path, *, payment_count: int, customer_count: int, dispute_count: int,
          days: int, seed: int, now: int) -> dict[str, int]:
    if path.exists():
        path.unlink()
    open_ledger(path).close()  # the schema, exactly as the product makes it
    rng = random.Random(seed)
    db = sqlite3.connect(path, isolation_level=None)
    # Bulk load without a journal and with the indexes built once at the end.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    db.execute("BEGIN")
    counts = {
        "customers": insert(db, "customer", customers(rng, customer_count, now, days)),
        "payments": insert(db, "payment", payments(rng, payment_count, customer_count, now,
                                                   days)),
    }
    counts["refunds"] = insert(db, "refund", refunds(rng, db))
    counts["disputes"] = insert(db, "dispute", disputes(rng, db, dispute_count))
    db.execute("UPDATE payment SET disputed = 1 WHERE id IN (SELECT payment FROM dispute)")
    db.execute("COMMIT")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("BEGIN")
    for statement in REBUILD:  # the rows went in around ledger.writes: the totals, as migrated
        db.execute(statement)
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("ANALYZE")
    db.close()
    return counts


def copy_to_postgres(sqlite_path: Path, url: str) -> float:
    """The SQLite ledger at `sqlite_path` into the (emptied) PostgreSQL ledger at `url`:
    seconds taken by the copy alone."""
    destination = open_ledger(url)
    if rows_held(destination):
        drop_everything(destination)
        destination.close()
        destination = open_ledger(url)
    source = open_ledger(sqlite_path)  # migrates a ledger built by an older make_ledger
    started = time.perf_counter()
    copy_ledger(source, destination)
    seconds = time.perf_counter() - started
    source.close()
    destination.close()
    with psycopg.connect(url, autocommit=True) as conn:
        # A throwaway server commits asynchronously, and VACUUM marks no page all-visible
        # while the commit that wrote its rows is not yet on disk: index-only scans would
        # then read the heap for every row (a count of 1M: 2.2 s instead of 0.3 s). A
        # synchronous commit flushes the WAL up to it.
        conn.execute("SET synchronous_commit = on")
        conn.execute("SELECT pg_current_xact_id()")  # a transaction that commits, flushing
        conn.execute("VACUUM ANALYZE")  # visibility map and statistics, as a live server has
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None,
                        help="default: one for every 10 payments")
    parser.add_argument("--disputes", type=int, default=None,
                        help="default: one for every 100 payments (refunds: 5%% of them)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", type=int, default=None, help="unix time of the newest data")
    parser.add_argument("--output", default="/tmp/payconsole-bench.db",
                        help="a file, or a postgresql:// URL to fill from --sqlite")
    parser.add_argument("--sqlite", type=Path, default=None,
                        help="with a URL --output: the SQLite ledger to copy, built first "
                             "unless it exists (default: a temporary one, always built)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_path = Path(args.sqlite or Path(tmp) / "ledger.db")
        if not is_postgres_url(args.output):
            sqlite_path = Path(args.output)
        if is_postgres_url(args.output) and sqlite_path.exists():
            print(f"{sqlite_path}: kept")
        else:
            started = time.perf_counter()
            counts = build(sqlite_path, payment_count=args.payments,
                           customer_count=args.customers or max(1, args.payments // 10),
                           dispute_count=args.disputes or args.payments // 100,
                           days=args.days, seed=args.seed, now=args.now or int(time.time()))
            listed = ", ".join(f"{n:,} {name}" for name, n in counts.items())
            print(f"{sqlite_path}: {listed} in {time.perf_counter() - started:.1f}s")
        if is_postgres_url(args.output):
            started = time.perf_counter()
            copied = copy_to_postgres(sqlite_path, args.output)
            print(f"copied to PostgreSQL in {copied:.1f}s "
                  f"({time.perf_counter() - started:.1f}s with VACUUM ANALYZE)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
