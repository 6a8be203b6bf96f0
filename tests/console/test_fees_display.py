"""Fees in the console: the payment detail's Fee, Net, what the payment kept after its
refund, and the fee breakdown; the Analytics pane's fee tiles and the balance line."""

from __future__ import annotations

from typing import Any

from peewee import SqliteDatabase
from textual.widgets import Label

from console.panes.analytics import AnalyticsPane
from console.screens.payment_detail import PaymentDetailScreen, fee_facts, fee_rows
from console.widgets.tiles import TileBoard
from ledger.fees import Balance, save_balance
from ledger.money import format_amount
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, AppFactory, write_objects
from tests.helpers import label_text

DAY = 86_400


def transaction(txn: str, source: str, amount: int, fee: int, created: int,
                **extra: Any) -> dict[str, Any]:
    """A balance transaction as Stripe lists it."""
    details = [{"amount": fee, "currency": "eur", "description": "Stripe processing fees",
                "type": "stripe_fee"}] if fee else []
    return {"object": "balance_transaction", "id": txn, "source": source, "amount": amount,
            "currency": "eur", "fee": fee, "net": amount - fee, "fee_details": details,
            "created": created, "available_on": created + 2 * DAY, "status": "pending",
            **extra}


async def test_the_payment_detail_shows_fee_net_and_the_breakdown(
        filled_ledger: SqliteDatabase, make_app: AppFactory) -> None:
    write_objects(filled_ledger, [
        transaction("txn_ch", "ch_refunded", 3000, 117, NOW - 3 * 3600, type="charge",
                    reporting_category="charge"),
        transaction("txn_re", "re_1", -1000, 0, NOW - 3000, type="refund",
                    reporting_category="refund"),
    ], as_of=NOW)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "enter")  # pi_refunded
        screen = app.screen
        assert isinstance(screen, PaymentDetailScreen)
        facts = {name: str(value) for name, value in fee_facts(screen.detail, NOW)}
        assert facts["Fee"] == "1.17 EUR" and facts["Net"] == "28.83 EUR"
        assert facts["Net after refunds and disputes"] == "18.83 EUR"
        assert facts["Funds"].startswith("pending until ")
        assert list(fee_rows(screen.detail)) == [
            ("Stripe processing fees", "stripe_fee", "1.17 EUR")]
        assert [label.content for label in screen.query(".detail-heading").results(Label)
                ][:2] == ["Metadata", "Fees"]


async def test_analytics_shows_the_fees_and_the_balance(
        filled_ledger: SqliteDatabase, make_app: AppFactory, wait_for: Waiter) -> None:
    write_objects(filled_ledger, [
        transaction("txn_ch", "ch_refunded", 3000, 117, NOW - 3 * 3600, type="charge",
                    reporting_category="charge"),
        transaction("txn_dp", "dp_x", -500, 1500, NOW - 3000, type="adjustment",
                    reporting_category="dispute"),
    ], as_of=NOW)
    with filled_ledger.atomic():
        save_balance(Balance({"eur": 1200, "usd": 0}, {"eur": 2883, "usd": 9000}, NOW))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane = app.query_one(AnalyticsPane)
        await wait_for(lambda: pane.figures is not None, pilot=pilot)
        await pilot.pause()
        eur = {tile.spec.figure: tile.value
               for tile in pane.query_one(TileBoard).rows["eur"].tiles}
        assert (eur["fees"], eur["dispute_withdrawn"]) == ("1.17 EUR", "20.00 EUR")
        # The EUR gross less the refund, the 1.17 fee and the 20.00 the dispute took:
        figures = pane.figures
        assert figures is not None
        euro = figures.comparison["eur"].current
        assert eur["net_after_fees"] == format_amount(
            euro.gross - euro.refunded - 117 - 2000, "eur")
        assert label_text(pilot, "#analytics-balance") == (
            "Balance: 12.00 EUR available, 28.83 EUR pending · "
            "0.00 USD available, 90.00 USD pending")
