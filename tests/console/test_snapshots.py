"""Screenshots of the console on the fixed ledger, UTC and a frozen clock (conftest).

After a deliberate change of the look, review and refresh them with
`pytest tests/console/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from typing import Any

from tests.console.conftest import SIZE, AppFactory


def test_payments_pane(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE)


def test_payment_detail_of_a_refunded_payment(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["down", "down", "enter"], terminal_size=SIZE)


def test_payment_detail_of_a_declined_payment(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["down", "down", "down", "enter"],
                        terminal_size=SIZE)
