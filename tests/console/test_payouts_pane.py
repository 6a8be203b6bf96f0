"""The Payouts pane and a payout's detail (Pilot), the failed-payout alert, a snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from peewee import SqliteDatabase
from textual.pilot import Pilot
from textual.widgets import Static

from console.panes.payouts import PayoutsTable
from console.screens.payout_detail import PayoutDetailScreen, payout_facts
from sync.scheduler import Job
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, AppFactory, write_objects
from tests.helpers import label_text, notes_of, payout_object, store_payouts


@pytest.fixture
def payouts_ledger(filled_ledger: SqliteDatabase) -> SqliteDatabase:
    store_payouts(filled_ledger)
    return filled_ledger


async def show_payouts(pilot: Pilot[Any]) -> PayoutsTable:
    await pilot.press("7")
    return pilot.app.query_one(PayoutsTable)


def bold(table: PayoutsTable, y: int) -> bool:
    """Whether line `y` of the table is drawn bold (a failed payout's row is)."""
    return all(segment.style is not None and segment.style.bold
               for segment in table.render_line(y) if segment.text.strip())


def static_text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def test_payouts_newest_first_and_each_detail_reconciles_or_not(
        make_app: AppFactory, payouts_ledger: SqliteDatabase) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await show_payouts(pilot)
        assert [table.row_at(i).id for i in range(table.row_count)] == [
            "po_jpy", "po_eur", "po_usd"]
        assert label_text(pilot, "#payouts-summary") == "3 payouts, newest first · row 1"
        await pilot.press("down")  # off the failed row: its colour shows
        assert bold(table, 1) and not bold(table, 3)
        await pilot.press("up", "enter")
        screen = app.screen
        assert isinstance(screen, PayoutDetailScreen)
        facts = dict(payout_facts(screen.detail))
        assert str(facts["Failure"]) == "account_closed: The bank account has been closed."
        assert str(facts["Status"]) == "failed"
        assert "transactions are not in the ledger" in static_text(
            screen, "#payout-reconciliation")
        await pilot.press("escape", "down", "enter")
        assert static_text(app.screen, "#payout-reconciliation") == (
            "NOT reconciled: the net of 2 transactions (20.00 EUR) is 10.00 EUR short of the "
            "payout (30.00 EUR)")
        await pilot.press("escape", "down", "enter")
        detail = app.screen
        assert isinstance(detail, PayoutDetailScreen)
        assert static_text(detail, "#payout-reconciliation") == (
            "reconciled: the net of 2 transactions (92.50 USD) adds up to the payout "
            "(92.50 USD)")
        behind = {(t.source, t.payment, t.customer_email) for t in detail.detail.transactions}
        assert behind == {("ch_usd", "pi_usd", "ada@example.com"),
                          ("ch_disputed", "pi_disputed", "gu@example.com"),
                          ("po_usd", None, None)}


async def test_failed_payouts_are_in_the_header_and_a_new_failure_alerts(
        make_app: AppFactory, payouts_ledger: SqliteDatabase, wait_for: Waiter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    failed = payout_object("po_eur", NOW - 7200, 3000, "eur", "failed",
                           failure_code="no_account",
                           failure_message="The bank account details on file are probably "
                                           "incorrect.")

    def sync() -> str:  # the sync brings the EUR payout's failure
        write_objects(payouts_ledger, [failed], as_of=NOW)
        return "synced"

    app = make_app(jobs=[Job("sync", sync, every_seconds=3600, run_at_start=False)])
    bells: list[bool] = []
    app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        assert label_text(pilot, "#header-payouts").strip() == "1 payout failed: see Payouts"
        notes = notes_of(app, monkeypatch)
        await pilot.press("s")
        await wait_for(lambda: "2 payouts failed" in label_text(pilot, "#header-payouts"),
                       pilot=pilot)
        assert [n for n in notes if n.startswith("po_")] == [
            "po_eur: 30.00 EUR did not reach the bank: no_account: The bank account details "
            "on file are probably incorrect."]
        assert bells == [True]
        await pilot.press("s")  # announced once
        await pilot.pause(0.1)
        assert len([n for n in notes if n.startswith("po_")]) == 1


def test_payouts_pane_snapshot(make_app: AppFactory, payouts_ledger: SqliteDatabase,
                               snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["7"], terminal_size=SIZE)
