"""What the payment and dispute details are made of: facts tables, listings (the event
timeline among them) under section headings, and the screen that redraws itself after an
action changed what it shows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from console.widgets.formatting import local_time
from ledger.queries import TimelineEntry

Fact = tuple[str, str | Text]
Cells = Sequence[str | Text]
TIMELINE_HEADERS = ("Time", "Event", "Arrived via", "Event id")


def facts_table(facts: Iterable[Fact]) -> Table:
    """Name and value, one per line; facts without a value are left out."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for name, value in facts:
        if value:
            grid.add_row(name, value)
    return grid


def listing(headers: Sequence[str], rows: Iterable[Cells], empty: str) -> Table | Text:
    table = Table(*headers, box=None, padding=(0, 2, 0, 0), header_style="bold")
    for row in rows:
        table.add_row(*row)
    return table if table.row_count else Text(empty, style="dim")


def timeline(entries: Iterable[TimelineEntry], empty: str) -> Table | Text:
    """The events that built an object, oldest first."""
    return listing(TIMELINE_HEADERS, (
        (local_time(entry.created, seconds=True), entry.type, entry.received_via,
         entry.event_id) for entry in entries), empty)


def section(title: str, body: Table | Text) -> ComposeResult:
    yield Label(title, classes="detail-heading")
    yield Static(body, classes="detail-section")


class DetailScreen(ModalScreen[None]):
    """One object in full. After an operator action the app calls `reload`."""

    def reload(self) -> None:
        """Read the object again and redraw (it stays as shown if it is gone)."""
        if self.read_again():
            self.refresh(recompose=True)

    def read_again(self) -> bool:
        """Re-read what is shown; False when it is no longer in the ledger."""
        raise NotImplementedError
