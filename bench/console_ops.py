"""Console figures on large ledgers, driving the real app headless (Textual's Pilot), each
against the same SQL replayed raw on the same connection.

    .venv/bin/python bench/console_ops.py --ledger /tmp/payconsole-bench.db \
        [--ledger postgresql://me@db:5432/bench] [--ledger /tmp/payconsole-bench-10m.db]

For each ledger a child process opens the console offline and times what a key costs:
page down crossing into the next window of rows, jump to the oldest row, change order,
search by email and by last4 (the listing the search box makes), each followed by the
table's lines rendered as a frame asks for them; and the Analytics pane's refresh for 30
and 90 days (its computation, in its reader thread). The SQL each of them ran is caught on
its way to the driver (Peewee logs every statement) and replayed raw on the same
connection: the baseline. Targets (issue 16): a key's reads (the listings' count / page /
position, SQL and row objects) <= 3 x its SQL raw, and its whole work on the UI thread
<= one frame (16 ms); the analytics refresh <= 1.5 x its SQL raw. First paint (process
start) and peak RSS are for information (bench/first_paint.py sets first paint against a
minimal app).

Across ledgers, against the first `--ledger`: a PostgreSQL ledger's figures within 2 x
SQLite's (issue 11); a ledger with ten times the payments within 1.2 x for first paint,
the keys (their whole work) and analytics: the cost must not grow with the ledger. Each
figure is the median of `--runs` children per ledger, the ledgers measured in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from figures import FRAME_MS, Figure, report
from first_paint import label

ROUNDS = 5  # each operation's console and raw timings, in turn, within one child
KEY_RATIO, ANALYTICS_RATIO, POSTGRES_RATIO, TENFOLD_RATIO = 3.0, 1.5, 2.0, 1.2
KEYS = ("page down", "jump to oldest row", "change order", "search by email",
        "search by last4")
ANALYTICS = ("analytics refresh, 30 days", "analytics refresh, 90 days")
SEARCHES = {"search by email": "email:user4242@", "search by last4": "last4:4242"}
FIRST_PAINT, PEAK_RSS = "first paint (process start)", "peak memory (RSS)"
FLAT = (FIRST_PAINT, *KEYS, *ANALYTICS)  # the figures that must not grow with the ledger


class StatementLog(logging.Handler):
    """The (sql, params) Peewee hands the driver, while `catching`."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, Any]] = []
        logger = logging.getLogger("peewee")
        logger.addHandler(self)
        logger.setLevel(logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple):
            self.statements.append(record.msg)

    @contextmanager
    def catching(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        yield self.statements


class ListingClock:
    """Time spent inside the listings' reads (count, page, position_of): a key's data work,
    its SQL and the row objects made from it, without the rendering."""

    def __init__(self) -> None:
        from ledger.queries import Listing

        self.seconds = 0.0
        for name in ("count", "page", "position_of"):
            setattr(Listing, name, self._timed(getattr(Listing, name)))

    def _timed(self, read: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return read(*args)
            finally:
                self.seconds += time.perf_counter() - started
        return timed


class Timer:
    """An operation's times, `ROUNDS` of each in turn: on the UI thread in all, in the
    listings' reads, and its SQL replayed raw."""

    def __init__(self, database: Any) -> None:
        self.database, self.log, self.listings = database, StatementLog(), ListingClock()

    def raw_ms(self, statements: list[tuple[str, Any]]) -> float:
        started = time.perf_counter()
        for sql, params in statements:
            cursor = self.database.cursor()
            cursor.execute(sql, params)
            cursor.fetchall()
        return (time.perf_counter() - started) * 1000

    def times(self, prepare: Callable[[], None], operation: Callable[[], None]
              ) -> tuple[float, float, float]:
        """Median ms of `operation` (after `prepare`, untimed): in all, in the listings'
        reads, and of its SQL run raw."""
        taken: list[tuple[float, float, float]] = []
        for _ in range(ROUNDS):
            prepare()
            self.listings.seconds = 0.0
            with self.log.catching() as statements:
                started = time.perf_counter()
                operation()
                elapsed = (time.perf_counter() - started) * 1000
            taken.append((elapsed, self.listings.seconds * 1000, self.raw_ms(statements)))
        elapsed, reads, raw = (statistics.median(run[i] for run in taken) for i in range(3))
        return elapsed, reads, raw


def _rendered(table: Any, operation: Callable[[], None]) -> Callable[[], None]:
    """The key's work on the UI thread: the operation, then the table's lines rendered as
    a frame asks for them. (Pilot's key press waits for the whole app to go idle, ~100 ms
    even on 100 rows, most of it waiting.)"""
    from textual.geometry import Region

    def run() -> None:
        operation()
        table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return run


def _key_operations(pane: Any) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """name -> (prepare, operation) for each key figure, on the Payments pane."""
    from console.widgets.search_bar import SearchBar
    from ledger.filters import parse_search
    from ledger.queries import PAYMENT_ORDERS, PaymentListing

    table, bar = pane.table, pane.query_one(SearchBar)

    def newest_first() -> None:
        pane._show_listing(PaymentListing())

    def near_window_end() -> None:  # the next page down crosses into the second window
        newest_first()
        table.move_cursor(table.window_size - table.page_rows // 2)

    def search(text: str) -> Callable[[], None]:
        return lambda: pane._search(SearchBar.Applied(bar, parse_search(text), text))

    def orders() -> Callable[[], None]:  # each preparation leaves the next order to go to
        turn = iter(range(10**6))
        return lambda: pane._show_listing(
            PaymentListing(None, PAYMENT_ORDERS[next(turn) % len(PAYMENT_ORDERS)]))

    operations = {
        "page down": (near_window_end, table.action_page_down),
        "jump to oldest row": (newest_first, table.action_last),
        "change order": (orders(), pane.action_next_order),
        **{name: (newest_first, search(text)) for name, text in SEARCHES.items()},
    }
    return {name: (prepare, _rendered(table, operation))
            for name, (prepare, operation) in operations.items()}


def _analytics(timer: Timer) -> dict[str, tuple[float, float, float]]:
    """The Analytics pane's refresh, read in a reader thread as the pane does it."""
    from console.ledger_reader import LedgerReader
    from console.panes.analytics import compute
    from ledger.analytics import Period

    timed, reader, loop = {}, LedgerReader("analytics"), asyncio.new_event_loop()
    for name, days in zip(ANALYTICS, (30, 90), strict=True):
        def refresh(days: int = days) -> None:
            loop.run_until_complete(reader.read(compute, Period.last_days(days), None,
                                                time.time()))
        timed[name] = timer.times(lambda: None, refresh)
    reader.close()
    loop.close()
    return timed


async def _measure(ledger: str, started: float) -> tuple[dict[str, Any], Timer]:
    from console.app import PayConsoleApp
    from console.context import ConsoleContext, Mode
    from console.panes.payments import PaymentsPane
    from ledger.db import open_ledger
    from ledger.locations import is_postgres_url
    from ledger.queries import PaymentListing

    open_ledger(ledger)
    location = ledger if is_postgres_url(ledger) else Path(ledger)
    app = PayConsoleApp(ConsoleContext(ledger_location=location, mode=Mode.OFFLINE,
                                       operator="bench"))
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one(PaymentsPane)
        while pane.table.row_at(0) is None:
            await pilot.pause()
        first_paint = time.time() - started
        from ledger.models import database

        timer = Timer(database)
        timed = {name: timer.times(*operation)
                 for name, operation in _key_operations(pane).items()}
        payments = PaymentListing().count()
    return {"payments": payments, "timed": timed, FIRST_PAINT: first_paint}, timer


def child(ledger: str, started: float) -> dict[str, Any]:
    """The figures of one console's run on `ledger` (analytics after the app, whose event
    loop the reader's would otherwise run inside)."""
    measured, timer = asyncio.run(_measure(ledger, started))
    measured["timed"] |= _analytics(timer)
    return measured | {PEAK_RSS: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(ledger: str) -> dict[str, Any]:
    """One child's figures on `ledger`, its clock started just before the child."""
    started = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--ledger", ledger, "--child-started", str(started)],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        sys.exit(f"the console on {ledger} failed:\n{done.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One ledger's figures: the median of its children's."""
    timed = {name: tuple(statistics.median(run["timed"][name][i] for run in runs)
                         for i in range(3)) for name in runs[0]["timed"]}
    return {"payments": runs[0]["payments"], "timed": timed,
            **{name: statistics.median(run[name] for run in runs)
               for name in (FIRST_PAINT, PEAK_RSS)}}


def own_figures(name: str, measured: dict[str, Any]) -> list[Figure]:
    """A key's reads against their SQL raw, and its whole work against a frame; the
    analytics refresh (in its worker) against its SQL raw."""
    rows = []
    for figure, (in_all, reads, raw) in measured["timed"].items():
        if figure in ANALYTICS:
            rows.append(Figure(f"{figure}, {name}", in_all, "ms", raw, "same SQL raw",
                               "ratio<=", ANALYTICS_RATIO))
            continue
        rows += [Figure(f"{figure}, reads, {name}", reads, "ms", raw, "same SQL raw",
                        "ratio<=", KEY_RATIO),
                 Figure(f"{figure}, UI thread, {name}", in_all, "ms", FRAME_MS, "one frame",
                        "ratio<=", 1)]
    return [*rows, Figure(f"{FIRST_PAINT}, {name}", measured[FIRST_PAINT], "s"),
            Figure(f"{PEAK_RSS}, {name}", measured[PEAK_RSS], "MB")]


def cross_figures(name: str, measured: dict[str, Any], base_name: str,
                  base: dict[str, Any]) -> list[Figure]:
    """A PostgreSQL ledger against SQLite's; ten times the payments against the first.
    A key's figure is its whole work on the UI thread."""
    def value(of: dict[str, Any], figure: str) -> float:
        return float(of["timed"][figure][0] if figure in of["timed"] else of[figure])

    if "PostgreSQL" in name and "SQLite" in base_name:
        compared, limit, names = f"{name} vs {base_name}", POSTGRES_RATIO, (*FLAT, PEAK_RSS)
    elif measured["payments"] >= 9 * base["payments"]:
        compared, limit, names = f"{name} vs {base_name}", TENFOLD_RATIO, FLAT
    else:
        return []
    return [Figure(f"{figure}, {compared}", value(measured, figure),
                   "s" if figure == FIRST_PAINT else "MB" if figure == PEAK_RSS else "ms",
                   value(base, figure), base_name, "ratio<=", limit) for figure in names]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", action="append", required=True,
                        help="a ledger file or postgresql:// URL; the first is the baseline")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--child-started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_started is not None:
        print(json.dumps(child(args.ledger[0], args.child_started)))
        return 0
    for ledger in args.ledger:
        if "://" not in ledger and not Path(ledger).exists():
            sys.exit(f"no ledger at {ledger}: run bench/make_ledger.py first")
    runs: list[list[dict[str, Any]]] = [[] for _ in args.ledger]
    for _ in range(args.runs):  # in turn: a busy moment falls on every ledger alike
        for taken, ledger in zip(runs, args.ledger, strict=True):
            taken.append(measure(ledger))
    measured = [medians(taken) for taken in runs]
    names = [label(ledger) for ledger in args.ledger]
    figures = [f for name, m in zip(names, measured, strict=True) for f in own_figures(name, m)]
    for name, m in zip(names[1:], measured[1:], strict=True):
        figures += cross_figures(name, m, names[0], measured[0])
    return report(figures)


if __name__ == "__main__":
    raise SystemExit(main())
