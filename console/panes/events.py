"""The Events pane: the raw Stripe events the ledger holds, newest first."""

from __future__ import annotations

from console.panes.base import TablePane
from console.widgets.formatting import local_time
from console.widgets.lazy_table import Column, LazyTable

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
