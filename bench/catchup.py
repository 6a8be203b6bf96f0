"""Catch-up of a 30-day events backlog in bounded memory, over HTTP.

    .venv/bin/python bench/catchup.py --events 1000000

A child process serves a recorded backlog the way Stripe lists events (GET /v1/events,
newest first, 100 a page, `created[gte]`/`created[lt]` and `starting_after`) from a SQLite
file; this process runs the real `SyncService` poll against it with a fresh ledger and
reports events/s, list requests and its own peak RSS (target: <= 200 MB for 1M events).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

DAY = 86_400
TARGET_RSS_MB = 200


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


def catch_up(api_base: str, now: int) -> tuple[int, float, int]:
    from ledger.db import open_ledger
    from ledger.state import set_state
    from sync.gateway import StripeGateway
    from sync.service import CURSOR_KEY, SyncReport, SyncService

    with tempfile.TemporaryDirectory() as tmp:
        open_ledger(Path(tmp) / "ledger.db")
        set_state(CURSOR_KEY, now - 30 * DAY + 300)  # last synced just inside retention
        # A local server: lift the client-side limit to see what the ledger side can do.
        gateway = StripeGateway("sk_test_bench", api_base, requests_per_second=1000)
        service = SyncService(gateway, clock=lambda: now)
        report = SyncReport()
        started = time.perf_counter()
        service.poll(report)
        return report.events_new, time.perf_counter() - started, gateway.requests_made


def main() -> int:
    # The backlog is recorded and served by child processes, so that this process's peak
    # memory is the sync's alone.
    if sys.argv[1:2] == ["--serve"]:
        serve(Path(sys.argv[2]))
        return 0
    if sys.argv[1:2] == ["--record"]:
        record_backlog(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=18_765)
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
            applied, seconds, requests = catch_up(f"http://127.0.0.1:{args.port}", now)
        finally:
            server.terminate()
            server.wait()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = rss <= TARGET_RSS_MB and applied == args.events
    print(f"catch-up: {applied:,} of {args.events:,} events in {seconds:.1f}s "
          f"({applied / seconds:,.0f}/s) with {requests:,} list requests")
    print(f"RESULT catch-up {args.events:,} events, peak RSS|<= {TARGET_RSS_MB} MB|"
          f"{rss:.0f} MB ({applied / seconds:,.0f} ev/s)|{'pass' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
