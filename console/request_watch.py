"""Toasts for this operator's own team requests: when one that was waiting (for an approval,
for the service) finishes, say how it ended, whichever process or console asked for it."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel

from console.panes.approvals import amount_text
from ledger import requests
from ledger.requests import Request

WATCHED = 50  # the operator's most recent requests looked at on each change
_SEVERITY: dict[str, SeverityLevel] = {requests.SUCCEEDED: "information",
                                       requests.FAILED: "error"}


def finished_text(req: Request) -> str:
    what = " ".join(part for part in (req.action, req.target, amount_text(req)) if part)
    return f"request {req.id} ({what}) {req.status}" + (f": {req.message}" if req.message else "")


class RequestWatch:
    """Follows `operator`'s unfinished requests; `check()` after each ledger change."""

    TOAST_SECONDS = 20.0

    def __init__(self, app: App[Any], operator: str) -> None:
        self.app = app
        self.operator = operator
        self._waiting = {req.id for req in self._recent() if not req.finished}

    def _recent(self) -> list[Request]:
        return requests.requests_by(self.operator, limit=WATCHED)

    def watch(self, request_id: int) -> None:
        """A request this console sent, still waiting: its outcome will be a toast."""
        self._waiting.add(request_id)

    def check(self, *, adopt_new: bool = True) -> None:
        """Toast what finished since; `adopt_new`: also follow unfinished requests not seen
        before (False while this console's own action is on its way: that one's outcome
        comes back to the dialog, or as `watch`)."""
        for req in self._recent():
            if not req.finished:
                if adopt_new:
                    self._waiting.add(req.id)
            elif req.id in self._waiting:
                self._waiting.discard(req.id)
                self.app.notify(finished_text(req), title=f"Request {req.id} {req.status}",
                                severity=_SEVERITY.get(req.status, "warning"),
                                timeout=self.TOAST_SECONDS, markup=False)
                if req.status != requests.SUCCEEDED:
                    self.app.bell()
