"""Read-only listings the console pages through that ledger/queries.py does not have yet."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.db import database


@dataclass(frozen=True, slots=True)
class EventRow:
    id: str
    created: int
    type: str
    object_id: str | None
    received_via: str


_EVENT_ROW_COLUMNS = ", ".join(EventRow.__slots__)


class EventListing:
    """Raw events newest first, a window at a time (LIMIT/OFFSET on event_created_id)."""

    def count(self) -> int:
        return database.execute_sql("SELECT count(*) FROM event").fetchone()[0]

    def page(self, offset: int, limit: int) -> list[EventRow]:
        cursor = database.execute_sql(
            f"SELECT {_EVENT_ROW_COLUMNS} FROM event "
            "ORDER BY created DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [EventRow(*row) for row in cursor]

    def position_of(self, event_id: str) -> int | None:
        """Offset of an event in this order, so a view can keep its cursor on it."""
        row = database.execute_sql(
            "SELECT created FROM event WHERE id = ?", (event_id,)
        ).fetchone()
        if row is None:
            return None
        return database.execute_sql(
            "SELECT count(*) FROM event WHERE created > ? OR (created = ? AND id > ?)",
            (row[0], row[0], event_id),
        ).fetchone()[0]
