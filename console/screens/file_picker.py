"""Choosing a file for one evidence field: a directory tree to browse, and a path to type
(or paste). A file is taken only once it passes the checks the plan makes (type by content,
size, pages), so the form never holds a file Stripe would refuse; the refusal shows here."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Static

from console.commands import FILE_PICKER, bindings
from sync.evidence_files import FILE_TYPES, EvidenceFile, inspect
from sync.plans import ActionRefused

_EXTENSIONS = frozenset(ext for _, extensions in FILE_TYPES.values() for ext in extensions)


class EvidenceTree(DirectoryTree):
    """Folders, and the files whose names say PDF, JPEG or PNG; nothing hidden."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".")
                and (path.is_dir() or path.suffix.lower() in _EXTENSIONS)]


class FilePicker(ModalScreen[EvidenceFile | None]):
    """Dismissed with the checked file, or None: nothing chosen."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(FILE_PICKER)
    AUTO_FOCUS = "#picker-path"

    def __init__(self, field: str, start: Path) -> None:
        super().__init__()
        self.field = field
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog") as box:
            box.border_title = f"A file for {self.field}"
            box.border_subtitle = "enter to attach · esc to close"
            yield EvidenceTree(self.start, id="picker-tree")
            yield Input(placeholder="path to a PDF, JPEG or PNG (at most 5 MB)",
                        id="picker-path")
            yield Static("", id="picker-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Attach", id="picker-attach", variant="primary")
                yield Button("Close", id="picker-close")

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#picker-path", Input).value = str(event.path)
        self.action_attach()

    @on(Input.Submitted, "#picker-path")
    @on(Button.Pressed, "#picker-attach")
    def action_attach(self) -> None:
        path = self.query_one("#picker-path", Input).value.strip()
        if not path:
            self._message("Choose a file in the tree, or type its path.")
            return
        try:
            chosen = inspect(self.field, path)
        except ActionRefused as exc:
            self._message(str(exc))
            return
        self.dismiss(chosen)

    def _message(self, text: str) -> None:
        line = self.query_one("#picker-message", Static)
        line.update(Text(text))  # not markup: it quotes the path
        line.set_class(bool(text), "-error")

    @on(Button.Pressed, "#picker-close")
    def action_close(self) -> None:
        self.dismiss(None)
