"""The Events pane: the raw Stripe events the ledger holds, newest first."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Label

from console.panes.base import LedgerPane
from console.widgets.formatting import local_time
from console.widgets.lazy_table import Column, LazyTable, RowSource

EVENT_COLUMNS: tuple[Column, ...] = (
    Column("Created", 19, lambda r: local_time(r.created, seconds=True)),
    Column("Type", 32, lambda r: r.type),
    Column("Object", 30, lambda r: r.object_id or ""),
    Column("Via", 8, lambda r: r.received_via),
    Column("Event", 30, lambda r: r.id),
)


class EventsPane(LedgerPane):
    def __init__(self, source: RowSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source

    def compose(self) -> ComposeResult:
        yield Label("", id="events-summary", classes="pane-summary")
        yield LazyTable(self.source, EVENT_COLUMNS, id="events-table")

    @property
    def table(self) -> LazyTable:
        return self.query_one(LazyTable)

    def reload(self) -> None:
        self.table.refresh_rows()
        self._show_summary()

    def focus_content(self) -> None:
        self.table.focus()

    @on(LazyTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_summary()

    def _show_summary(self) -> None:
        count = self.table.row_count
        text = f"{count:,} events, newest first" if count else "No events in the ledger yet"
        self.query_one("#events-summary", Label).update(text)
