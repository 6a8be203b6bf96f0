"""What an operator's console on a team ledger adds to the app: the header's facts about
this operator and the team's service, the toasts for the operator's own requests, and the
short wait of the actions (a request's outcome comes back as a toast, not by blocking)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

from console.request_watch import RequestWatch
from console.widgets.team_text import OperatorFacts, operator_text, read_operator_facts
from ledger import team

if TYPE_CHECKING:
    from sync.action_desk import ActionDesk
    from sync.team import TeamLedger

# How long the console's action dialogs wait for a request's outcome before saying it was
# sent and waits (the outcome then arrives as a toast).
CONSOLE_WAIT_SECONDS = 3.0


def is_team_ledger() -> bool:
    """The open ledger is in team mode (`payconsole team init` ran on it)."""
    return team.service_role() is not None


def is_operator_connection() -> bool:
    """This process reaches a team ledger as an operator's role, not as the service."""
    return team.operator_role() is not None


def shorten_wait(actions: ActionDesk | None) -> None:
    """A team desk (RequestedActions) waits briefly here: execute runs in a worker, and a
    request waiting for an approval should not hold the dialog for a minute."""
    from sync.team_actions import RequestedActions  # no Stripe SDK; only on a team ledger

    if isinstance(actions, RequestedActions):
        actions.wait_seconds = min(actions.wait_seconds, CONSOLE_WAIT_SECONDS)


class OperatorConsole:
    def __init__(self, app: App[Any], operator: str, ledger: TeamLedger) -> None:
        self.operator = operator
        self.ledger = ledger
        # Grants change rarely (an admin's doing): read once, when the console opens.
        self.excess = tuple(team.excess_privileges(operator))
        self.watch = RequestWatch(app, operator)
        self.facts = self.read_facts()

    def read_facts(self) -> OperatorFacts:
        self.facts = read_operator_facts(self.operator, self.excess)
        return self.facts

    def team_line(self, now: float) -> str:
        """"team ledger … · operator alice (support) · service last seen 12s ago", or what
        is wrong with the link to the ledger."""
        if not self.ledger.connected:
            return self.ledger.summary()
        return f"team ledger {self.ledger.where} · {operator_text(self.facts, now)}"
