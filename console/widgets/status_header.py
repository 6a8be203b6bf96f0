"""The header: mode, account, operator, payment count, the sync's health, the last
reconcile's drift, the webhook receiver and, on a team ledger, the link to it and whether
this console's sync leads or follows.

Ages are computed from `clock` (injectable, so tests can freeze "now") and re-shown
every second; the ledger's facts are re-read by the app after each job, the receiver's
stats (kept in memory) by `receivers` on each showing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from console.context import Mode
from console.widgets.formatting import age, local_time
from console.widgets.team_text import OperatorFacts, approvals_badge, privileges_warning
from console.widgets.trust_text import account_text, drift_text, receiver_text, unrepaired
from ledger.filters import PaymentFilter
from ledger.queries import PaymentListing
from sync.health import SyncHealth
from sync.trust import ReconcileSummary, StripeAccount

if TYPE_CHECKING:  # aiohttp is loaded only when a receiver runs
    from sync.webhook import WebhookStats

OFFLINE_ACTIONS = "offline: actions unavailable (no network)"
HOUR = 3_600
HOLD_WARNING = 24 * HOUR  # the header counts holds lapsing this soon


@dataclass(frozen=True)
class LedgerFacts:
    health: SyncHealth
    payment_count: int
    disputes_needing_response: int = 0  # needs_response and warning_needs_response
    account: StripeAccount | None = None  # None until the first sync records it
    last_reconcile: ReconcileSummary | None = None
    holds_lapsing: int = 0  # authorizations whose capture-by time is within HOLD_WARNING
    failed_payouts: int = 0  # recent payouts that did not reach the bank
    deadline_alerts: int = 0  # open disputes that have alerted for a deadline threshold
    operator: OperatorFacts | None = None  # an operator's console on a team ledger


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
    text = f"{failures} failure{'s' if failures != 1 else ''} in a row: {first_line}"
    if failures and health.next_attempt is not None:
        text += f" · retrying at {local_time(health.next_attempt, seconds=True)}"
    return text


def payments_per_hour(now: float) -> list[int]:
    """Payments created in each UTC hour of today: 24 counts, 0 for hours still to come.
    One indexed count per hour gone by, cheap enough to re-read after every sync."""
    midnight = int(now) // (24 * HOUR) * (24 * HOUR)
    elapsed = (int(now) - midnight) // HOUR + 1
    hours = [midnight + hour * HOUR for hour in range(elapsed)]
    counts = [PaymentListing(PaymentFilter(since=h, until=h + HOUR)).count() for h in hours]
    return counts + [0] * (24 - elapsed)


class StatusHeader(Vertical):
    def __init__(self, mode: Mode, operator: str, clock: Callable[[], float], *,
                 syncing: bool, receivers: Callable[[], Sequence[WebhookStats]] = tuple,
                 team: Callable[[], str] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode
        self.operator = operator
        self.clock = clock
        self.syncing = syncing
        self.receivers = receivers
        self.team = team  # the team ledger's link and sync role, read on each showing
        self.facts: LedgerFacts | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="header-row"):
            yield Label("payconsole", id="header-title")
            yield Label(f" {self.mode.value} ", id="header-mode",
                        classes=f"-{self.mode.value.lower()}")
            yield Label("", id="header-account")
            yield Label(f"operator {self.operator}", id="header-operator")
            yield Label("", id="header-count")
            yield Label("", id="header-disputes")
            yield Label("", id="header-holds")
            yield Label("", id="header-payouts")
            yield Label("", id="header-deadlines")
            yield Label("", id="header-approvals")
        with Horizontal(classes="header-row"):
            yield Label("", id="header-sync")
            yield Label("", id="header-drift")
            yield Label("", id="header-error")
            yield Label("", id="header-privileges")
        with Horizontal(classes="header-row"):
            yield Label("", id="header-team")
            yield Label("", id="header-webhook")
            yield Label("payments/h today (UTC)", id="header-today")
            yield Sparkline([], id="header-sparkline")
            yield Label(OFFLINE_ACTIONS if self.mode is Mode.OFFLINE else "", id="header-actions")

    def on_mount(self) -> None:
        for hidden in ("#header-approvals", "#header-privileges"):
            self.query_one(hidden).display = False
        self.query_one("#header-webhook").display = bool(self.receivers())
        self.query_one("#header-team").display = self.team is not None
        self.set_interval(1.0, self._show_ages)

    def show_facts(self, facts: LedgerFacts) -> None:
        self.facts = facts
        account = self.query_one("#header-account", Label)
        account.update(account_text(facts.account))
        account.display = facts.account is not None
        self.query_one("#header-drift", Label).set_class(unrepaired(facts.last_reconcile),
                                                         "-unrepaired")
        self.query_one("#header-count", Label).update(f"{facts.payment_count:,} payments")
        self._show_disputes(facts.disputes_needing_response)
        self._show_holds(facts.holds_lapsing)
        self._show_payouts(facts.failed_payouts)
        self._show_deadlines(facts.deadline_alerts)
        self._show_operator(facts.operator)
        self.query_one("#header-error", Label).update(error_summary(facts.health))
        self.query_one(Sparkline).data = payments_per_hour(self.clock())
        self._show_ages()

    def _show_disputes(self, due: int) -> None:
        text = "1 dispute needs a response" if due == 1 else f"{due:,} disputes need a response"
        badge = self.query_one("#header-disputes", Label)
        badge.update(f" {text} " if due else "")
        badge.set_class(bool(due), "-due")

    def _show_holds(self, lapsing: int) -> None:
        holds = "1 hold lapses" if lapsing == 1 else f"{lapsing:,} holds lapse"
        text = Text(f" {holds} within 24 h: capture or cancel ", style="bold yellow")
        self.query_one("#header-holds", Label).update(text if lapsing else "")

    def _show_payouts(self, failed: int) -> None:
        text = "1 payout failed" if failed == 1 else f"{failed:,} payouts failed"
        badge = self.query_one("#header-payouts", Label)
        badge.update(f" {text}: see Payouts " if failed else "")
        badge.set_class(bool(failed), "-failed")

    def _show_deadlines(self, alerted: int) -> None:
        disputes = "1 dispute" if alerted == 1 else f"{alerted:,} disputes"
        text = Text(f" ⏰ {disputes} near the evidence deadline ", style="bold white on red")
        self.query_one("#header-deadlines", Label).update(text if alerted else "")

    def _show_operator(self, operator: OperatorFacts | None) -> None:
        # Shown only with something to say: the other labels keep their room elsewhere.
        for selector, text in (("#header-approvals", approvals_badge),
                               ("#header-privileges", privileges_warning)):
            label = self.query_one(selector, Label)
            shown = text(operator) if operator else ""
            label.update(shown)
            label.display = bool(shown)
        self.query_one("#header-approvals").set_class(
            bool(operator and operator.awaiting_approval), "-waiting")

    def _show_ages(self) -> None:
        now = self.clock()
        if self.facts is not None:
            summary = sync_summary(self.facts.health, now, self.syncing)
            self.query_one("#header-sync", Label).update(summary)
            self.query_one("#header-drift", Label).update(
                drift_text(self.facts.last_reconcile, now))
        if self.team is not None:
            self.query_one("#header-team", Label).update(self.team())
        receivers = "  ".join(receiver_text(stats, now) for stats in self.receivers())
        self.query_one("#header-webhook", Label).update(receivers)
