"""What every pane shares with the app."""

from __future__ import annotations

from textual.containers import Vertical


class LedgerPane(Vertical):
    """A pane showing part of the ledger; the app calls `reload` after each sync job."""

    def reload(self) -> None:
        """Re-read what the pane shows (nothing, for panes that show nothing yet)."""

    def focus_content(self) -> None:
        """Focus the pane's main widget, if it has one."""
