"""The Payments pane: every payment in the ledger, newest first, live."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label

from console.messages import OpenPayment
from console.panes.base import LedgerPane
from console.widgets.formatting import card_label, local_time, money_or_blank, status_text
from console.widgets.lazy_table import Column, LazyTable, RowSource
from ledger.money import format_amount
from ledger.queries import PaymentRow


def _disputed(row: PaymentRow) -> Text:
    return Text("yes", style="bold red") if row.disputed else Text("")


PAYMENT_COLUMNS: tuple[Column, ...] = (
    Column("Created", 16, lambda r: local_time(r.created)),
    Column("Amount", 16, lambda r: format_amount(r.amount, r.currency), align="right"),
    Column("Status", 23, lambda r: status_text(r.status)),
    Column("Customer", 22, lambda r: r.customer_email or ""),
    Column("Card", 20, lambda r: card_label(r.card_brand, r.card_last4)),
    Column("Refunded", 14, lambda r: money_or_blank(r.amount_refunded, r.currency),
           align="right"),
    Column("Disputed", 8, _disputed),
    Column("Failure", 18, lambda r: r.failure_code or ""),
)


class PaymentsTable(LazyTable):
    # Enter opens the detail under its own id, so users can remap it separately.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Detail", id="payments.detail"),
    ]


class PaymentsPane(LedgerPane):
    def __init__(self, source: RowSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source

    def compose(self) -> ComposeResult:
        yield Label("", id="payments-summary", classes="pane-summary")
        yield PaymentsTable(self.source, PAYMENT_COLUMNS, id="payments-table")

    @property
    def table(self) -> PaymentsTable:
        return self.query_one(PaymentsTable)

    @property
    def selected_id(self) -> str | None:
        return self.table.cursor_id

    def reload(self) -> None:
        self.table.refresh_rows()
        self._show_summary()

    def focus_content(self) -> None:
        self.table.focus()

    @on(LazyTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_summary()

    @on(LazyTable.RowSelected)
    def _row_selected(self, message: LazyTable.RowSelected) -> None:
        message.stop()
        self.post_message(OpenPayment(message.row_id))

    def _show_summary(self) -> None:
        table = self.table
        if table.row_count == 0:
            text = "No payments in the ledger yet"
        else:
            text = f"{table.row_count:,} payments, newest first · row {table.cursor + 1:,}"
        self.query_one("#payments-summary", Label).update(text)
