"""The lazy table on in-memory sources: it reads only the windows it shows."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App, ComposeResult

from console.widgets.lazy_table import Column, LazyTable


@dataclass(frozen=True)
class Item:
    id: str


class CountingSource:
    """Rows "r<n>" computed on demand (no list of a million), counting every read."""

    def __init__(self, count: int) -> None:
        self.total = count
        self.first = 0  # number of the newest row; rows are newest first
        self.pages: list[tuple[int, int]] = []

    def count(self) -> int:
        return self.total

    def page(self, offset: int, limit: int) -> list[Item]:
        self.pages.append((offset, limit))
        end = min(offset + limit, self.total)
        return [Item(f"r{self.first + n}") for n in range(offset, end)]

    def position_of(self, row_id: str) -> int | None:
        position = int(row_id[1:]) - self.first
        return position if 0 <= position < self.total else None

    def prepend(self, count: int) -> None:
        """`count` newer rows arrive on top."""
        self.first -= count
        self.total += count


class TableApp(App[None]):
    def __init__(self, source: CountingSource) -> None:
        super().__init__()
        self.source = source
        self.highlighted: list[str] = []
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield LazyTable(self.source, [Column("Id", 12, lambda item: item.id)])

    def on_lazy_table_row_highlighted(self, message: LazyTable.RowHighlighted) -> None:
        self.highlighted.append(message.row_id)

    def on_lazy_table_row_selected(self, message: LazyTable.RowSelected) -> None:
        self.selected.append(message.row_id)


async def test_opening_reads_one_window_whatever_the_row_count() -> None:
    for count in (100, 1_000_000):
        app = TableApp(CountingSource(count))
        async with app.run_test(size=(40, 20)):
            table = app.query_one(LazyTable)
            assert table.row_count == count
            assert table.virtual_size.height == count + 1  # plus the header line
            assert app.source.pages == [(0, 256)]


async def test_paging_through_10000_rows_reads_only_the_windows_shown() -> None:
    app = TableApp(CountingSource(10_000))
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(LazyTable)
        table.focus()
        await pilot.press("pagedown", "pagedown", "down")
        assert table.cursor_id == f"r{2 * table.page_rows + 1}"
        await pilot.press("end")
        assert (table.cursor, table.cursor_id) == (9_999, "r9999")
        assert table.scroll_offset.y == table.max_scroll_y
        await pilot.press("pageup", "home")
        assert table.cursor_id == "r0"
        # The first window, and the last two (the bottom screen straddles them), once each:
        assert sorted(offset for offset, _ in app.source.pages) == [0, 9_728, 9_984]
        assert table.window_fetches == 3
        assert app.highlighted[0] == "r0" and app.highlighted[-1] == "r0"


async def test_enter_reports_the_row_under_the_cursor() -> None:
    app = TableApp(CountingSource(50))
    async with app.run_test(size=(40, 20)) as pilot:
        app.query_one(LazyTable).focus()
        await pilot.press("down", "down", "enter")
        assert app.selected == ["r2"]


async def test_refresh_keeps_the_cursor_on_its_row_when_rows_arrive_above() -> None:
    app = TableApp(CountingSource(1_000))
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(LazyTable)
        table.focus()
        await pilot.press("pagedown", "pagedown")
        row_id, scroll = table.cursor_id, table.scroll_offset.y
        highlights = len(app.highlighted)
        app.source.prepend(5)
        table.refresh_rows()
        await pilot.pause()
        assert table.cursor_id == row_id
        assert table.row_at(table.cursor).id == row_id
        assert table.scroll_offset.y == scroll + 5  # the same rows stay on screen
        assert len(app.highlighted) == highlights  # the selection did not change


async def test_refresh_clamps_the_cursor_when_its_row_is_gone() -> None:
    app = TableApp(CountingSource(30))
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(LazyTable)
        table.focus()
        await pilot.press("end")
        app.source.total = 10
        table.refresh_rows()
        assert (table.row_count, table.cursor, table.cursor_id) == (10, 9, "r9")
