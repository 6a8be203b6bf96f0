"""The Audit pane: every operator action, newest first, and whether the hash chain that
makes tampering detectable still verifies (checked in a thread: it reads the whole log)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Label

from console.panes.base import TablePane
from console.widgets.formatting import local_time
from console.widgets.lazy_table import Column, LazyTable
from ledger.audit import AuditListing, AuditRow, ChainReport, verify_chain

RESULT_STYLES = {"succeeded": "green", "failed": "red", "refused": "yellow",
                 "attempted": "dim"}


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An entry as a table row: the table keys rows by a string id."""

    id: str
    entry: AuditRow


class AuditSource:
    """AuditListing for a LazyTable. Sequence numbers have no gaps (the chain sees to it),
    so the position of an entry is how many entries are newer."""

    def __init__(self, listing: AuditListing) -> None:
        self.listing = listing

    def count(self) -> int:
        return self.listing.count()

    def page(self, offset: int, limit: int) -> list[AuditLine]:
        return [AuditLine(str(row.seq), row) for row in self.listing.page(offset, limit)]

    def position_of(self, row_id: str) -> int | None:
        position = self.count() - int(row_id)
        return position if position >= 0 else None


def result_text(result: str) -> Text:
    return Text(result, style=RESULT_STYLES.get(result, ""))


AUDIT_COLUMNS: tuple[Column, ...] = (
    Column("Time", 19, lambda r: local_time(r.entry.at, seconds=True)),
    Column("Operator", 18, lambda r: r.entry.operator),
    Column("Action", 18, lambda r: r.entry.action),
    Column("Target", 28, lambda r: r.entry.target),
    Column("Result", 9, lambda r: result_text(r.entry.result)),
    Column("Object", 28, lambda r: r.entry.object_id or ""),
    Column("Error", 80, lambda r: r.entry.error or ""),
)


def chain_text(report: ChainReport) -> Text:
    if report.ok:
        return Text(f"chain verified: {report.checked:,} entries", style="green")
    return Text(str(report), style="bold red")


class AuditPane(TablePane):
    NOUN = "entries"

    def __init__(self, listing: AuditListing, *, id: str | None = None) -> None:
        super().__init__(AuditSource(listing), id=id)
        self._verified_count: int | None = None  # entries when the chain was last checked

    def compose(self) -> ComposeResult:
        yield Label("checking the chain…", id="audit-chain", classes="pane-summary")
        yield from super().compose()

    def make_table(self) -> LazyTable:
        return LazyTable(self.source, AUDIT_COLUMNS, id="audit-table")

    def on_mount(self) -> None:
        self.reload()  # also says so when the log is empty (no row to highlight)

    def reload(self) -> None:
        super().reload()
        self._verify_if_grown()

    def _verify_if_grown(self) -> None:
        # The log is append-only: re-walking it is only worth it when it has grown.
        count = self.source.count()
        if count != self._verified_count:
            self._verified_count = count
            self._verify()

    @work(thread=True, exclusive=True, group="audit-chain")
    def _verify(self) -> None:
        report = verify_chain()
        self.app.call_from_thread(self._show_chain, report)

    def _show_chain(self, report: ChainReport) -> None:
        self.query_one("#audit-chain", Label).update(chain_text(report))
