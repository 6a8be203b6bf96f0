"""The Disputes pane, for on-call: what is due first, how long is left, and the actions on
it (detail; evidence and accept: console.operator_actions). Also the alert for disputes a
sync brings.

Urgency (overdue, under 48 h, under 7 days) colours whole rows through component classes,
so the colours live in disputes.tcss; countdowns are rendered from the app's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.segment import Segment
from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.strip import Strip
from textual.widgets import Label

from console.commands import DISPUTES, DISPUTES_TABLE, bindings
from console.panes.base import TablePane
from console.widgets.countdown import countdown, utc_time
from console.widgets.formatting import evidence_state
from console.widgets.lazy_table import Column, LazyTable, RowSource
from console.widgets.search_bar import SearchBar, show_source
from ledger import dispute_status
from ledger.dispute_status import is_closed, needs_response
from ledger.dispute_views import (
    DisputeBoard,
    DisputeCounts,
    DisputeLine,
    NewDisputeWatch,
    Urgency,
    dispute_counts,
    dispute_detail,
    urgency,
)
from ledger.labels import card_label
from ledger.money import format_amount

COUNTDOWN_REFRESH_SECONDS = 30.0


def dispute_columns(clock: Callable[[], float]) -> tuple[Column, ...]:
    def time_left(row: DisputeLine) -> str:
        # Only a dispute still waiting for evidence has a deadline worth counting down.
        if needs_response(row.status):
            return countdown(row.due_by, clock()) or "no deadline"
        return "closed" if is_closed(row.status) else "awaiting decision"

    return (
        Column("Time left", 17, time_left),
        Column("Amount", 14, lambda r: format_amount(r.amount, r.currency), align="right"),
        Column("Status", 22, lambda r: dispute_status.tagged(r.status)),
        Column("Reason", 21, lambda r: r.reason or ""),
        Column("Customer", 22, lambda r: r.customer_email or ""),
        Column("Card", 20, lambda r: card_label(r.card_brand, r.card_last4)),
        Column("Evidence", 9, lambda r: evidence_state(r.has_evidence, r.submission_count)),
        Column("Dispute", 15, lambda r: r.id),
    )


class DisputesTable(LazyTable):
    BINDINGS: ClassVar[list[BindingType]] = bindings(DISPUTES_TABLE)
    COMPONENT_CLASSES: ClassVar[set[str]] = LazyTable.COMPONENT_CLASSES | {
        f"disputes-table--{level}" for level in Urgency
    }

    def __init__(self, source: RowSource, clock: Callable[[], float], *,
                 id: str | None = None) -> None:
        super().__init__(source, dispute_columns(clock), id=id)
        self.clock = clock

    def urgency_at(self, index: int) -> Urgency | None:
        row = self.row_at(index)
        if not isinstance(row, DisputeLine):
            return None
        return urgency(row.status, row.due_by, self.clock())

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index = self.scroll_offset.y + y - 1
        if y == 0 or (index == self.cursor and self.has_focus):
            return strip  # the header, and the focused cursor, keep their own colours
        level = self.urgency_at(index)
        if level is None:
            return strip
        # Over the cells' own styles: the urgency colours the whole row.
        style = self.get_component_rich_style(f"disputes-table--{level}", partial=True)
        return Strip(Segment.apply_style(strip, post_style=style), strip.cell_length)


class DisputesPane(TablePane):
    NOUN = "disputes"
    BINDINGS: ClassVar[list[BindingType]] = bindings(DISPUTES)

    def __init__(self, clock: Callable[[], float], *, actions_refusal: str | None,
                 id: str | None = None) -> None:
        """`actions_refusal`: why operator actions are unavailable (said in the summary)."""
        board = DisputeBoard()
        super().__init__(board, id=id)
        self.board = board
        self.clock = clock
        self.refusal = actions_refusal
        self._counts: DisputeCounts | None = None

    def make_table(self) -> LazyTable:
        return DisputesTable(self.source, self.clock, id="disputes-table")

    def compose(self) -> ComposeResult:
        yield SearchBar("dispute", statuses=dispute_status.ALL, id="disputes-search")
        yield from super().compose()

    @on(SearchBar.Applied)
    def _search(self, message: SearchBar.Applied) -> None:
        self.board = DisputeBoard(message.filter, include_closed=self.board.include_closed)
        self.source = self.board
        show_source(self.table, self.board)
        self._show_summary()
        self.focus_content()

    def on_mount(self) -> None:
        self.set_interval(COUNTDOWN_REFRESH_SECONDS, self.table.refresh)

    @property
    def selected_id(self) -> str | None:
        row = self.table.row_at(self.table.cursor)
        return row.id if row is not None else None

    # -- showing ---------------------------------------------------------------------

    def reload(self) -> None:
        self._counts = None
        super().reload()

    def _show_summary(self) -> None:
        if self._counts is None:
            self._counts = dispute_counts()
        counts, table = self._counts, self.table
        closed = f"{counts.closed} closed"
        parts = [f"{counts.needing_response} need a response",
                 f"{counts.under_review} under review",
                 closed if self.board.include_closed else f"{closed} (hidden)"]
        if not self.board.filter_by.is_empty():
            parts.append(f"{table.row_count:,} match the search")
        if table.row_count:
            parts.append(f"row {table.cursor + 1} of {table.row_count}")
        if self.refusal:
            parts.append(f"actions unavailable: {self.refusal}")
        self.query_one("#disputes-summary", Label).update(" · ".join(parts))

    # -- actions ---------------------------------------------------------------------

    def action_toggle_closed(self) -> None:
        self.board = DisputeBoard(self.board.filter_by,
                                  include_closed=not self.board.include_closed)
        self.source = self.table.source = self.board
        self.reload()

    @on(LazyTable.RowSelected)
    def _row_selected(self, message: LazyTable.RowSelected) -> None:
        # Its evidence rules and files: imported when a dispute is first opened.
        from console.screens.dispute_detail import DisputeDetailScreen

        message.stop()
        detail = dispute_detail(message.row_id)
        if detail is None:
            self.notify(f"{message.row_id} is no longer in the ledger", severity="warning")
            return
        self.app.push_screen(DisputeDetailScreen(detail, self.clock, refusal=self.refusal))


# -- alerts ----------------------------------------------------------------------------


def arrival_text(line: DisputeLine, now: float) -> str:
    who = " · ".join(filter(None, (line.customer_email,
                                   card_label(line.card_brand, line.card_last4))))
    due = (f"evidence due {utc_time(line.due_by)} ({countdown(line.due_by, now)})"
           if line.due_by and needs_response(line.status) else line.status)
    return (f"{line.id}: {format_amount(line.amount, line.currency)}, "
            f"{line.reason or 'no reason given'}{f' · {who}' if who else ''} · {due}")


class DisputeAlerts:
    """A toast and the terminal bell when a sync brings disputes this session had not seen.

    What is in the ledger when the console opens is not news. Each dispute is announced
    once; a burst (a first backfill) becomes one toast instead of dozens.
    """

    MAX_TOASTS = 3
    TOAST_SECONDS = 30.0  # on-call may be looking elsewhere

    def __init__(self, app: App[Any], clock: Callable[[], float]) -> None:
        self.app = app
        self.clock = clock
        self.watch = NewDisputeWatch()

    def check(self) -> None:
        arrived = self.watch.arrived()
        if not arrived:
            return
        if len(arrived) > self.MAX_TOASTS:
            due = sum(needs_response(line.status) for line in arrived)
            self._toast(f"{len(arrived)} new disputes, {due} needing a response: see the "
                        "Disputes pane", "New disputes", urgent=True)
        else:
            for line in arrived:
                self._toast(arrival_text(line, self.clock()), "New dispute",
                            urgent=needs_response(line.status))
        self.app.bell()  # once per sync, however many arrived

    def _toast(self, text: str, title: str, *, urgent: bool) -> None:
        self.app.notify(text, title=title, severity="warning" if urgent else "information",
                        timeout=self.TOAST_SECONDS, markup=False)
