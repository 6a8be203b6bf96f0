"""What the Textual app is given to run: decided by the CLI, read by the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from console.commands import check_keymap
from sync.scheduler import Job

if TYPE_CHECKING:  # the Stripe SDK is imported only when actions exist (never offline)
    from sync.action_desk import ActionDesk
    from sync.deadline_alerts import AlertSettings
    from sync.team import TeamLedger
    from sync.webhook import WebhookReceiver


class Mode(StrEnum):
    TEST = "TEST"
    LIVE = "LIVE"
    OFFLINE = "OFFLINE"
    DEMO = "DEMO"


@dataclass
class ConsoleContext:
    ledger_location: str | Path  # a file, or a postgresql:// URL
    mode: Mode
    operator: str
    # Background jobs (the sync loop, the demo's payment trickle); empty when offline.
    jobs: list[Job] = field(default_factory=list)
    # User key remapping: binding id -> keys, e.g. {"payments.detail": "enter,o"}.
    keymap: dict[str, str] = field(default_factory=dict)
    # Operator actions (refund, charge, edits, disputes); None when offline.
    actions: ActionDesk | None = None
    # Long-running services on the app's loop (the webhook receiver): the app awaits
    # `start(on_change)` when mounted (on_change: the ledger changed, reload the panes)
    # and `stop()` when it exits.
    services: list[WebhookReceiver] = field(default_factory=list)
    # A team ledger on PostgreSQL: its change feed reloads the panes whoever commits, and
    # the header says whether this console's sync leads or follows. None on SQLite.
    team: TeamLedger | None = None
    # Dispute deadline alerts ([alerts]); None: none (offline review, tests).
    alerts: AlertSettings | None = None
    # Called once when the app exits (stops what the CLI started, e.g. the demo emulator).
    on_exit: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        # Before anything starts: an unknown binding id is a ConfigError (exit code 2).
        check_keymap(self.keymap)
