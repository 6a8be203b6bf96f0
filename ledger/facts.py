"""Facts about a ledger as a whole, for `payconsole status`: what it holds, and the newest
event that arrived by each way (poll, webhook)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.sql import LedgerDatabase, execute, single_int


@dataclass(frozen=True)
class LedgerCounts:
    payments: int
    disputes: int
    events: int


def ledger_counts(db: LedgerDatabase) -> LedgerCounts:
    return LedgerCounts(
        payments=single_int(db, "SELECT count(*) FROM payment"),
        disputes=single_int(db, "SELECT count(*) FROM dispute"),
        events=single_int(db, "SELECT count(*) FROM event"),
    )


@dataclass(frozen=True)
class ReceivedEvent:
    id: str
    type: str
    created: int
    received_at: int


def newest_event_via(db: LedgerDatabase, via: str) -> ReceivedEvent | None:
    """The event received last by `via` ("webhook", "poll"), or None. Rows are inserted as
    events arrive, so the newest rowid is the last received: read backwards from it (no
    index on received_via; only a ledger that never had one scans the whole table)."""
    row = execute(db, "SELECT id, type, created, received_at FROM event "
                      "WHERE received_via = ? ORDER BY rowid DESC LIMIT 1", (via,)).fetchone()
    return None if row is None else ReceivedEvent(*row)
