"""Deadline alerts as the console and `payconsole alerts --once` send them: claim the new
crossings in the ledger (ledger.deadline_alerts decides what crossed), then run the
operator's command for each. Blocking (the ledger and a subprocess): run it off the UI
thread."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.db import retry_locked
from ledger.deadline_alerts import Crossing, claim_new_crossings
from sync.alert_command import DEFAULT_TIMEOUT_SECONDS, run_alert_command


@dataclass(frozen=True)
class AlertSettings:
    thresholds: tuple[int, ...]  # seconds before the deadline, e.g. 72 h, 24 h, 4 h
    command: tuple[str, ...] = ()  # () : no command, the console alone alerts
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class AlertSent:
    crossing: Crossing
    command_failure: str | None = None  # why the command failed, if it did


def send_deadline_alerts(settings: AlertSettings, now: float) -> list[AlertSent]:
    """Alert once for each dispute that has newly crossed a threshold at `now`."""
    claimed = retry_locked(lambda: claim_new_crossings(int(now), settings.thresholds))
    return [AlertSent(crossing, run_alert_command(settings.command, crossing.payload(),
                                                  timeout=settings.timeout_seconds)
                      if settings.command else None)
            for crossing in claimed]
