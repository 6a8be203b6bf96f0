"""The Customers & methods pane: customers searchable by email, name or id, and the saved
payment methods of the one under the cursor; e / d / x / n act on them."""

from __future__ import annotations

from typing import ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input, Label

from console.commands import CUSTOMERS, bindings
from console.panes.base import LedgerPane
from console.widgets.formatting import local_time
from console.widgets.lazy_table import Column, LazyTable
from ledger.customer_views import (
    CustomerMethods,
    CustomerSummary,
    MethodRow,
    customer_search,
)

# -- the pane ---------------------------------------------------------------------------


def _default_marker(row: MethodRow) -> Text:
    return Text("default", style="bold green") if row.is_default else Text("")


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("Email", 30, lambda r: r.email or ""),
    Column("Name", 24, lambda r: r.name or ""),
    Column("Customer", 24, lambda r: r.id),
    Column("Created", 16, lambda r: local_time(r.created)),
    Column("Methods", 7, lambda r: str(r.methods), align="right"),
)

METHOD_COLUMNS: tuple[Column, ...] = (
    Column("Default", 7, _default_marker),
    Column("Brand", 12, lambda r: r.card_brand or r.type),
    Column("Last4", 5, lambda r: r.card_last4 or ""),
    Column("Expiry", 7, lambda r: r.expiry),
    Column("Billing name", 24, lambda r: r.billing_name or ""),
    Column("Postcode", 10, lambda r: r.billing_postal_code or ""),
    Column("Payment method", 30, lambda r: r.id),
)


class CustomersPane(LedgerPane):
    BINDINGS: ClassVar[list[BindingType]] = bindings(CUSTOMERS)

    def __init__(self, *, actions_refusal: str | None, id: str | None = None) -> None:
        """`actions_refusal`: why operator actions are unavailable (said under the tables)."""
        super().__init__(id=id)
        self.actions_refusal = actions_refusal

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search customers: email, name or id (all words must match)",
                    id="customers-search", max_length=256)
        # markup=False: these lines quote what was typed and customers' names.
        yield Label("", id="customers-summary", classes="pane-summary", markup=False)
        yield LazyTable(customer_search(""), CUSTOMER_COLUMNS, id="customers-table")
        yield Label("", id="methods-heading", classes="pane-summary", markup=False)
        yield LazyTable(CustomerMethods(None), METHOD_COLUMNS, id="methods-table")
        if self.actions_refusal:
            yield Label(f"Actions unavailable: {self.actions_refusal}", id="customers-refusal",
                        markup=False)

    @property
    def customers(self) -> LazyTable:
        return self.query_one("#customers-table", LazyTable)

    @property
    def methods(self) -> LazyTable:
        return self.query_one("#methods-table", LazyTable)

    @property
    def selected_customer(self) -> CustomerSummary | None:
        table = self.customers
        return cast(CustomerSummary | None, table.row_at(table.cursor))

    @property
    def selected_method(self) -> MethodRow | None:
        table = self.methods
        return cast(MethodRow | None, table.row_at(table.cursor))

    def reload(self) -> None:
        self.customers.refresh_rows()
        self._show_methods()

    def focus_content(self) -> None:
        self.customers.focus()

    @on(Input.Changed, "#customers-search")
    def _search(self, event: Input.Changed) -> None:
        self.customers.source = customer_search(event.value)
        self.reload()

    @on(Input.Submitted, "#customers-search")
    def _search_done(self) -> None:
        self.customers.focus()

    @on(LazyTable.RowHighlighted, "#customers-table")
    def _customer_highlighted(self) -> None:
        self._show_methods()

    def _show_methods(self) -> None:
        customer = self.selected_customer
        customer_id = customer.id if customer else None
        methods = self.methods
        shown = methods.source
        if not (isinstance(shown, CustomerMethods) and shown.customer_id == customer_id):
            methods.source = CustomerMethods(customer_id)
            methods.cursor = 0  # another customer's list starts at its first method
        methods.refresh_rows()
        self._show_headings(customer)

    def _show_headings(self, customer: CustomerSummary | None) -> None:
        table = self.customers
        search = self.query_one("#customers-search", Input).value.strip()
        if table.row_count == 0:
            summary = f"No customers match {search!r}" if search else "No customers yet"
        else:
            matching = " matching" if search else ""
            summary = (f"{table.row_count:,} customers{matching}, newest first · "
                       f"row {table.cursor + 1:,}")
        self.query_one("#customers-summary", Label).update(summary)
        heading = "Saved payment methods"
        if customer is not None:
            who = " ".join(filter(None, (customer.email, customer.name)))
            heading += f" of {customer.id}" + (f" ({who})" if who else "")
        self.query_one("#methods-heading", Label).update(heading)
