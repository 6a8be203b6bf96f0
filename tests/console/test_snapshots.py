"""Screenshots of the console on the fixed ledger, UTC and a frozen clock (conftest).

After a deliberate change of the look, review and refresh them with
`pytest tests/console/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from typing import Any

from console.context import Mode
from sync.health import SyncHealth, save_health
from sync.scheduler import Job
from tests.console.conftest import NOW, SIZE, AppFactory


def idle_sync() -> Job:
    return Job("sync", lambda: None, every_seconds=3600, run_at_start=False)


def test_payments_pane(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(jobs=[idle_sync()]), terminal_size=SIZE)


def test_live_header_with_a_failing_sync(make_app: AppFactory, snap_compare: Any) -> None:
    save_health(SyncHealth(last_success=NOW - 4000, consecutive_failures=2,
                           last_error="Stripe API unreachable: connection refused",
                           newest_event=NOW - 4100, events_total=4))
    assert snap_compare(make_app(mode=Mode.LIVE, jobs=[idle_sync()]), terminal_size=(150, 8))


def test_payment_detail_of_a_refunded_payment(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["down", "down", "enter"], terminal_size=SIZE)


def test_payment_detail_of_a_declined_payment(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["down", "down", "down", "enter"],
                        terminal_size=SIZE)
