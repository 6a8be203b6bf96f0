"""The dispute detail's money, from a ledger (no server): an inquiry says a full refund ends
it and `r` opens the refund of its payment, prefilled with all that is left; a won chargeback
lists the funds withdrawn and reinstated, its submission method, and refuses a refund."""

from __future__ import annotations

from typing import Any

import pytest
from peewee import Database
from textual.widgets import Input

from console.screens.dispute_detail import DisputeDetailScreen, dispute_facts, funds_rows
from console.screens.refund_dialog import RefundDialog
from ledger.dispute_views import dispute_detail
from tests.console.conftest import NOW, SIZE, AppFactory, payment_objects, write_objects
from tests.helpers import notes_of, offline_actions, with_actions

DAY = 86_400


def txn(tid: str, amount: int, fee: int, created: int) -> dict[str, Any]:
    return {"id": tid, "object": "balance_transaction", "amount": amount, "fee": fee,
            "net": amount - fee, "currency": "eur", "created": created,
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal"}


@pytest.fixture
def money_ledger(filled_ledger: Database) -> Database:
    """dp_inquiry on pi_usd (12.50 USD, refundable); dp_won on pi_won, funds moved twice."""
    write_objects(filled_ledger, [
        *payment_objects("pi_won", NOW - 30 * DAY, 4000, "eur", "succeeded",
                         email="wo@example.eu"),
        {"object": "dispute", "id": "dp_inquiry", "charge": "ch_usd", "payment_intent": "pi_usd",
         "created": NOW - DAY, "amount": 1250, "currency": "usd",
         "status": "warning_needs_response", "reason": "general", "is_charge_refundable": True,
         "evidence_details": {"due_by": NOW + 9 * DAY, "submission_method": None}},
        {"object": "dispute", "id": "dp_won", "charge": "ch_won", "payment_intent": "pi_won",
         "created": NOW - 29 * DAY, "amount": 4000, "currency": "eur", "status": "won",
         "reason": "fraudulent", "is_charge_refundable": False,
         "evidence_details": {"due_by": NOW - 20 * DAY, "has_evidence": True,
                              "submission_count": 1, "submission_method": "manual"},
         "balance_transactions": [txn("txn_back", 4000, -1500, NOW - 5 * DAY),
                                  txn("txn_out", -4000, 1500, NOW - 29 * DAY)]},
    ], as_of=NOW - 60)
    return filled_ledger


async def open_detail(pilot: Any, dispute_id: str) -> DisputeDetailScreen:
    await pilot.press("2")
    await pilot.pause()
    pane_table = pilot.app.query_one("#disputes-table")
    pane_table.move_cursor(next(i for i in range(pane_table.row_count)
                                if pane_table.row_at(i).id == dispute_id))
    await pilot.press("enter")
    screen = pilot.app.screen
    assert isinstance(screen, DisputeDetailScreen) and screen.detail.dispute.id == dispute_id
    return screen


async def test_r_on_an_inquiry_opens_the_refund_of_all_that_is_left(
        make_app: AppFactory, money_ledger: Database) -> None:
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot, "dp_inquiry")
        facts = dict(dispute_facts(detail.detail, NOW))
        assert facts["Kind"] == ("inquiry: no funds withdrawn yet; a full refund (r) closes it "
                                 "with no dispute fee")
        await pilot.press("r")
        dialog = app.screen
        assert isinstance(dialog, RefundDialog) and dialog.prefill.payment_id == "pi_usd"
        assert dialog.query_one("#refund-amount", Input).value == "12.50"


async def test_a_won_chargeback_lists_its_funds_and_refuses_a_refund(
        make_app: AppFactory, money_ledger: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    detail = dispute_detail("dp_won")
    assert detail is not None
    assert [row[1:] for row in funds_rows(detail.funds)] == [
        ("withdrawn", "-40.00 EUR", "15.00 EUR", "-55.00 EUR", "txn_out"),
        ("reinstated", "40.00 EUR", "-15.00 EUR", "55.00 EUR", "txn_back")]
    facts = dict(dispute_facts(detail, NOW))
    assert (facts["Kind"], facts["Submitted via"]) == ("chargeback", "manual")
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "dp_won")
        notes = notes_of(app, monkeypatch)
        await pilot.press("r")
        assert app.screen is screen
        assert any("is disputed: Stripe refunds a disputed payment through the dispute" in note
                   for note in notes)


def test_won_dispute_detail_snapshot(make_app: AppFactory, money_ledger: Database,
                                     snap_compare: Any) -> None:
    async def open_won(pilot: Any) -> None:
        await open_detail(pilot, "dp_won")

    assert snap_compare(make_app(), run_before=open_won, terminal_size=SIZE)
