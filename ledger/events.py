"""The raw events table: storing events as received, and what the sync asks of it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.sql import LedgerDatabase, chunks, execute, insert_rows, marks

# (id, created, type, object_id, api_version, received_via, received_at, payload)
EventRow = tuple[str, int, str, str | None, str | None, str, int, str]

_INSERT = ("INSERT INTO event "
           "(id, created, type, object_id, api_version, received_via, received_at, payload)")


def insert_events(db: LedgerDatabase, rows: Sequence[EventRow]) -> None:
    """Store raw events; an id already stored is left as it is."""
    insert_rows(db, _INSERT, rows, "ON CONFLICT (id) DO NOTHING")


def known_event_ids(db: LedgerDatabase, ids: Sequence[str]) -> set[str]:
    """Which of these event ids the ledger already holds."""
    known: set[str] = set()
    for chunk in chunks(ids):
        rows = execute(db, f"SELECT id FROM event WHERE id IN ({marks(chunk)})", chunk)
        known.update(row[0] for row in rows)
    return known


def event_times_of(db: LedgerDatabase, object_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """For each object, {event id: created} of the events the ledger holds about it."""
    stored: dict[str, dict[str, int]] = defaultdict(dict)
    for chunk in chunks(object_ids):
        rows = execute(db, "SELECT object_id, id, created FROM event "
                           f"WHERE object_id IN ({marks(chunk)})", chunk)
        for object_id, event_id, created in rows:
            stored[object_id][event_id] = created
    return stored


@dataclass(frozen=True)
class EventStats:
    total: int
    newest_created: int | None


def event_stats(db: LedgerDatabase) -> EventStats:
    """How many events the ledger holds, and the `created` of the newest."""
    total, newest = execute(db, "SELECT count(*), max(created) FROM event").fetchone()
    return EventStats(total, newest)
