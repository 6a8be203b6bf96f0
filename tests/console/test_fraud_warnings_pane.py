"""The Fraud warnings pane with Pilot, on the fixed ledger and without a network: actionable
first, newest first, with the payment's customer and amount; `f` confirms a fraudulent
refund of what is left; a warning no longer actionable says why and sends nothing.
Sending for real is in tests/integration/test_console_fraud_warnings.py."""

from __future__ import annotations

from typing import Any

import pytest
from peewee import SqliteDatabase
from textual.pilot import Pilot

from console.panes.fraud_warnings import FraudWarningsPane
from console.screens.confirm import ConfirmScreen
from ledger.audit import AuditListing
from ledger.models import PendingAction
from tests.console.conftest import NOW, SIZE, ActionsAppFactory, write_objects
from tests.helpers import fraud_warning, notes_of, offline_actions


@pytest.fixture(autouse=True)
def warnings(ledger_with_customers: SqliteDatabase) -> None:
    """Three warnings: two actionable, one whose payment was disputed since."""
    write_objects(ledger_with_customers, [
        fraud_warning("issfr_usd", "pi_usd", NOW - 600, charge="ch_usd"),
        fraud_warning("issfr_jpy", "pi_jpy", NOW - 2 * 3600, charge="ch_jpy",
                      fraud_type="unauthorized_use_of_card"),
        fraud_warning("issfr_disputed", "pi_disputed", NOW - 60, charge="ch_disputed",
                      fraud_type="misc"),
    ], as_of=NOW - 60)


async def show_pane(pilot: Pilot[Any]) -> FraudWarningsPane:
    await pilot.press("8")
    await pilot.pause()
    return pilot.app.query_one(FraudWarningsPane)


async def test_actionable_first_newest_first_with_the_payment(
        actions_app: ActionsAppFactory) -> None:
    async with actions_app(offline_actions()).run_test(size=SIZE) as pilot:
        pane = await show_pane(pilot)
        rows = pane.source.page(0, 10)
        assert [row.id for row in rows] == ["issfr_usd", "issfr_jpy", "issfr_disputed"]
        assert (rows[0].customer_email, rows[0].amount, rows[0].currency) == (
            "ada@example.com", 1250, "usd")
        assert [row.actionable for row in rows] == [True, True, False]


async def test_f_confirms_a_fraudulent_refund_of_what_is_left(
        actions_app: ActionsAppFactory) -> None:
    async with actions_app(offline_actions()).run_test(size=SIZE) as pilot:
        await show_pane(pilot)
        await pilot.press("f")
        await pilot.pause()
        confirm = pilot.app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.plan.summary.startswith(
            "Refund 12.50 USD of pi_usd (fraudulent), all that is left, answering early "
            "fraud warning issfr_usd (made with stolen card)")
        await pilot.press("escape")  # not confirmed: nothing attempted
    assert PendingAction.select().count() == 0


async def test_a_warning_no_longer_actionable_says_so_and_sends_nothing(
        actions_app: ActionsAppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    app = actions_app(offline_actions())
    notes = notes_of(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_pane(pilot)
        pane.table.move_cursor(pane.source.position_of("issfr_disputed"))
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmScreen)
    assert notes == ["early fraud warning issfr_disputed is no longer actionable: its "
                     "payment is disputed: the chargeback it warned of came; nothing to send"]
    assert [row.result for row in AuditListing().page(0, 10)] == ["refused"]
    assert PendingAction.select().count() == 0


def test_snapshot_of_the_fraud_warnings_list(actions_app: ActionsAppFactory,
                                             snap_compare: Any) -> None:
    assert snap_compare(actions_app(offline_actions()), press=["8"], terminal_size=SIZE)
