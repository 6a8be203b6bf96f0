"""The sync process SIGKILLed while applying, at several points: after a restart the ledger
equals what one clean sync gives (same customers, payments, refunds, disputes, events),
with no event lost or applied twice.

Two ways to pick the moment: a worker (this module run as a script) that stops at a named
point of the sync and waits to be killed, for the points that matter most (between two
backfill pages, inside the events transaction before its commit, after the commit); and
`payconsole sync --once` killed as soon as the ledger shows it got so far into its backfill
(by what it committed, not by the clock, so a busy machine kills it at the same moment).
Each killed run must have left a ledger that opens and holds what it had committed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.db import open_ledger
from ledger.locations import is_postgres_url
from sync.emulator import ControlClient, EmulatorProcess
from sync.service import SyncService
from tests.conftest import Waiter
from tests.helpers import (
    ROOT,
    SYNCED_TABLES,
    HandEdits,
    cli_env,
    client_for,
    dump_ledger,
    gateway_for,
    integrity,
    payments_of_a_new_customer,
    read_until,
)

PAUSED = "PAUSED"


# -- the worker: one sync run that stops at a named point -----------------------------


def _pause() -> None:
    print(PAUSED, flush=True)
    time.sleep(60)  # the test kills us here
    raise SystemExit("not killed")


def _pause_points() -> dict[str, Any]:
    """Name -> how to install it (each patches one step of the sync in this process)."""
    from sync import apply, service

    def after_first_backfill_page() -> None:
        original = service._store_objects

        def store(objects: Any, as_of: int) -> None:
            original(objects, as_of)
            _pause()  # one page committed, the rest of the backfill not started

        service._store_objects = store

    def inside_events_transaction() -> None:
        original = service.apply_events

        def apply_then_pause(*args: Any, **kwargs: Any) -> Any:
            original(*args, **kwargs)
            _pause()  # everything written, nothing committed

        service.apply_events = apply_then_pause

    def between_events_and_objects() -> None:
        original = apply.write_records

        def pause_then_write(*args: Any, **kwargs: Any) -> Any:
            _pause()  # raw events inserted, their objects not yet
            return original(*args, **kwargs)

        apply.write_records = pause_then_write

    def after_commit() -> None:
        service.SyncService._record_success = lambda self, report: _pause()

    return {"backfill-page": after_first_backfill_page,
            "in-transaction": inside_events_transaction,
            "events-not-objects": between_events_and_objects,
            "after-commit": after_commit}


def _worker(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("point")
    parser.add_argument("ledger")
    parser.add_argument("api_base")
    args = parser.parse_args(argv)
    open_ledger(args.ledger)
    _pause_points()[args.point]()
    SyncService(gateway_for(args.api_base)).run_once()


# -- the tests ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backlog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An emulator of its own with over a page of every kind of object and a few hundred
    events, and the ledger a clean sync makes of it."""
    with EmulatorProcess(state=None) as emulator:
        client = client_for(emulator.api_base)
        control = ControlClient(emulator.api_base)
        payments = payments_of_a_new_customer(client, "ivy@example.com", 110, 500)
        for n, intent in enumerate(payments):
            if n % 3 == 0:
                client.v1.refunds.create({"payment_intent": intent.id, "amount": 100})
            if n % 20 == 1:
                control.create_dispute(intent.latest_charge)
        clean = tmp_path_factory.mktemp("clean") / "ledger.db"
        open_ledger(clean)
        SyncService(gateway_for(emulator.api_base)).run_once()
        yield emulator, dump_ledger(clean)


def _resume_and_compare(path: str, api_base: str, clean: Any) -> dict[str, int]:
    """Check the killed ledger, finish the sync, compare with the clean one (an SQLite
    file, whatever the backend: the same dump on both); returns what the kill left."""
    assert is_postgres_url(path) or Path(path).exists(), "the killed run left no ledger"
    assert integrity(path) == "ok"
    left = {table: len(rows) for table, rows in dump_ledger(path).items()}
    open_ledger(path)
    SyncService(gateway_for(api_base)).run_once()
    assert dump_ledger(path) == clean
    return left


@pytest.mark.parametrize("point", ["backfill-page", "in-transaction", "events-not-objects",
                                   "after-commit"])
def test_killed_at_a_point_of_the_sync_then_restarted(
        backlog: Any, ledger_location: str, point: str) -> None:
    emulator, clean = backlog
    path = ledger_location
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.test_crash_recovery", point, str(path),
         emulator.api_base], cwd=ROOT, stdout=subprocess.PIPE)
    read_until(worker, PAUSED)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    left = _resume_and_compare(path, emulator.api_base, clean)
    if point == "in-transaction":
        assert left["event"] == 0 and left["cursor"] == 1  # the whole window rolled back
    if point == "after-commit":
        assert left["event"] == len(clean["event"])


def committed_rows(path: str) -> dict[str, int]:
    """Rows of each synced table that another process has committed to the ledger at
    `path`; empty while there is no ledger or no schema yet."""
    try:
        with closing(HandEdits(path)) as db:
            return {table: db.value(f"SELECT count(*) FROM {table}")
                    for table in SYNCED_TABLES}
    except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):  # not created yet
        return {}


# How far into the backfill of `backlog` (customers, payments in pages of 100, charges,
# refunds, disputes, then payment methods; the events come after all of these).
MOMENTS: dict[str, Callable[[dict[str, int]], bool]] = {
    "schema created": bool,
    "customers stored": lambda rows: rows["customer"] >= 1,
    "a page of payments stored": lambda rows: rows["payment"] >= 100,
    "refunds stored": lambda rows: rows["refund"] >= 1,
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_payconsole_sync_killed_during_its_backfill(
        backlog: Any, tmp_path: Path, ledger_location: str, wait_for: Waiter, moment: str
) -> None:
    emulator, clean = backlog
    path = ledger_location
    process = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "sync", "--once", "--api-base", emulator.api_base,
         "--ledger", str(path)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=cli_env(tmp_path, PAYCONSOLE_STRIPE__REQUESTS_PER_SECOND="100"))
    seen: dict[str, int] = {}

    def reached() -> bool:
        seen.update(committed_rows(path))
        return process.poll() is not None or (bool(seen) and MOMENTS[moment](seen))

    try:
        asyncio.run(wait_for(reached, timeout=120, what=f"the sync to have {moment}"))
    finally:
        process.send_signal(signal.SIGKILL)
        _, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, f"it ended before the kill: {err!r}"
    left = _resume_and_compare(path, emulator.api_base, clean)  # the ledger opens
    assert all(left[table] >= rows for table, rows in seen.items()), (left, seen)


if __name__ == "__main__":
    _worker(sys.argv[1:])
