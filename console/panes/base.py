"""What every pane shares with the app, and the shape of the table panes."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from console.widgets.lazy_table import LazyTable, RowSource


class LedgerPane(Vertical):
    """A pane showing part of the ledger; the app calls `reload` after each sync job."""

    def reload(self) -> None:
        """Re-read what the pane shows (nothing, for panes that show nothing yet)."""

    def focus_content(self) -> None:
        """Focus the pane's main widget, if it has one."""


class TablePane(LedgerPane):
    """A one-line summary over a lazy table of `source`, newest first."""

    NOUN: ClassVar[str]  # what the rows are, plural: "payments"

    def __init__(self, source: RowSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source

    def make_table(self) -> LazyTable:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield Label("", id=f"{self.NOUN}-summary", classes="pane-summary")
        yield self.make_table()

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
        table = self.table
        if table.row_count == 0:
            text = f"No {self.NOUN} in the ledger yet"
        else:
            text = f"{table.row_count:,} {self.NOUN}, newest first · row {table.cursor + 1:,}"
        self.query_one(f"#{self.NOUN}-summary", Label).update(text)
