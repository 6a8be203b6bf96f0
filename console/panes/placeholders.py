"""Panes not built yet: each says what it will show, so the layout is final already."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.panes.base import LedgerPane

COMING: dict[str, str] = {
    "disputes": "Disputes for on-call: open disputes sorted by evidence deadline (soonest "
    "first) with time left, reason, amount and submissions; submit evidence or accept.",
    "customers": "Customers and their saved payment methods (brand, last4, expiry, "
    "default); edit, set default, detach, or charge a saved method.",
    "analytics": "Volume, success rate, refunds and disputes by day and currency, "
    "computed as SQL aggregates over the ledger.",
    "audit": "Every operator action: who, what, when and the result, from the "
    "append-only, hash-chained audit log.",
}


class PlaceholderPane(LedgerPane):
    def __init__(self, what: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.what = what

    def compose(self) -> ComposeResult:
        yield Static(f"Coming here: {self.what}", classes="placeholder")
