"""Reconcile of 100,000 payments (with their refunds and disputes) against a ledger holding
the same, over HTTP, next to a backfill of the same data.

    .venv/bin/python bench/reconcile.py --payments 100000

A child process serves the objects the way Stripe lists them (newest first, 100 a page,
`starting_after`; PaymentIntents carry their latest charge). A second child backfills a
fresh ledger from it (the baseline, timed); this process then reconciles that ledger
against the same server and reports requests, seconds, objects/s and its own peak RSS.
Target: reconcile time <= 1.5 x the backfill's, with no drift found.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from figures import Figure, report

if TYPE_CHECKING:
    from sync.gateway import StripeGateway
    from sync.reconcile import ReconcileReport

DAY = 86_400
RATIO_TARGET = 1.5
# Every list the backfill pages (sync.resources), the last ones served empty.
LISTS = ("payment_intents", "charges", "refunds", "disputes", "customers",
         "balance_transactions", "payouts", "radar/early_fraud_warnings")


def make_objects(count: int, now: int, seed: int = 7) -> dict[str, list[dict[str, object]]]:
    """Payments over the 30 days before `now`, newest first; 5% refunded, 1% disputed."""
    rng = random.Random(seed)
    lists: dict[str, list[dict[str, object]]] = {name: [] for name in LISTS}
    for n in range(count):
        created = now - 30 * DAY + 600 + n * (30 * DAY - 1200) // count
        amount = rng.randrange(100, 50_000)
        pid, cid = f"pi_{n:016d}", f"ch_{n:016d}"
        refunded = rng.random() < 0.05
        disputed = not refunded and rng.random() < 0.01
        charge = {"id": cid, "object": "charge", "created": created, "amount": amount,
                  "currency": "usd", "payment_intent": pid, "status": "succeeded",
                  "captured": True, "amount_captured": amount,
                  "amount_refunded": amount if refunded else 0, "refunded": refunded,
                  "disputed": disputed, "customer": f"cus_{n % 50_000:014d}",
                  "payment_method_details": {"card": {"brand": "visa", "last4": "4242"}}}
        lists["payment_intents"].append({
            "id": pid, "object": "payment_intent", "created": created, "amount": amount,
            "currency": "usd", "status": "succeeded", "amount_received": amount,
            "customer": f"cus_{n % 50_000:014d}", "metadata": {}, "livemode": False,
            "latest_charge": charge})
        if refunded:
            lists["refunds"].append({
                "id": f"re_{n:016d}", "object": "refund", "created": created + 60,
                "amount": amount, "currency": "usd", "charge": cid, "payment_intent": pid,
                "status": "succeeded", "reason": "requested_by_customer"})
        if disputed:
            lists["disputes"].append({
                "id": f"dp_{n:016d}", "object": "dispute", "created": created + 120,
                "amount": amount, "currency": "usd", "charge": cid, "payment_intent": pid,
                "status": "needs_response", "reason": "fraudulent",
                "evidence_details": {"due_by": created + 7 * DAY, "has_evidence": False,
                                     "submission_count": 0}})
    return {name: objects[::-1] for name, objects in lists.items()}


def serve(count: int, now: int, port: int) -> None:
    bodies = {name: [json.dumps(o) for o in objects]
              for name, objects in make_objects(count, now).items()}
    positions = {name: {json.loads(body)["id"]: n for n, body in enumerate(listed)}
                 for name, listed in bodies.items()}

    def handler(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def listing(request: web.Request) -> web.Response:
            after = request.query.get("starting_after")
            start = positions[name][after] + 1 if after else 0
            limit = min(int(request.query.get("limit", 10)), 100)
            page = bodies[name][start:start + limit]
            more = "true" if start + limit < len(bodies[name]) else "false"
            text = (f'{{"object":"list","url":"/v1/{name}","has_more":{more},'
                    f'"data":[{",".join(page)}]}}')
            return web.Response(text=text, content_type="application/json")

        return listing

    async def account(_: web.Request) -> web.Response:
        return web.json_response({"id": "acct_bench", "object": "account", "country": "US",
                                  "default_currency": "usd"})

    app = web.Application()
    app.router.add_get("/v1/account", account)
    for name in LISTS:
        app.router.add_get(f"/v1/{name}", handler(name))
    print("LISTENING", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def gateway(api_base: str) -> StripeGateway:
    from sync.gateway import StripeGateway

    # A local server: lift the client-side limit to see what the ledger side can do.
    return StripeGateway("sk_test_bench", api_base, requests_per_second=1000)


def backfill(api_base: str, ledger: Path, now: int) -> None:
    from ledger.db import open_ledger
    from sync.service import SyncService

    open_ledger(ledger)
    service = SyncService(gateway(api_base), clock=lambda: now)
    started = time.perf_counter()
    counts = service.backfill()
    print(json.dumps({"seconds": time.perf_counter() - started, "counts": counts,
                      "requests": service.gateway.requests_made}))


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return 0
    if sys.argv[1:2] == ["--backfill"]:
        backfill(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=18_766)
    args = parser.parse_args()
    now = int(time.time())
    api_base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(args.payments),
                               str(now), str(args.port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().startswith("LISTEN")
        time.sleep(0.5)  # the line is printed just before the socket binds
        with tempfile.TemporaryDirectory() as tmp:
            ledger = Path(tmp) / "ledger.db"
            filled = subprocess.run([sys.executable, __file__, "--backfill", api_base,
                                     str(ledger), str(now)], check=True, capture_output=True,
                                    text=True)
            base = json.loads(filled.stdout.splitlines()[-1])
            checked = reconciled(api_base, ledger, now)
    finally:
        server.terminate()
        server.wait()
    print(f"backfill: {base['counts']} in {base['seconds']:.1f}s with {base['requests']:,} "
          f"requests")
    print(f"reconcile: {checked}")
    return report(figures(checked, base["seconds"], args.payments))


def figures(report: ReconcileReport, backfill_seconds: float, payments: int) -> list[Figure]:
    """Time against the backfill of the same data; one list request per 100 objects of
    each kind (an empty list being one too) and one for the account; every payment
    checked, no drift found."""
    requests = 1 + sum(max(1, math.ceil(n / 100)) for kind, n in report.checked.items()
                       if kind != "payment-methods")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    name = f"reconcile {payments:,} payments"
    return [
        Figure(f"{name}, time", report.seconds, "s", backfill_seconds, "backfill", "ratio<=",
               RATIO_TARGET),
        Figure(f"{name}, requests", report.requests, "requests", requests,
               "ceil(N/100) a kind + 1", "ratio<=", 1),
        Figure(f"{name}, payments checked", report.checked["payments"], "payments", payments,
               "served", "ratio>=", 1),
        Figure(f"{name}, drift found", report.drift, "objects", 0, "none", "over<=", 0),
        Figure(f"{name}, objects/s", sum(report.checked.values()) / report.seconds,
               "objects/s"),
        Figure(f"{name}, peak RSS", rss, "MB"),
    ]


def reconciled(api_base: str, ledger: Path, now: int) -> ReconcileReport:
    from ledger.db import open_ledger
    from sync.reconcile import reconcile

    open_ledger(ledger)
    return reconcile(gateway(api_base), days=30, repair=False, now=now)


if __name__ == "__main__":
    raise SystemExit(main())
