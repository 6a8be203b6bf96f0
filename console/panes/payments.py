"""The Payments pane: every payment in the ledger, newest first, live."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Label

from console.commands import PAYMENTS, PAYMENTS_TABLE, bindings
from console.messages import OpenPayment
from console.panes.base import TablePane
from console.screens.payment_detail import status_with_hold
from console.widgets.formatting import local_time, money_or_blank
from console.widgets.lazy_table import Column, LazyTable
from console.widgets.search_bar import SearchBar, match_summary, show_source
from ledger.labels import card_label
from ledger.money import format_amount
from ledger.queries import PAYMENT_ORDERS, PaymentListing, PaymentRow


def _disputed(row: PaymentRow) -> Text:
    return Text("yes", style="bold red") if row.disputed else Text("")


# PaymentIntent statuses, for the search bar's status filter.
PAYMENT_STATUSES = ("succeeded", "requires_payment_method", "requires_action", "processing",
                    "requires_capture", "requires_confirmation", "canceled")


def payment_columns(clock: Callable[[], float]) -> tuple[Column, ...]:
    def status(row: PaymentRow) -> Text:
        return status_with_hold(row.status, row.created, row.capture_before, clock())

    return (
        Column("Created", 16, lambda r: local_time(r.created)),
        Column("Amount", 16, lambda r: format_amount(r.amount, r.currency), align="right"),
        Column("Status", 24, status),  # "requires_capture 23h 59m"
        Column("Customer", 21, lambda r: r.customer_email or ""),
        Column("Card", 20, lambda r: card_label(r.card_brand, r.card_last4)),
        Column("Refunded", 14, lambda r: money_or_blank(r.amount_refunded, r.currency),
               align="right"),
        Column("Disputed", 8, _disputed),
        Column("Failure", 18, lambda r: r.failure_code or ""),
    )


class PaymentsTable(LazyTable):
    # Enter opens the detail under its own id, so users can remap it separately.
    BINDINGS: ClassVar[list[BindingType]] = bindings(PAYMENTS_TABLE)


class PaymentsPane(TablePane):
    NOUN = "payments"
    BINDINGS: ClassVar[list[BindingType]] = bindings(PAYMENTS)

    def __init__(self, source: PaymentListing, *, clock: Callable[[], float],
                 id: str | None = None) -> None:
        super().__init__(source, id=id)
        self.clock = clock

    def make_table(self) -> LazyTable:
        return PaymentsTable(self.source, payment_columns(self.clock), id="payments-table")

    def compose(self) -> ComposeResult:
        yield SearchBar("payment", statuses=PAYMENT_STATUSES, id="payments-search")
        yield from super().compose()

    @on(SearchBar.Applied)
    def _search(self, message: SearchBar.Applied) -> None:
        self._show_listing(PaymentListing(message.filter, self._listing.order))

    def action_next_order(self) -> None:
        """Cycle the row order (each has its own index, so a million rows re-sort at once)."""
        following = PAYMENT_ORDERS.index(self._listing.order) + 1
        order = PAYMENT_ORDERS[following % len(PAYMENT_ORDERS)]
        self._show_listing(self._listing.reordered(order))

    @property
    def _listing(self) -> PaymentListing:
        return cast(PaymentListing, self.source)

    def _show_listing(self, listing: PaymentListing) -> None:
        self.source = listing
        show_source(self.table, listing)
        self._show_summary()
        self.focus_content()

    def _show_summary(self) -> None:
        table, order = self.table, self._listing.order.label
        if not self.query_one(SearchBar).applied.is_empty():
            text = f"{match_summary(self.NOUN, table)} · {order}"
        elif table.row_count == 0:
            text = "No payments in the ledger yet"
        else:
            text = f"{table.row_count:,} payments, {order} · row {table.cursor + 1:,}"
        self.query_one("#payments-summary", Label).update(text)

    @property
    def selected_id(self) -> str | None:
        return self.table.cursor_id

    @on(LazyTable.RowSelected)
    def _row_selected(self, message: LazyTable.RowSelected) -> None:
        message.stop()
        self.post_message(OpenPayment(message.row_id))
