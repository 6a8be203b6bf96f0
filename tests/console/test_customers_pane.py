"""The Customers & methods pane: customers found by email, name or id, and the methods
of the one under the cursor (brand, last4, expiry, default, billing name, postcode)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Label

from console.panes.customers import CustomersPane
from ledger.customer_views import MethodRow, customer_search
from tests.console.conftest import SIZE, ActionsAppFactory
from tests.helpers import offline_actions

NEWEST_FIRST = ["cus_bo", "cus_ada"]


def ids(pane: CustomersPane, table_id: str = "customers-table") -> list[str]:
    table = pane.customers if table_id == "customers-table" else pane.methods
    return [table.row_at(i).id for i in range(table.row_count)]


async def search(pilot: Pilot, pane: CustomersPane, text: str) -> list[str]:
    pane.query_one("#customers-search", Input).value = text
    await pilot.pause()
    return ids(pane)


async def test_customers_are_found_by_email_name_or_id(actions_app: ActionsAppFactory) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        pane = app.query_one(CustomersPane)
        assert ids(pane) == NEWEST_FIRST
        assert [pane.customers.row_at(i).methods for i in range(2)] == [1, 2]
        for text, found in (
                ("ada@", ["cus_ada"]),  # email prefix
                ("BO@EXAMPLE", ["cus_bo"]),  # any case
                ("lovelace", ["cus_ada"]),  # a word of the name
                ("tanaka bo", ["cus_bo"]),  # every word must match
                ("cus_a", ["cus_ada"]),  # id prefix
                ("example", []),  # not a prefix of anything
                ("100%", []),  # LIKE wildcards are taken literally
                ("", NEWEST_FIRST)):
            assert await search(pilot, pane, text) == found, text
        await search(pilot, pane, "nobody")
        summary = str(pane.query_one("#customers-summary", Label).content)
        assert summary == "No customers match 'nobody'"
        assert ids(pane, "methods-table") == []


async def test_the_selected_customers_methods_are_listed(actions_app: ActionsAppFactory) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        pane = app.query_one(CustomersPane)
        assert ids(pane, "methods-table") == ["pm_bo_amex"]
        pane.customers.focus()
        await pilot.press("down")
        assert ids(pane, "methods-table") == ["pm_ada_visa", "pm_ada_mc"]
        heading = str(pane.query_one("#methods-heading", Label).content)
        assert heading == "Saved payment methods of cus_ada (ada@example.com Ada Lovelace)"
        visa, mastercard = (pane.methods.row_at(i) for i in range(2))
        assert isinstance(visa, MethodRow)
        assert (visa.card_brand, visa.card_last4, visa.expiry, visa.billing_name,
                visa.billing_postal_code, visa.is_default) == (
            "visa", "4242", "04/2030", "Ada Lovelace", "EC1A 1BB", False)
        assert mastercard.is_default and mastercard.label == "mastercard •••• 4444 exp 04/2030"
        await pilot.press("tab", "down")  # to the methods
        assert pane.selected_method == mastercard


def test_the_search_pages_like_every_listing(ledger_with_customers: object) -> None:
    listing = customer_search("a")  # ada@…, Ada Lovelace
    assert [row.id for row in listing.page(0, 10)] == ["cus_ada"]
    assert listing.count() == 1 and listing.position_of("cus_ada") == 0
    assert listing.position_of("cus_bo") is None
