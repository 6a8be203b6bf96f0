"""Sync apply throughput: the real apply path against a raw baseline, in the same run.

    .venv/bin/python bench/apply.py --events 100000

Input is pre-fetched event pages as Stripe sends them (JSON text, 100 events a page, built
from Stripe's own example objects in tests/fixtures/stripe/fixtures3.json). The real path parses
each page and runs `sync.apply.apply_events` (store the raw event, upsert the objects),
a transaction per window of pages as `SyncService` polls. The baseline only does `json.loads`
and a raw `executemany` of the same event rows and payment rows into bare tables.
Target (issue 16): >= 0.7 x the baseline's rate (the events/s themselves for information).

With `--postgres ADMIN_URL` (a role that may create databases), the same real path also
runs into a fresh PostgreSQL database, on the same events in the same run; target
(issue 11): >= half SQLite's rate. Each figure is the median of `--runs` runs, taken in
turn so that a burst of load on the machine falls on every variant alike.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from figures import Figure, report

from ledger.db import open_ledger
from ledger.postgres_server import PostgresServer
from sync.apply import apply_events

FIXTURES = Path(__file__).resolve().parents[1] / "tests/fixtures/stripe/fixtures3.json"
PAGE = 100
PAGES_PER_TRANSACTION = 10
TARGET_RATIO = 0.7  # the real path against the raw baseline
TARGET_PG_RATIO = 0.5  # PostgreSQL against SQLite


def _event(kind: str, obj: dict[str, Any], n: int, created: int) -> dict[str, Any]:
    return {"id": f"evt_{kind[:2]}{n:014d}", "object": "event", "api_version": "2025-08-27",
            "created": created, "type": kind, "livemode": False, "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}}


def events(count: int, fixtures: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A payment's life in Stripe's shapes: created, succeeded, its charge; some refunds."""
    intent, charge, customer = fixtures["payment_intent"], fixtures["charge"], fixtures["customer"]
    n = 0
    while True:
        created = 1_760_000_000 + n
        cus = copy.deepcopy(customer) | {"id": f"cus_{n:014d}", "email": f"u{n}@example.com",
                                         "created": created}
        pi = copy.deepcopy(intent) | {"id": f"pi_{n:016d}", "customer": cus["id"],
                                      "created": created, "status": "requires_confirmation"}
        ch = copy.deepcopy(charge) | {"id": f"ch_{n:016d}", "payment_intent": pi["id"],
                                      "customer": cus["id"], "created": created,
                                      "captured": True, "amount_captured": charge["amount"]}
        done = pi | {"status": "succeeded", "latest_charge": ch["id"]}
        for kind, obj in (("customer.created", cus), ("payment_intent.created", pi),
                          ("charge.succeeded", ch), ("payment_intent.succeeded", done)):
            yield _event(kind, obj, n, created)
            n += 1
            if n >= count:
                return


def pages(count: int) -> list[str]:
    fixtures = json.loads(FIXTURES.read_text())["resources"]
    stream = list(events(count, fixtures))
    return [json.dumps({"object": "list", "has_more": True, "data": stream[i:i + PAGE]})
            for i in range(0, len(stream), PAGE)]


def run_real(page_texts: list[str], location: str | Path) -> float:
    db = open_ledger(location)
    started = time.perf_counter()
    for start in range(0, len(page_texts), PAGES_PER_TRANSACTION):
        window = [e for text in page_texts[start:start + PAGES_PER_TRANSACTION]
                  for e in json.loads(text)["data"]]
        with db.atomic():
            apply_events(db, window, via="poll")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def run_baseline(page_texts: list[str], path: Path) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE event (id TEXT PRIMARY KEY, created INT, type TEXT, "
               "object_id TEXT, payload TEXT)")
    db.execute("CREATE TABLE payment (id TEXT PRIMARY KEY, created INT, amount INT, "
               "currency TEXT, status TEXT)")
    started = time.perf_counter()
    for start in range(0, len(page_texts), PAGES_PER_TRANSACTION):
        window = [e for text in page_texts[start:start + PAGES_PER_TRANSACTION]
                  for e in json.loads(text)["data"]]
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO event VALUES (?, ?, ?, ?, ?)",
                       [(e["id"], e["created"], e["type"], e["data"]["object"]["id"],
                         json.dumps(e)) for e in window])
        objects = [e["data"]["object"] for e in window]
        db.executemany("INSERT OR REPLACE INTO payment VALUES (?, ?, ?, ?, ?)",
                       [(o["id"], o["created"], o["amount"], o["currency"], o["status"])
                        for o in objects if o["object"] == "payment_intent"])
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def run_postgres(page_texts: list[str], server: PostgresServer) -> float:
    """The real path into a fresh database of its own on `server`."""
    name = f"bench_apply_{os.getpid()}"
    server.drop_database(name)
    server.create_database(name)
    try:
        return run_real(page_texts, server.url(name))
    finally:
        server.drop_database(name)


def rates(page_texts: list[str], runs: int, server: PostgresServer | None
          ) -> dict[str, float]:
    """Median events/s of each variant over `runs` runs, taken in turn."""
    seconds: dict[str, list[float]] = {"sqlite": [], "baseline": [], "postgres": []}
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            seconds["sqlite"].append(run_real(page_texts, Path(tmp) / f"real{run}.db"))
            seconds["baseline"].append(run_baseline(page_texts, Path(tmp) / f"base{run}.db"))
        if server is not None:
            seconds["postgres"].append(run_postgres(page_texts, server))
    events = sum(len(json.loads(text)["data"]) for text in page_texts)
    return {name: events / statistics.median(taken) for name, taken in seconds.items() if taken}


def figures(measured: dict[str, float]) -> list[Figure]:
    real = Figure("sync apply, SQLite", measured["sqlite"], "events/s", measured["baseline"],
                  "raw json.loads + executemany", "ratio>=", TARGET_RATIO)
    if "postgres" not in measured:
        return [real]
    return [real, Figure("sync apply, PostgreSQL vs SQLite", measured["postgres"], "events/s",
                         measured["sqlite"], "SQLite", "ratio>=", TARGET_PG_RATIO)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="also apply into a fresh database on this PostgreSQL server")
    args = parser.parse_args()
    server = PostgresServer(args.postgres) if args.postgres else None
    try:
        measured = rates(pages(args.events), args.runs, server)
    finally:
        if server is not None:
            server.close()
    return report(figures(measured))


if __name__ == "__main__":
    raise SystemExit(main())
