"""The Payments pane: every payment in the ledger, newest first, live."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType

from console.messages import OpenPayment
from console.panes.base import TablePane
from console.widgets.formatting import card_label, local_time, money_or_blank, status_text
from console.widgets.lazy_table import Column, LazyTable
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


class PaymentsPane(TablePane):
    NOUN = "payments"

    def make_table(self) -> LazyTable:
        return PaymentsTable(self.source, PAYMENT_COLUMNS, id="payments-table")

    @property
    def selected_id(self) -> str | None:
        return self.table.cursor_id

    @on(LazyTable.RowSelected)
    def _row_selected(self, message: LazyTable.RowSelected) -> None:
        message.stop()
        self.post_message(OpenPayment(message.row_id))
