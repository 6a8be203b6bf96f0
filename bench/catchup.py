"""Catch-up of a 30-day events backlog in bounded memory, over HTTP.

    .venv/bin/python bench/catchup.py --events 1000000

A child process serves a recorded backlog the way Stripe lists events (GET /v1/events,
newest first, 100 a page, `created[gte]`/`created[lt]` and `starting_after`) from a SQLite
file; a child process runs the real `SyncService` poll against it with a fresh ledger and
reports events/s, list requests and its own peak RSS. The peak RSS is set against a process
that only imports what the catch-up imports (target, issue 16: <= +100 MB): flat memory
whatever the backlog.

With `--postgres ADMIN_URL` the same catch-up also runs into a fresh PostgreSQL database,
with the same target; its events/s are set beside SQLite's for information.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web
from figures import Figure, report

from ledger.postgres_server import PostgresServer

DAY = 86_400
TARGET_RSS_OVER_IMPORTED_MB = 100


def record_backlog(path: Path, count: int, now: int, seed: int = 7) -> None:
    """`count` events over the 30 days before `now`: each payment created, then succeeded."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE event (id TEXT PRIMARY KEY, created INT, body TEXT)")
    db.execute("CREATE INDEX event_order ON event (created DESC, id DESC)")
    rows = []
    start = now - 30 * DAY + 600
    for n in range(0, count, 2):
        created = start + n * (30 * DAY - 1200) // count
        intent = {"id": f"pi_{n:016d}", "object": "payment_intent", "created": created,
                  "amount": rng.randrange(100, 50_000), "currency": "usd",
                  "customer": f"cus_{n % 50_000:014d}", "metadata": {}, "livemode": False}
        for offset, (kind, status) in enumerate((("created", "requires_confirmation"),
                                                 ("succeeded", "succeeded"))):
            event_id = f"evt_{n + offset:016d}"
            event = {"id": event_id, "object": "event", "type": f"payment_intent.{kind}",
                     "created": created + offset, "api_version": "2025-08-27",
                     "data": {"object": intent | {"status": status}}}
            rows.append((event_id, created + offset, json.dumps(event)))
        if len(rows) >= 100_000:
            db.executemany("INSERT INTO event VALUES (?, ?, ?)", rows)
            rows = []
    db.executemany("INSERT INTO event VALUES (?, ?, ?)", rows)
    db.commit()
    db.close()


def serve(path: Path) -> None:
    db = sqlite3.connect(path, check_same_thread=False)

    async def events(request: web.Request) -> web.Response:
        query = request.query
        where, params = ["created >= ?"], [int(query.get("created[gte]", 0))]
        if "created[lt]" in query:
            where.append("created < ?")
            params.append(int(query["created[lt]"]))
        if "starting_after" in query:
            row = db.execute("SELECT created FROM event WHERE id = ?",
                             (query["starting_after"],)).fetchone()
            where.append("(created, id) < (?, ?)")
            params += [row[0], query["starting_after"]]
        limit = min(int(query.get("limit", 10)), 100)
        bodies = [body for (body,) in db.execute(
            f"SELECT body FROM event WHERE {' AND '.join(where)} "
            "ORDER BY created DESC, id DESC LIMIT ?", (*params, limit + 1))]
        page = ",".join(bodies[:limit])
        has_more = "true" if len(bodies) > limit else "false"
        text = f'{{"object":"list","url":"/v1/events","has_more":{has_more},"data":[{page}]}}'
        return web.Response(text=text, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v1/events", events)
    print("LISTENING", flush=True)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[3]), print=None)


def catch_up(location: str, api_base: str, now: int) -> dict[str, float]:
    """In a child process: the real poll into the fresh ledger at `location`."""
    from ledger.db import open_ledger
    from ledger.state import set_state
    from sync.gateway import StripeGateway
    from sync.service import CURSOR_KEY, SyncReport, SyncService

    db = open_ledger(location)
    set_state(CURSOR_KEY, now - 30 * DAY + 300)  # last synced just inside retention
    # A local server: lift the client-side limit to see what the ledger side can do.
    gateway = StripeGateway("sk_test_bench", api_base, requests_per_second=1000)
    service = SyncService(gateway, clock=lambda: now)
    report = SyncReport()
    started = time.perf_counter()
    service.poll(report)
    seconds = time.perf_counter() - started
    db.close()
    return {"applied": report.events_new, "seconds": seconds,
            "requests": gateway.requests_made, "rss": _peak_rss_mb()}


def imported_rss() -> dict[str, float]:
    """In a child process: the peak RSS of the interpreter with the catch-up's imports."""
    for module in ("ledger.db", "ledger.state", "sync.gateway", "sync.service"):
        importlib.import_module(module)

    return {"rss": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(*arguments: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *arguments], capture_output=True,
                          text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


@contextmanager
def _fresh_postgres(admin_url: str) -> Iterator[str]:
    """The URL of a new database on the server at `admin_url`, dropped afterwards."""
    server = PostgresServer(admin_url)
    name = f"bench_catchup_{os.getpid()}"
    server.drop_database(name)
    server.create_database(name)
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)
        server.close()


def main() -> int:
    # The backlog is recorded and served by child processes, so that this process's peak
    # memory is the sync's alone.
    if sys.argv[1:2] == ["--serve"]:
        serve(Path(sys.argv[2]))
        return 0
    if sys.argv[1:2] == ["--record"]:
        record_backlog(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return 0
    if sys.argv[1:2] == ["--catch-up"]:
        print(json.dumps(catch_up(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return 0
    if sys.argv[1:2] == ["--imported"]:
        print(json.dumps(imported_rss()))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=18_765)
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="also catch up into a fresh database on this PostgreSQL server")
    args = parser.parse_args()
    now = int(time.time())
    with tempfile.TemporaryDirectory() as tmp:
        backlog = Path(tmp) / "backlog.db"
        subprocess.run([sys.executable, __file__, "--record", str(backlog), str(args.events),
                        str(now)], check=True)
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(backlog),
                                   str(args.port)], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline().startswith("LISTEN")
            time.sleep(0.3)  # the line is printed just before the socket binds
            api = f"http://127.0.0.1:{args.port}"
            sqlite = _child("--catch-up", str(Path(tmp) / "ledger.db"), api, str(now))
            postgres = None
            if args.postgres:
                with _fresh_postgres(args.postgres) as url:
                    postgres = _child("--catch-up", url, api, str(now))
        finally:
            server.terminate()
            server.wait()
    imported = _child("--imported")["rss"]
    caught_up = {"SQLite": sqlite} | ({} if postgres is None else {"PostgreSQL": postgres})
    return report(figures(caught_up, args.events, imported))


def figures(caught_up: dict[str, dict[str, float]], expected: int, imported: float
            ) -> list[Figure]:
    """Per backend: every event applied, peak RSS over the bare imports; PostgreSQL's
    events/s beside SQLite's."""
    rows = []
    for backend, run in caught_up.items():
        print(f"catch-up into {backend}: {run['applied']:,.0f} of {expected:,} events in "
              f"{run['seconds']:.1f}s with {run['requests']:,.0f} list requests, "
              f"peak RSS {run['rss']:.0f} MB (imports alone {imported:.0f} MB)")
        rows += [Figure(f"catch-up {expected:,} events, {backend}, events applied",
                        run["applied"], "events", expected, "in the backlog", "ratio>=", 1),
                 Figure(f"catch-up {expected:,} events, {backend}, peak RSS", run["rss"],
                        "MB", imported, "imports alone", "over<=", TARGET_RSS_OVER_IMPORTED_MB)]
    rates = {backend: run["applied"] / run["seconds"] for backend, run in caught_up.items()}
    rows.append(Figure("catch-up, SQLite", rates["SQLite"], "events/s"))
    if "PostgreSQL" in rates:
        rows.append(Figure("catch-up, PostgreSQL vs SQLite", rates["PostgreSQL"], "events/s",
                           rates["SQLite"], "SQLite"))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
