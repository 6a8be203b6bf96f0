"""The header: mode, operator, payment count and the sync's health.

Ages are computed from `clock` (injectable, so tests can freeze "now") and re-shown
every second; the facts themselves are re-read by the app after each job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from console.context import Mode
from console.widgets.formatting import age
from sync.health import SyncHealth


@dataclass(frozen=True)
class LedgerFacts:
    health: SyncHealth
    payment_count: int


def sync_summary(health: SyncHealth, now: float, syncing: bool) -> str:
    state = "sync" if syncing else "sync off"
    lag = health.lag_seconds(now)
    parts = [f"{state}: " + ("never synced" if lag is None else f"last success {age(lag)}")]
    if health.newest_event is not None:
        parts.append(f"newest event {age(now - health.newest_event)}")
    parts.append(f"{health.events_total:,} events")
    return " · ".join(parts)


def error_summary(health: SyncHealth) -> str:
    if not health.last_error:
        return ""
    first_line = health.last_error.splitlines()[0]
    failures = health.consecutive_failures
    return f"{failures} failure{'s' if failures != 1 else ''} in a row: {first_line}"


class StatusHeader(Vertical):
    def __init__(self, mode: Mode, operator: str, clock: Callable[[], float], *,
                 syncing: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode
        self.operator = operator
        self.clock = clock
        self.syncing = syncing
        self.facts: LedgerFacts | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="header-row"):
            yield Label("payconsole", id="header-title")
            yield Label(f" {self.mode.value} ", id="header-mode",
                        classes=f"-{self.mode.value.lower()}")
            yield Label(f"operator {self.operator}", id="header-operator")
            yield Label("", id="header-count")
        with Horizontal(classes="header-row"):
            yield Label("", id="header-sync")
            yield Label("", id="header-error")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._show_ages)

    def show_facts(self, facts: LedgerFacts) -> None:
        self.facts = facts
        self.query_one("#header-count", Label).update(f"{facts.payment_count:,} payments")
        self.query_one("#header-error", Label).update(error_summary(facts.health))
        self._show_ages()

    def _show_ages(self) -> None:
        if self.facts is not None:
            summary = sync_summary(self.facts.health, self.clock(), self.syncing)
            self.query_one("#header-sync", Label).update(summary)
