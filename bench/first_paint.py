"""First paint against a baseline: process start to the Payments pane painted with rows,
against a minimal Textual app that paints the same first screen of rows from the same
ledger with one plain query (the driver's own connection, no ORM), started the same way
(a fresh interpreter, headless Pilot), so interpreter and Textual start-up are in both.
Interleaved runs, medians; target <= 1.3 x.

    .venv/bin/python bench/first_paint.py --ledger /tmp/payconsole-bench.db [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from figures import Figure, report

TARGET = 1.3
SIZE = (160, 50)
ROWS = 48  # a screenful of the Payments pane at SIZE
FIRST_SCREEN = ("SELECT id, created, amount, currency, status, customer_email FROM payment "
                "ORDER BY created DESC, id DESC LIMIT " + str(ROWS))


PAYMENTS = "SELECT COALESCE(SUM(row_count), 0) FROM daily_total WHERE kind = 'payment'"


def _plain_rows(ledger: str, sql: str = FIRST_SCREEN) -> list[tuple[Any, ...]]:
    if "://" in ledger:
        import psycopg

        with psycopg.connect(ledger) as conn:
            return list(conn.execute(sql).fetchall())
    import sqlite3

    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


def label(ledger: str) -> str:
    """'SQLite 1M', 'PostgreSQL 10,000': the backend and how many payments."""
    payments = int(_plain_rows(ledger, PAYMENTS)[0][0])
    backend = "PostgreSQL" if "://" in ledger else "SQLite"
    return f"{backend} {payments / 1e6:g}M" if payments >= 1e6 else f"{backend} {payments:,}"


async def _painted(app: Any, rows_shown: Callable[[], bool]) -> float:
    """When the first frame with rows was drawn (headless), the same way for both apps:
    the rows are in the table, then the screen refreshes once."""
    from textual.css.query import NoMatches

    running = asyncio.create_task(app.run_async(headless=True, size=SIZE))
    while True:
        with contextlib.suppress(NoMatches):
            if app.is_running and rows_shown():
                break
        await asyncio.sleep(0.002)
    painted: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: painted.done() or painted.set_result(time.time()))
    at = await painted
    app.exit()
    await running
    return at


async def _baseline(ledger: str) -> float:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class FirstScreen(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("id", "created", "amount", "currency", "status", "email")
            table.add_rows(_plain_rows(ledger))

    app = FirstScreen()
    return await _painted(app, lambda: app.query_one(DataTable).row_count > 0)


async def _console(ledger: str) -> float:
    from console.app import PayConsoleApp
    from console.context import ConsoleContext, Mode

    location: str | Path = ledger if "://" in ledger else Path(ledger)
    app = PayConsoleApp(ConsoleContext(ledger_location=location, mode=Mode.OFFLINE,
                                       operator="bench"))
    return await _painted(
        app, lambda: app.query_one("#payments-table").row_at(0) is not None)  # type: ignore[attr-defined]


def _child(kind: str, ledger: str, started: float) -> int:
    if kind == "console":
        from ledger.db import open_ledger  # as `payconsole` does before the app starts

        open_ledger(ledger, read_only=True)
    runner = _console if kind == "console" else _baseline
    print(json.dumps({"seconds": asyncio.run(runner(ledger)) - started}), flush=True)
    return 0


def measure(kind: str, ledger: str) -> float:
    started = time.time()
    out = subprocess.run([sys.executable, __file__, "--ledger", ledger, "--child", kind,
                          "--started", str(started)], capture_output=True, text=True,
                         check=True).stdout
    seconds: float = json.loads(out.strip().splitlines()[-1])["seconds"]
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", default="/tmp/payconsole-bench.db")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=("console", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.ledger, args.started)
    baseline, console = [], []
    for _ in range(args.runs):
        baseline.append(measure("baseline", args.ledger))
        console.append(measure("console", args.ledger))
    base, measured = statistics.median(baseline), statistics.median(console)
    return report([Figure(f"first paint, {label(args.ledger)}", measured, "s", base,
                          "minimal Textual app, one plain query", "ratio<=", TARGET)])


if __name__ == "__main__":
    raise SystemExit(main())
