"""What the Events pane reads: the raw events, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.queries import Listing


@dataclass(frozen=True, slots=True)
class EventRow:
    id: str
    created: int
    type: str
    object_id: str | None
    received_via: str


class EventListing(Listing[EventRow]):
    """Raw events newest first, a window at a time (on the event_created_id index)."""

    table = "event"
    columns = EventRow.__slots__
    order_keys = ("created", "id")

    def _row(self, values: tuple[Any, ...]) -> EventRow:
        return EventRow(*values)
