"""The `/` search line and status filter of a ledger table pane.

The text is parsed with `ledger.filters.parse_search` on top of the status chosen beside
it, so the two combine; the result is checked against the table the pane lists (a dispute
has no email). A usable filter is posted as `SearchBar.Applied`; anything else shows its
FilterError message and is posted as `SearchBar.Invalid`, leaving the shown rows alone.
Escape clears both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select

from console.commands import SEARCH_BAR, bindings
from console.widgets.lazy_table import LazyTable, RowSource
from ledger.filters import FilterError, PaymentFilter, parse_search

HINTS: dict[str, str] = {
    "payment": "status:succeeded currency:usd amount>10 email:ada last4:4242 since:2026-11-01 "
               "failure:card_declined pi_3Ab",
    "dispute": "status:needs_response currency:eur amount>50 since:2026-11-01 dp_1Ab",
    "customer": "email:ada email~lovelace since:2026-11-01 cus_123",
}


class SearchBar(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = bindings(SEARCH_BAR)

    @dataclass
    class Applied(Message):
        """A new filter for the pane's rows (empty: every row)."""

        bar: SearchBar
        filter: PaymentFilter
        text: str

        @property
        def control(self) -> SearchBar:
            return self.bar

    @dataclass
    class Invalid(Message):
        """The search could not be used; the rows shown stay as they were."""

        bar: SearchBar
        error: str

        @property
        def control(self) -> SearchBar:
            return self.bar

    def __init__(self, table: str, *, statuses: Sequence[str] = (),
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.table = table  # the ledger table searched, e.g. "payment"
        self.statuses = tuple(statuses)
        self.applied = PaymentFilter()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="search-row"):
            yield Label("/", classes="search-prompt")
            yield Input(placeholder=HINTS.get(self.table, ""), compact=True,
                        classes="search-input")
            if self.statuses:
                yield Select([(status.replace("_", " "), status) for status in self.statuses],
                             prompt="any status", compact=True, classes="search-status")
        yield Label("", classes="search-error")

    @property
    def text(self) -> str:
        return self.query_one(Input).value

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focusing the bar focuses its search line."""
        self.query_one(Input).focus(scroll_visible)
        return self

    def chosen(self) -> PaymentFilter:
        """The filter the bar asks for; FilterError when there is none."""
        base = PaymentFilter()
        for select in self.query(Select):
            if select.value is not Select.NULL:
                base = PaymentFilter(statuses=(str(select.value),))
        chosen = parse_search(self.text, base)
        chosen.condition(self.table)  # refuses what this table cannot be filtered by
        return chosen

    def apply(self) -> bool:
        try:
            chosen = self.chosen()
        except FilterError as exc:
            self._show_error(str(exc))
            self.post_message(self.Invalid(self, str(exc)))
            return False
        self._show_error("")
        self.applied = chosen
        self.post_message(self.Applied(self, chosen, self.text))
        return True

    def _show_error(self, error: str) -> None:
        self.query_one(".search-error", Label).update(error)
        self.set_class(bool(error), "-error")

    def action_clear(self) -> None:
        self.query_one(Input).value = ""
        for select in self.query(Select):
            with select.prevent(Select.Changed):  # one Applied for the whole clearing
                select.clear()
        self.apply()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()

    @on(Select.Changed)
    def _status_chosen(self, event: Select.Changed) -> None:
        event.stop()
        self.apply()


def show_source(table: LazyTable, source: RowSource) -> None:
    """Point the table at `source` (the same rows, filtered anew), from its first row."""
    table.source = source
    table.cursor, table.cursor_id = 0, None
    table.scroll_to(y=0, animate=False, immediate=True)
    table.refresh_rows()


def match_summary(noun: str, table: LazyTable) -> str:
    """The pane's summary line while a search narrows its rows."""
    if table.row_count == 0:
        return f"No {noun} match the search (Escape in the search clears it)"
    return f"{table.row_count:,} {noun} match the search · row {table.cursor + 1:,}"
