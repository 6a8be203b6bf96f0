"""A table over any number of rows that only ever holds a few windows of them.

Textual's DataTable measures every cell up front (minutes for a million rows). This
widget knows only the row count; `render_line` asks its source for the ~256-row window
a visible line falls in, and keeps the few most recently used windows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.commands import TABLE, bindings


class Row(Protocol):
    """Anything with a stable, unique id (PaymentRow, EventRow)."""

    @property
    def id(self) -> str: ...


class RowSource(Protocol):
    """Rows in a fixed order, read a window at a time (e.g. ledger.queries.PaymentListing)."""

    def count(self) -> int: ...

    def page(self, offset: int, limit: int) -> Sequence[Row]: ...

    def position_of(self, row_id: str) -> int | None: ...


@dataclass(frozen=True)
class Column:
    label: str
    width: int
    cell: Callable[[Any], Text | str]
    align: Literal["left", "right"] = "left"

    def render(self, value: Text | str) -> Text | str:
        """The cell in exactly its width: a plain string stays one (most cells)."""
        if isinstance(value, str):
            return fit(value, self.width, self.align)
        text = value.copy()
        text.overflow = "ellipsis"
        text.no_wrap = True
        text.align(self.align, self.width)
        return text


def fit(value: str, width: int, align: Literal["left", "right"]) -> str:
    """`value` in exactly `width` cells: cut with an ellipsis, or padded on the side away
    from `align`."""
    length = cell_len(value)
    if length > width:
        return set_cell_size(value, width - 1) + "…"
    padding = " " * (width - length)
    return value + padding if align == "left" else padding + value


_SEPARATOR = Segment(" ")


@dataclass(frozen=True)
class _LineStyles:
    base: Style
    header: Style
    cursor: Style


class LazyTable(ScrollView, can_focus=True):
    """Line 0 is the column header; line y > 0 shows row `scroll_y + y - 1`."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(TABLE)

    COMPONENT_CLASSES: ClassVar[set[str]] = {"lazy-table--header", "lazy-table--cursor"}

    DEFAULT_CSS = """
    LazyTable {
        background: $surface;
        & > .lazy-table--header { text-style: bold; background: $panel; }
        & > .lazy-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .lazy-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """

    @dataclass
    class RowMessage(Message):
        """About one row: its id and where it is now (the two messages below)."""

        table: LazyTable
        row_id: str
        index: int

        @property
        def control(self) -> LazyTable:
            return self.table

    class RowHighlighted(RowMessage):
        """The cursor is on another row (not sent when only the row's index changed)."""

    class RowSelected(RowMessage):
        """Enter (or the table's select key) was pressed on a row."""

    def __init__(
        self,
        source: RowSource,
        columns: Sequence[Column],
        *,
        window_size: int = 256,
        max_windows: int = 4,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.source = source
        self.columns = tuple(columns)
        self.window_size = window_size
        self.max_windows = max_windows
        self.row_count = 0
        self.cursor = 0
        self.cursor_id: str | None = None
        self.window_fetches = 0  # how many windows were read from the source, ever
        self._windows: OrderedDict[int, Sequence[Row]] = OrderedDict()
        self._line_width = sum(c.width for c in self.columns) + len(self.columns) - 1
        self._styles: _LineStyles | None = None  # during render_lines

    def on_mount(self) -> None:
        # Textual leaves ScrollView.on_mount unannotated.
        super().on_mount()  # type: ignore[no-untyped-call]
        self.refresh_rows()

    # -- data ---------------------------------------------------------------------

    def row_at(self, index: int) -> Row | None:
        if not 0 <= index < self.row_count:
            return None
        number, within = divmod(index, self.window_size)
        window = self._window(number)
        return window[within] if within < len(window) else None

    def _window(self, number: int) -> Sequence[Row]:
        if number in self._windows:
            self._windows.move_to_end(number)
            return self._windows[number]
        rows = self.source.page(number * self.window_size, self.window_size)
        self.window_fetches += 1
        self._windows[number] = rows
        if len(self._windows) > self.max_windows:
            self._windows.popitem(last=False)
        return rows

    def refresh_rows(self) -> None:
        """Re-read the count and drop cached rows, keeping the cursor on the same row id.

        Rows arriving above the cursor shift it down; the view shifts with it, unless it
        is at the top, where the operator is watching new rows arrive.
        """
        old_index, old_scroll = self.cursor, self.scroll_offset.y
        self._windows.clear()
        self.row_count = self.source.count()
        self.virtual_size = Size(self._line_width, self.row_count + 1)
        index = self.source.position_of(self.cursor_id) if self.cursor_id else None
        if index is None:
            index = min(old_index, self.row_count - 1)
        self.cursor = max(0, index)
        if old_scroll > 0:
            self.scroll_to(y=old_scroll + self.cursor - old_index, animate=False)
        self._show_cursor()

    # -- cursor -------------------------------------------------------------------

    @property
    def page_rows(self) -> int:
        """Data rows that fit on screen (the header takes one line)."""
        return max(1, self.container_size.height - self.scrollbar_size_horizontal - 1)

    def move_cursor(self, index: int) -> None:
        self.cursor = max(0, min(index, self.row_count - 1))
        self._show_cursor()

    def _show_cursor(self) -> None:
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + self.page_rows:
            self.scroll_to(y=self.cursor - self.page_rows + 1, animate=False)
        self.refresh()
        row = self.row_at(self.cursor)
        if row is not None and row.id != self.cursor_id:
            self.cursor_id = row.id
            self.post_message(self.RowHighlighted(self, row.id, self.cursor))

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self.page_rows)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self.page_rows)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.row_count - 1)

    def action_select_cursor(self) -> None:
        row = self.row_at(self.cursor)
        if row is not None:
            self.post_message(self.RowSelected(self, row.id, self.cursor))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y > 0:
            self.move_cursor(self.scroll_offset.y + offset.y - 1)

    # -- rendering ----------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # The styles once a frame: looked up for each line, they were a third of its work.
        self._styles = self._line_styles()
        try:
            return super().render_lines(crop)
        finally:
            self._styles = None

    def _line_styles(self) -> _LineStyles:
        base = self.rich_style
        return _LineStyles(base, base + self.get_component_rich_style("lazy-table--header"),
                           base + self.get_component_rich_style("lazy-table--cursor"))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        styles = self._styles or self._line_styles()
        if y == 0:
            labels = [c.render(c.label) for c in self.columns]
            return self._strip(labels, styles.header, scroll_x)
        index = scroll_y + y - 1
        row = self.row_at(index)
        if row is None:
            return Strip.blank(self.size.width, styles.base)
        cells = [c.render(c.cell(row)) for c in self.columns]
        return self._strip(cells, styles.cursor if index == self.cursor else styles.base,
                           scroll_x)

    def _strip(self, cells: list[Text | str], style: Style, scroll_x: int) -> Strip:
        # Segments made here, not by joining the cells into one Text and rendering it: the
        # same line at half the work.
        segments: list[Segment] = []
        for n, cell in enumerate(cells):
            if n:
                segments.append(_SEPARATOR)
            segments.extend(_segments(cell, self.app.console))
        styled = Segment.simplify(Segment.apply_style(segments, style))
        return Strip(styled, self._line_width).crop_extend(scroll_x, scroll_x + self.size.width,
                                                            style)


def _segments(cell: Text | str, console: Console) -> Iterable[Segment]:
    if isinstance(cell, str):
        return (Segment(cell),)
    if cell.style and not cell.spans:  # Text.render leaves out the style of a spanless Text
        return (Segment(cell.plain, console.get_style(cell.style)),)
    return cell.render(console)
