"""The Events pane: the last reconcile against Stripe, over the raw Stripe events the
ledger holds, newest first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label

from console.panes.base import TablePane
from console.widgets.formatting import local_time
from console.widgets.lazy_table import Column, LazyTable
from console.widgets.trust_text import reconcile_report, unrepaired
from sync.trust import load_last_reconcile

EVENT_COLUMNS: tuple[Column, ...] = (
    Column("Created", 19, lambda r: local_time(r.created, seconds=True)),
    Column("Type", 32, lambda r: r.type),
    Column("Object", 30, lambda r: r.object_id or ""),
    Column("Via", 8, lambda r: r.received_via),
    Column("Event", 30, lambda r: r.id),
)


class EventsPane(TablePane):
    NOUN = "events"

    def make_table(self) -> LazyTable:
        return LazyTable(self.source, EVENT_COLUMNS, id="events-table")

    def compose(self) -> ComposeResult:
        yield Label("", id="events-reconcile")
        yield from super().compose()

    def on_mount(self) -> None:
        self._show_reconcile()

    def reload(self) -> None:
        super().reload()
        self._show_reconcile()

    def _show_reconcile(self) -> None:
        summary = load_last_reconcile()
        label = self.query_one("#events-reconcile", Label)
        label.update(reconcile_report(summary))
        label.set_class(unrepaired(summary), "-unrepaired")
