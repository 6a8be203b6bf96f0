"""Search and filter in the Payments pane: `/`, composed filters, the filtered count,
refused searches, Escape, and lazy paging of the results."""

from __future__ import annotations

from peewee import Database
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select

from console.app import PayConsoleApp
from console.panes.payments import PaymentsPane, PaymentsTable
from console.widgets.lazy_table import LazyTable
from console.widgets.search_bar import SearchBar
from ledger.filters import PaymentFilter
from ledger.queries import PaymentListing
from tests.console.conftest import NOW, SIZE, AppFactory, payment_objects, write_objects
from tests.helpers import PAYMENTS_NEWEST_FIRST as NEWEST_FIRST
from tests.helpers import label_text


def shown_ids(app: PayConsoleApp) -> list[str]:
    table = app.query_one(PaymentsTable)
    return [table.row_at(i).id for i in range(table.row_count)]


def bar(app: PayConsoleApp) -> SearchBar:
    return app.query_one("#payments-search", SearchBar)


async def search(pilot: Pilot, text: str) -> None:
    """Type a search the way an operator does: `/`, the text, Enter."""
    await pilot.press("slash")
    pilot.app.query_one("#payments-search Input", Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_slash_searches_and_the_count_is_the_filtered_count(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        search_input = app.query_one("#payments-search Input", Input)
        assert search_input.has_focus
        await pilot.press(*"status:succeeded", "space", *"currency:usd", "enter")
        await pilot.pause()
        assert shown_ids(app) == ["pi_disputed", "pi_usd"]
        assert label_text(pilot, "#payments-summary") == (
            "2 payments match the search · row 1 · newest first")
        assert app.query_one(PaymentsTable).has_focus  # Enter hands over to the results
        assert label_text(pilot, "#header-count") == "7 payments"  # the ledger's, unfiltered


async def test_filters_compose(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#payments-search Select", Select).value = "succeeded"
        await pilot.pause()
        assert shown_ids(app) == ["pi_disputed", "pi_refunded", "pi_kwd", "pi_jpy", "pi_usd"]
        await search(pilot, "email:gu")  # narrows the status chosen beside it
        assert shown_ids(app) == ["pi_disputed"]
        await search(pilot, "currency:usd amount>=12.50 amount<=50")
        assert shown_ids(app) == ["pi_usd"]
        await search(pilot, "4444")  # a bare word: a card's last4
        assert shown_ids(app) == ["pi_jpy"]
        app.query_one("#payments-search Select", Select).clear()
        await pilot.pause()
        await search(pilot, "pi_d since:2026-11-18 until:2026-11-18")
        assert shown_ids(app) == ["pi_disputed", "pi_declined"]
        await search(pilot, "failure:insufficient_funds")
        assert shown_ids(app) == ["pi_declined"]


async def test_a_refused_search_shows_why_and_keeps_the_results(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "currency:jpy")
        assert shown_ids(app) == ["pi_jpy"]
        for bad in ("amount>10", "status:bogus", "last4:42", 'email:"ada'):
            await search(pilot, bad)
            assert shown_ids(app) == ["pi_jpy"]  # unchanged
            assert bar(app).has_class("-error")
            assert bar(app).applied == PaymentFilter(currency="jpy")
        error = str(app.query_one("#payments-search .search-error", Label).content)
        assert error == 'search has an unclosed double quote (")'
        assert app.query_one("#payments-search Input", Input).has_focus  # to fix it
        await search(pilot, "amount>10")
        assert "give a currency too" in str(
            app.query_one("#payments-search .search-error", Label).content)


async def test_escape_clears_the_search(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#payments-search Select", Select).value = "requires_action"
        await search(pilot, "zzz")
        assert shown_ids(app) == []
        assert label_text(pilot, "#payments-summary").startswith("No payments match the search")
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert shown_ids(app) == NEWEST_FIRST
        assert app.query_one("#payments-search Select", Select).value is Select.NULL
        assert bar(app).applied.is_empty() and not bar(app).has_class("-error")
        assert label_text(pilot, "#payments-summary").startswith("7 payments, newest first")


async def test_results_page_lazily(make_app: AppFactory, filled_ledger: Database) -> None:
    objects = []
    for n in range(1200):
        status = "succeeded" if n % 3 else "canceled"
        objects += payment_objects(f"pi_bulk{n:04}", NOW - 86_400 - n * 60, 100 + n, "usd",
                                   status, email=f"bulk{n}@example.com")
    write_objects(filled_ledger, objects, as_of=NOW)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(PaymentsTable)
        await search(pilot, "status:canceled")
        assert table.row_count == 400 == PaymentListing(
            PaymentFilter(statuses=("canceled",))).count()
        fetched = table.window_fetches
        await pilot.press("end")
        assert table.cursor_id == "pi_bulk1197"
        assert table.window_fetches - fetched <= 2  # the last window, not every row
        await search(pilot, "bulk11")  # an email prefix
        assert table.row_count == 111  # bulk11 and bulk1100..bulk1199 (some id prefixes too)


async def test_slash_searches_disputes_and_customers_too(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "slash")
        disputes_input = app.query_one("#disputes-search Input", Input)
        assert disputes_input.has_focus
        table = app.query_one("#disputes-table", LazyTable)
        disputes_input.value = "currency:eur"
        await pilot.press("enter")
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("slash")
        disputes_input.value = "status:needs_response amount>=80 currency:usd"
        await pilot.press("enter")
        await pilot.pause()
        assert [table.row_at(i).id for i in range(table.row_count)] == ["dp_1"]
        await pilot.press("slash")
        disputes_input.value = "email:ada"
        await pilot.press("enter")
        await pilot.pause()
        error = app.query_one("#disputes-search .search-error", Label).content
        assert str(error) == "dispute rows cannot be filtered by email"
        assert table.row_count == 1
        await pilot.press("escape", "3", "slash")  # Escape leaves the search for the table
        assert app.query_one("#customers-search").has_focus


async def test_o_cycles_the_payment_order_and_keeps_the_search(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(PaymentsPane)
        await pilot.pause()
        first = [pane.table.row_at(i).id for i in range(pane.table.row_count)]
        await pilot.press("o")
        oldest = [pane.table.row_at(i).id for i in range(pane.table.row_count)]
        assert oldest == first[::-1]
        assert "oldest first" in label_text(pilot, "#payments-summary")
        await pilot.press("o")
        largest = [pane.table.row_at(i) for i in range(pane.table.row_count)]
        by_currency = [(r.currency, r.amount) for r in largest]
        assert by_currency == sorted(by_currency, reverse=True)
        await pilot.press("o")
        assert "newest first" in label_text(pilot, "#payments-summary")
