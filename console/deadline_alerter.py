"""Dispute deadline alerts in the console: after every ledger change and once a minute (a
deadline comes closer with no sync at all), a thread worker claims the new crossings and
runs the alert command (sync.deadline_alerts); the app then shows each as a toast, rings
the bell once and refreshes the header's badge. A failing command is shown, never fatal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from sync.deadline_alerts import AlertSent, AlertSettings, send_deadline_alerts

CHECK_EVERY_SECONDS = 60.0
TOAST_SECONDS = 60.0  # on-call may be looking elsewhere
WORKER_GROUP = "deadline-alerts"


class DeadlineAlerter:
    def __init__(self, app: App[Any], settings: AlertSettings, clock: Callable[[], float],
                 on_alerted: Callable[[], None]) -> None:
        """`on_alerted`: the alerts changed what the header shows."""
        self.app = app
        self.settings = settings
        self.clock = clock
        self.on_alerted = on_alerted
        self._running = False

    def start(self) -> None:
        self.app.set_interval(CHECK_EVERY_SECONDS, self.check)
        self.check()

    def check(self) -> None:
        """Look for new crossings in a thread, unless a look is still under way."""
        if self._running:
            return
        self._running = True
        self.app.run_worker(self._work, group=WORKER_GROUP, thread=True,
                            description="dispute deadline alerts")

    def _work(self) -> None:
        try:
            sent = send_deadline_alerts(self.settings, self.clock())
        except Exception as exc:  # the ledger failed: say so, try again at the next check
            self.app.call_from_thread(self._failed, f"deadline alerts: {exc}")
            return
        self.app.call_from_thread(self._announce, sent)

    def _failed(self, message: str) -> None:
        self._running = False
        self.app.notify(message, title="Dispute deadline", severity="error", markup=False)

    def _announce(self, sent: list[AlertSent]) -> None:
        self._running = False
        for alert in sent:
            self.app.notify(alert.crossing.describe(), title="Dispute deadline",
                            severity="warning", timeout=TOAST_SECONDS, markup=False)
            if alert.command_failure is not None:
                self.app.notify(alert.command_failure, title="Alert command failed",
                                severity="error", timeout=TOAST_SECONDS, markup=False)
        if sent:
            self.app.bell()
            self.on_alerted()
