"""Panes not built yet: each says what it will show, so the layout is final already."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.panes.base import LedgerPane

COMING: dict[str, str] = {}


class PlaceholderPane(LedgerPane):
    def __init__(self, what: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.what = what

    def compose(self) -> ComposeResult:
        yield Static(f"Coming here: {self.what}", classes="placeholder")
