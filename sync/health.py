"""The sync's health record, kept in the ledger so any process (the console, a headless
`payconsole sync`, an offline review) can show it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ledger.state import load_record, save_record

_KEY = "sync_health"


@dataclass
class SyncHealth:
    last_attempt: int | None = None  # unix seconds
    last_success: int | None = None
    last_error: str | None = None  # one line, never a secret
    last_error_at: int | None = None
    consecutive_failures: int = 0
    next_attempt: int | None = None  # after failures: when the sync tries again (backoff)
    newest_event: int | None = None  # `created` of the newest event the ledger holds
    events_applied_last_run: int = 0
    events_total: int = 0

    def lag_seconds(self, now: float | None = None) -> int | None:
        """How old the ledger's picture is: now minus the last successful sync."""
        if self.last_success is None:
            return None
        return max(0, int((now if now is not None else time.time()) - self.last_success))


def load_health() -> SyncHealth:
    return load_record(_KEY, SyncHealth) or SyncHealth()


def save_health(health: SyncHealth) -> None:
    save_record(_KEY, health)
