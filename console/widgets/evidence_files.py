"""The evidence form's file fields: what each one holds (a file saved on Stripe, or one
chosen now: name, type, size, pages), a button opening the file picker, and the dispute's
files together against Stripe's packet limits, updated as files are chosen."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from console.screens.file_picker import FilePicker
from ledger.dispute_files import FileRecord
from sync.actions_checks import EVIDENCE_FILE_FIELDS
from sync.evidence_files import EvidenceFile, attached_items, format_size, packet

# What most disputes are won with first.
FILE_FIELDS = ("receipt", "customer_communication", "shipping_documentation",
               *(f for f in EVIDENCE_FILE_FIELDS if f not in
                 ("receipt", "customer_communication", "shipping_documentation")))


def record_text(record: FileRecord) -> str:
    pages = "" if record.pages is None else f", {record.pages} pages"
    return f"{record.filename} ({record.type.upper()}, {format_size(record.size)}{pages})"


class EvidenceFiles(Vertical):
    """`saved`: the file ids the dispute's evidence holds now, by field; `records`: what
    the ledger knows of those files (those payconsole uploaded)."""

    def __init__(self, saved: Mapping[str, str], records: Mapping[str, FileRecord],
                 start: Path) -> None:
        super().__init__(id="evidence-file-fields")
        self.saved = dict(saved)
        self.records = dict(records)
        self.start = start
        self.chosen: dict[str, EvidenceFile] = {}

    def compose(self) -> ComposeResult:
        yield Label("Files (PDF, JPEG or PNG)", classes="field-label")
        for name in FILE_FIELDS:
            with Horizontal(classes="evidence-file-row"):
                yield Label(name, classes="evidence-file-field")
                yield Static(self._state(name), id=f"evidence-file-{name}",
                             classes="evidence-file-state")
                yield Button("Attach…", id=f"attach-{name}", compact=True)
                remove = Button("Remove", id=f"remove-{name}", compact=True)
                remove.display = False
                yield remove
        yield Static(self._packet(), id="evidence-packet")

    def paths(self) -> dict[str, str]:
        """The files chosen now, field -> path, for the plan."""
        return {name: file.path for name, file in self.chosen.items()}

    def _state(self, name: str) -> Text:
        if name in self.chosen:
            return Text(f"new: {self.chosen[name].description}", style="bold")
        if name in self.records:
            return Text(f"on Stripe: {record_text(self.records[name])}")
        if name in self.saved:
            return Text(f"on Stripe: {self.saved[name]}")
        return Text("none", style="dim")

    def _packet(self) -> Text:
        together = packet(self.chosen.values(), attached_items(self.records))
        problem = together.problem()
        if problem:
            return Text(f"Too much: {problem}", style="bold red")
        return Text(f"Together: {together.summary}")

    def _refresh_field(self, name: str) -> None:
        self.query_one(f"#evidence-file-{name}", Static).update(self._state(name))
        self.query_one(f"#remove-{name}", Button).display = name in self.chosen
        self.query_one("#evidence-packet", Static).update(self._packet())

    @on(Button.Pressed, ".evidence-file-row Button")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        verb, _, name = (event.button.id or "").partition("-")
        if verb == "remove":
            self.chosen.pop(name, None)
            self._refresh_field(name)
        else:
            self.app.push_screen(FilePicker(name, self.start),
                                 callback=lambda chosen: self.attach(name, chosen))

    def attach(self, name: str, chosen: EvidenceFile | None) -> None:
        if chosen is not None:
            self.chosen[name] = chosen
            self._refresh_field(name)
