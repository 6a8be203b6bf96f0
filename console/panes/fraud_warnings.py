"""The Fraud warnings pane: the issuers' early fraud warnings, actionable first, newest
first, with the payment they are about. `f` refunds what is left of the payment as
fraudulent (console.operator_actions), the standard answer before a warning becomes a
dispute; one no longer actionable says why and sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import Label

from console.commands import FRAUD_WARNINGS, bindings
from console.panes.base import TablePane
from console.widgets.formatting import age
from console.widgets.lazy_table import Column, LazyTable
from ledger.fraud_views import FraudWarningBoard, FraudWarningLine, fraud_warning_counts
from ledger.money import format_amount


def _amount(line: FraudWarningLine) -> str:
    if line.amount is None or line.currency is None:
        return "not synced"
    return format_amount(line.amount, line.currency)


def _actionable(line: FraudWarningLine) -> Text:
    if line.actionable:
        return Text("yes: refund it (f)", style="bold red")
    refunded = line.payment is not None and line.amount_captured and not line.remaining
    return Text("no: " + ("disputed" if line.disputed else "refunded" if refunded else
                          "ended by Stripe"), style="dim")


def fraud_warning_columns(clock: Callable[[], float]) -> tuple[Column, ...]:
    return (
        Column("Charge", 28, lambda r: r.charge),
        Column("Customer", 26, lambda r: r.customer_email or ""),
        Column("Amount", 14, _amount, align="right"),
        Column("Fraud type", 26, lambda r: r.fraud_type.replace("_", " ")),
        Column("Age", 8, lambda r: age(clock() - r.created)),
        Column("Actionable", 20, _actionable),
    )


class FraudWarningsPane(TablePane):
    NOUN = "fraud-warnings"
    BINDINGS: ClassVar[list[BindingType]] = bindings(FRAUD_WARNINGS)

    def __init__(self, clock: Callable[[], float], *, actions_refusal: str | None,
                 id: str | None = None) -> None:
        """`actions_refusal`: why operator actions are unavailable (said in the summary)."""
        super().__init__(FraudWarningBoard(), id=id)
        self.clock = clock
        self.refusal = actions_refusal

    def make_table(self) -> LazyTable:
        return LazyTable(self.source, fraud_warning_columns(self.clock),
                         id="fraud-warnings-table")

    @property
    def selected_id(self) -> str | None:
        row = self.table.row_at(self.table.cursor)
        return row.id if row is not None else None

    def _show_summary(self) -> None:
        counts, table = fraud_warning_counts(), self.table
        parts = [f"{counts.actionable} actionable of {counts.total} early fraud warnings, "
                 "actionable first, newest first"]
        if table.row_count:
            parts.append(f"row {table.cursor + 1} of {table.row_count}")
        if self.refusal:
            parts.append(f"actions unavailable: {self.refusal}")
        self.query_one("#fraud-warnings-summary", Label).update(" · ".join(parts))
