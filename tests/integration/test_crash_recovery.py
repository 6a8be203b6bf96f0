"""The sync process SIGKILLed while applying, at several points: after a restart the ledger
equals what one clean sync gives (same customers, payments, refunds, disputes, events),
with no event lost or applied twice.

Two ways to pick the moment: a worker (this module run as a script) that stops at a named
point of the sync and waits to be killed, for the points that matter most (between two
backfill pages, inside the events transaction before its commit, after the commit); and
`payconsole sync --once` killed at delays spread over its run.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import stripe

from ledger.db import open_ledger
from sync.emulator import ControlClient, EmulatorProcess
from sync.service import SyncService
from tests.integration.test_faults import API_KEY, dump_ledger, gateway
from tests.integration.test_sync import make_customer_with_card, pay

ROOT = Path(__file__).resolve().parents[2]
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
    SyncService(gateway(args.api_base)).run_once()


# -- the tests ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backlog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An emulator of its own with over a page of every kind of object and a few hundred
    events, and the ledger a clean sync makes of it."""
    with EmulatorProcess(state=None) as emulator:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": emulator.api_base},
                                     max_network_retries=0)
        control = ControlClient(emulator.api_base)
        customer, method = make_customer_with_card(client, "ivy@example.com")
        for n in range(110):
            intent = pay(client, customer, method, 500 + n)
            if n % 3 == 0:
                client.v1.refunds.create({"payment_intent": intent.id, "amount": 100})
            if n % 20 == 1:
                control.create_dispute(intent.latest_charge)
        clean = tmp_path_factory.mktemp("clean") / "ledger.db"
        open_ledger(clean)
        SyncService(gateway(emulator.api_base)).run_once()
        yield emulator, dump_ledger(clean)


def read_until(process: subprocess.Popen[bytes], *texts: str, timeout: float = 30.0) -> None:
    """Read the process's stdout until every one of `texts` has been printed; fail after
    `timeout` seconds or if it exits first (a hung process must not hang the suite)."""
    assert process.stdout is not None
    fd, seen = process.stdout.fileno(), ""
    deadline = time.monotonic() + timeout
    while not all(text in seen for text in texts):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"{texts} not printed within {timeout}s; got {seen!r}"
        chunk = os.read(fd, 4096)
        assert chunk, f"exited before printing {texts}; got {seen!r}"
        seen += chunk.decode(errors="replace")


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def _resume_and_compare(path: Path, api_base: str, clean: Any) -> dict[str, int]:
    """Check the killed ledger, finish the sync, compare; returns what the kill left."""
    assert _integrity(path) == "ok"
    try:
        left = {table: len(rows) for table, rows in dump_ledger(path).items()}
    except sqlite3.OperationalError:  # killed before the schema was created
        left = {}
    open_ledger(path)
    SyncService(gateway(api_base)).run_once()
    assert dump_ledger(path) == clean
    return left


@pytest.mark.parametrize("point", ["backfill-page", "in-transaction", "events-not-objects",
                                   "after-commit"])
def test_killed_at_a_point_of_the_sync_then_restarted(
        backlog: Any, tmp_path: Path, point: str) -> None:
    emulator, clean = backlog
    path = tmp_path / "ledger.db"
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


def test_payconsole_sync_killed_at_several_moments(backlog: Any, tmp_path: Path) -> None:
    emulator, clean = backlog
    command = [sys.executable, "-m", "console.cli", "sync", "--once", "--api-base",
               emulator.api_base]
    env = {"PATH": "/usr/bin:/bin", "STRIPE_API_KEY": API_KEY,
           "PAYCONSOLE_STRIPE__REQUESTS_PER_SECOND": "100",
           "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")}
    started = time.monotonic()
    subprocess.run([*command, "--ledger", str(tmp_path / "timing.db")], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)
    duration = time.monotonic() - started
    for share in (0.3, 0.5, 0.7, 0.95):
        path = tmp_path / f"killed-{share}.db"
        process = subprocess.Popen([*command, "--ledger", str(path)], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * share)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if path.exists():
            _resume_and_compare(path, emulator.api_base, clean)


if __name__ == "__main__":
    _worker(sys.argv[1:])
