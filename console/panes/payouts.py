"""The Payouts pane: payouts newest first with their status and arrival date; failed ones
in the error colour, and a toast and the bell when a sync brings a failure (as the Disputes
pane does for new disputes). Enter opens the payout's detail and reconciliation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.segment import Segment
from textual import on
from textual.app import App
from textual.binding import BindingType
from textual.strip import Strip

from console.commands import PAYOUTS_TABLE, bindings
from console.panes.base import TablePane
from console.screens.payout_detail import Fetch, PayoutDetailScreen, payout_status_text
from console.widgets.formatting import local_time
from console.widgets.lazy_table import Column, LazyTable
from ledger.money import format_amount
from ledger.payouts import PayoutLine, PayoutListing, failed_payouts, payout_detail

# Failed payouts this recent are alerted on (the header counts them).
FAILED_ALERT_SECONDS = 30 * 86400


def _status(row: PayoutLine) -> Any:
    text = payout_status_text(row.status)
    if row.failed and row.failure_code:
        text.append(f" {row.failure_code}")
    return text


PAYOUT_COLUMNS: tuple[Column, ...] = (
    Column("Created", 16, lambda r: local_time(r.created)),
    Column("Amount", 16, lambda r: format_amount(r.amount, r.currency), align="right"),
    Column("Status", 30, _status),
    Column("Arrival", 16, lambda r: local_time(r.arrival_date)),
    Column("Kind", 9, lambda r: "automatic" if r.automatic else "manual"),
    Column("Payout", 30, lambda r: r.id),
)


class PayoutsTable(LazyTable):
    BINDINGS: ClassVar[list[BindingType]] = bindings(PAYOUTS_TABLE)
    COMPONENT_CLASSES: ClassVar[set[str]] = LazyTable.COMPONENT_CLASSES | {
        "payouts-table--failed"}

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index = self.scroll_offset.y + y - 1
        if y == 0 or (index == self.cursor and self.has_focus):
            return strip
        row = self.row_at(index)
        if not isinstance(row, PayoutLine) or not row.failed:
            return strip
        style = self.get_component_rich_style("payouts-table--failed", partial=True)
        return Strip(Segment.apply_style(strip, post_style=style), strip.cell_length)


class PayoutsPane(TablePane):
    NOUN = "payouts"

    def __init__(self, *, fetch: Fetch | None, id: str | None = None) -> None:
        """`fetch`: gets a payout's transactions from Stripe for its detail (None: offline)."""
        super().__init__(PayoutListing(), id=id)
        self.fetch = fetch

    def make_table(self) -> LazyTable:
        return PayoutsTable(self.source, PAYOUT_COLUMNS, id="payouts-table")

    @on(LazyTable.RowSelected)
    def _row_selected(self, message: LazyTable.RowSelected) -> None:
        message.stop()
        detail = payout_detail(message.row_id)
        if detail is None:
            self.notify(f"{message.row_id} is no longer in the ledger", severity="warning")
            return
        self.app.push_screen(PayoutDetailScreen(detail, fetch=self.fetch))


def failure_text(line: PayoutLine) -> str:
    return (f"{line.id}: {format_amount(line.amount, line.currency)} did not reach the bank: "
            f"{line.failure_code or 'failed'}: {line.failure_message or 'no message'}")


class PayoutAlerts:
    """A toast and the bell when a sync brings a failed payout this session had not seen
    failed (those failed when the console opens are in the header, not news)."""

    TOAST_SECONDS = 30.0

    def __init__(self, app: App[Any], clock: Callable[[], float]) -> None:
        self.app = app
        self.clock = clock
        self._seen = {line.id for line in self._failed()}

    def _failed(self) -> list[PayoutLine]:
        return failed_payouts(int(self.clock()) - FAILED_ALERT_SECONDS)

    def check(self) -> None:
        new = [line for line in self._failed() if line.id not in self._seen]
        if not new:
            return
        for line in new:
            self._seen.add(line.id)
            self.app.notify(failure_text(line), title="Payout failed", severity="error",
                            timeout=self.TOAST_SECONDS, markup=False)
        self.app.bell()
