"""Dispute deadline alerts: which open disputes needing a response have come within a
threshold of their evidence deadline (`[alerts] dispute_due_within`, e.g. 72h, 24h, 4h), each
alerted once per (dispute, threshold) whoever gets there first: the console, a second
console, or `payconsole alerts --once` from cron. What has alerted is in the ledger
(`deadline_alert`), so a restart does not alert again.

A dispute that jumps past several thresholds at once (first seen with 3 h left, or nothing
ran for a day) alerts once, at the tightest one; the looser ones are recorded with it so
they never alert afterwards. Overdue disputes do not alert: the Disputes pane shows them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.dispute_status import NEEDS_RESPONSE
from ledger.models import database
from ledger.money import format_amount
from ledger.sql import execute, marks

DEFAULT_THRESHOLDS = ("72h", "24h", "4h")
_DURATION = re.compile(r"^\s*(\d{1,5})\s*([dhm])\s*$")
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60}


def parse_threshold(text: str) -> int:
    """Seconds from "72h", "3d" or "90m"; ValueError naming what is wrong otherwise."""
    found = _DURATION.match(text) if isinstance(text, str) else None
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 72h, 3d or 90m")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


def threshold_label(seconds: int) -> str:
    """72h for 259200 (days read as hours: "3d" is "72h"), 90m for 5400."""
    for unit in ("h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    """An open dispute needing a response, with its deadline."""

    id: str
    due_by: int
    amount: int
    currency: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class Crossing:
    """`dispute` came within `threshold` seconds of its deadline; `covers` are the thresholds
    recorded with it (itself and any looser ones crossed at the same time)."""

    dispute: OpenDeadline
    threshold: int
    now: int
    covers: tuple[int, ...]

    @property
    def seconds_left(self) -> int:
        return self.dispute.due_by - self.now

    @property
    def hours_left(self) -> float:
        return round(self.seconds_left / 3_600, 1)

    def describe(self) -> str:
        """One line for a toast or cron's output."""
        d = self.dispute
        due = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(d.due_by))
        return (f"{d.id}: {format_amount(d.amount, d.currency)} {d.reason or 'dispute'}, "
                f"evidence due {due}, {self.hours_left:g} h left "
                f"(within {threshold_label(self.threshold)})")

    def payload(self) -> dict[str, object]:
        """The one JSON object an alert command receives on its standard input."""
        d = self.dispute
        return {"dispute": d.id, "amount": d.amount, "currency": d.currency,
                "reason": d.reason, "due_by": d.due_by, "hours_left": self.hours_left,
                "threshold": threshold_label(self.threshold)}


def crossings(deadlines: Iterable[OpenDeadline], thresholds: Sequence[int],
              alerted: set[tuple[str, int]], now: int) -> list[Crossing]:
    """The new crossings at `now`: one per dispute at most, at the tightest threshold it is
    within and has not alerted for (pure: the decision, without the ledger)."""
    found = []
    for deadline in deadlines:
        left = deadline.due_by - now
        if left <= 0:
            continue
        within = sorted(t for t in thresholds if left <= t)
        new = [t for t in within if (deadline.id, t) not in alerted]
        if new and new[0] == within[0]:
            found.append(Crossing(deadline, new[0], now, tuple(new)))
    return found


def _open_deadlines(now: int, horizon: int) -> list[OpenDeadline]:
    cursor = execute(
        database,
        "SELECT id, due_by, amount, currency, reason FROM dispute "
        f"WHERE status IN ({marks(NEEDS_RESPONSE)}) AND due_by > ? AND due_by <= ? "
        "ORDER BY due_by, id", (*NEEDS_RESPONSE, now, now + horizon))
    return [OpenDeadline(*row) for row in cursor]


def _alerted(dispute_ids: list[str]) -> set[tuple[str, int]]:
    if not dispute_ids:
        return set()
    cursor = execute(database, "SELECT dispute, threshold FROM deadline_alert "
                     f"WHERE dispute IN ({marks(dispute_ids)})", dispute_ids)
    return {(dispute, threshold) for dispute, threshold in cursor}


def _claim(crossing: Crossing) -> bool:
    """Record the crossing; False when another console or job recorded it first."""
    claimed = False
    for threshold in crossing.covers:
        cursor = execute(
            database,
            "INSERT INTO deadline_alert (dispute, threshold, due_by, alerted_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (dispute, threshold) DO NOTHING",
            (crossing.dispute.id, threshold, crossing.dispute.due_by, crossing.now))
        claimed |= threshold == crossing.threshold and cursor.rowcount == 1
    return claimed


def claim_new_crossings(now: int, thresholds: Sequence[int]) -> list[Crossing]:
    """The crossings at `now` that no one has alerted for, recorded as alerted (one
    transaction): the caller alerts for exactly these."""
    if not thresholds:
        return []
    with database.atomic():
        deadlines = _open_deadlines(now, max(thresholds))
        alerted = _alerted([d.id for d in deadlines])
        return [c for c in crossings(deadlines, thresholds, alerted, now) if _claim(c)]


def alerted_open_count(now: int) -> int:
    """Open disputes needing a response, not yet overdue, that have alerted (the header's
    badge)."""
    row = execute(
        database,
        "SELECT count(*) FROM dispute WHERE status IN "
        f"({marks(NEEDS_RESPONSE)}) AND due_by > ? AND EXISTS (SELECT 1 FROM deadline_alert "
        "WHERE deadline_alert.dispute = dispute.id)", (*NEEDS_RESPONSE, now)).fetchone()
    return int(row[0])
