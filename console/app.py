"""PayConsoleApp: the header, the panes in tabs, and the background jobs that keep the
ledger fresh. Everything shown is read from the ledger (already opened by the CLI)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, TabbedContent, TabPane

from console.commands import APP, BY_ID, PANES, TEAM_PANES, Command, bindings, team_only
from console.context import ConsoleContext, Mode
from console.messages import OpenPayment, SyncFinished
from console.operator_actions import command_refusals, start_operator_action
from console.palette import ConsoleCommands
from console.panes.analytics import AnalyticsPane
from console.panes.approvals import ApprovalsPane
from console.panes.audit import AuditPane
from console.panes.base import LedgerPane
from console.panes.customers import CustomersPane
from console.panes.disputes import DisputeAlerts, DisputesPane
from console.panes.events import EventsPane
from console.panes.fraud_warnings import FraudWarningsPane
from console.panes.payments import PaymentsPane
from console.panes.payouts import FAILED_ALERT_SECONDS, PayoutAlerts, PayoutsPane
from console.screens.detail_sections import DetailScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.team_console import (
    OperatorConsole,
    is_operator_connection,
    is_team_ledger,
    shorten_wait,
)
from console.widgets.status_header import HOLD_WARNING, LedgerFacts, StatusHeader
from ledger.audit import AuditListing
from ledger.deadline_alerts import alerted_open_count
from ledger.dispute_views import dispute_counts
from ledger.payouts import failed_payouts
from ledger.queries import PaymentListing, holds_lapsing, payment_detail
from ledger.team import current_role
from ledger.views import EventListing
from sync.health import load_health
from sync.scheduler import Job, JobScheduler
from sync.trust import load_account, load_last_reconcile

# Imported where first used, not for the first screen: aiohttp (when a receiver runs), the
# deadline alerter (online, with [alerts]), sending and its plans (when an action runs).
if TYPE_CHECKING:
    from console.deadline_alerter import DeadlineAlerter
    from console.sending import ActionCompleted
    from sync.webhook import WebhookStats

SYNC_JOB = "sync"  # the job `sync_now` runs (the name the CLI gives it)
PUSH_RELOAD_SECONDS = 0.3  # webhook events arriving together reload the views once


def actions_refusal(context: ConsoleContext) -> str | None:
    """Why operator actions are unavailable in this session, or None."""
    if context.actions is None:
        offline = context.mode is Mode.OFFLINE
        return "the console is offline" if offline else "no operator actions in this session"
    return context.actions.refusal()


class PayConsoleApp(App[None]):
    TITLE = "payconsole"
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        f"styles/{name}.tcss" for name in ("app", "payment_detail", "analytics", "search",
                                           "disputes", "dialogs", "customers", "payouts",
                                           "approvals")]
    BINDINGS: ClassVar[list[BindingType]] = bindings(APP)
    COMMANDS = App.COMMANDS | {ConsoleCommands}

    def __init__(self, context: ConsoleContext, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.context = context
        self.clock = clock
        self.payment_listing = PaymentListing()
        self.event_listing = EventListing()
        # Offline means no network at all, whatever jobs the context carries.
        self.jobs = [] if context.mode is Mode.OFFLINE else list(context.jobs)
        self.actions_refusal = actions_refusal(context)
        self.command_refusals: dict[str, str | None] = {}  # read when mounted
        # The Approvals pane and the operator's header line: on a team ledger only.
        self.team_ledger = context.team is not None and is_team_ledger()
        self.operator_console = (
            OperatorConsole(self, context.operator, context.team)
            if context.team is not None and self.team_ledger and is_operator_connection()
            else None)
        self.scheduler: JobScheduler | None = None
        self.dispute_alerts: DisputeAlerts | None = None
        self.payout_alerts: PayoutAlerts | None = None
        self.deadline_alerter: DeadlineAlerter | None = None
        self._released = False
        self._reload_pending: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.context.mode, self.context.operator, self.clock,
                           syncing=bool(self.jobs), receivers=self._receiver_stats,
                           team=self._team_line if self.context.team else None,
                           id="status-header")
        with TabbedContent(initial="payments", id="panes"):
            for number, (pane_id, title) in enumerate(PANES, start=1):
                if pane_id in TEAM_PANES and not self.team_ledger:
                    continue
                with TabPane(f"{number} {title}", id=pane_id):
                    yield self._pane(pane_id, f"{pane_id}-pane")
        yield Footer()

    def _pane(self, pane_id: str, id: str) -> LedgerPane:
        """The pane of each of commands.PANES."""
        refusal = self.actions_refusal  # said in the panes that offer actions
        panes: dict[str, Callable[[], LedgerPane]] = {
            "payments": lambda: PaymentsPane(self.payment_listing, clock=self.clock, id=id),
            "disputes": lambda: DisputesPane(self.clock, actions_refusal=refusal, id=id),
            "customers": lambda: CustomersPane(actions_refusal=refusal, id=id),
            "analytics": lambda: AnalyticsPane(self.clock, id=id),
            "events": lambda: EventsPane(self.event_listing, id=id),
            "audit": lambda: AuditPane(AuditListing(), id=id),
            "payouts": lambda: PayoutsPane(fetch=self._payout_fetch(), id=id),
            "fraud": lambda: FraudWarningsPane(self.clock, actions_refusal=refusal, id=id),
            "approvals": lambda: ApprovalsPane(self._approver(), self.clock, id=id),
        }
        return panes[pane_id]()

    def _approver(self) -> str:
        """Who approves from this console: the database role (the service's own console
        is no operator, and the pane refuses its approvals, as the service would)."""
        console = self.operator_console
        return console.operator if console is not None else current_role()

    def _payout_fetch(self) -> Callable[[str], int] | None:
        """How a payout's detail gets missing transactions from Stripe (None: offline)."""
        gateway = self.context.actions.stripe_gateway if self.context.actions else None
        if gateway is None:
            return None
        from sync.payouts import fetch_payout_transactions  # the Stripe SDK: only online

        return partial(fetch_payout_transactions, gateway)

    def on_mount(self) -> None:
        self.set_keymap(self.context.keymap)
        if self.operator_console is not None:
            shorten_wait(self.context.actions)
        self._refresh_refusals()
        self.query_one(StatusHeader).show_facts(self.read_facts())
        self.dispute_alerts = DisputeAlerts(self, self.clock)  # what is here now is not news
        self.payout_alerts = PayoutAlerts(self, self.clock)
        if self.context.alerts is not None and self.context.mode is not Mode.OFFLINE:
            from console.deadline_alerter import DeadlineAlerter

            self.deadline_alerter = DeadlineAlerter(self, self.context.alerts, self.clock,
                                                    self._show_facts)
            self.deadline_alerter.start()
        self.query_one(PaymentsPane).focus_content()
        if self.jobs:
            self.scheduler = JobScheduler([self._reporting(job) for job in self.jobs])
            self.scheduler.start()
            self.run_worker(self._start_services(), group="services")
        if self.context.team is not None:  # live even offline: it listens to the ledger only
            self.run_worker(self.context.team.start(self._ledger_changed), group="services")

    async def _start_services(self) -> None:
        """The webhook receiver(s): each event new to the ledger reloads the views (at
        most a few times a second, since one payment brings several events)."""
        from sync.webhook import WebhookError  # aiohttp: only when online

        for service in self.context.services:
            try:
                await service.start(self._ledger_changed)
            except WebhookError as exc:
                self.notify(f"webhooks off: {exc}", severity="error", timeout=15)

    def _ledger_changed(self) -> None:
        if self._reload_pending is None:
            self._reload_pending = self.set_timer(PUSH_RELOAD_SECONDS, self._after_push)

    def _after_push(self) -> None:
        self._reload_pending = None
        self._after_ledger_change()

    def on_unmount(self) -> None:
        self._release()  # for exits that bypass action_quit (e.g. an error)

    def _team_line(self) -> str:
        assert self.context.team is not None  # passed to the header on a team ledger only
        if self.operator_console is None:
            return self.context.team.summary()
        return self.operator_console.team_line(self.clock())

    def read_facts(self) -> LedgerFacts:
        console = self.operator_console
        return LedgerFacts(load_health(), self.payment_listing.count(),
                           dispute_counts().needing_response, load_account(),
                           load_last_reconcile(),
                           holds_lapsing=holds_lapsing(self.clock(), HOLD_WARNING),
                           failed_payouts=len(failed_payouts(
                               int(self.clock()) - FAILED_ALERT_SECONDS)),
                           deadline_alerts=alerted_open_count(int(self.clock())),
                           operator=console.read_facts() if console else None)

    def _show_facts(self) -> None:
        self.main_screen.query_one(StatusHeader).show_facts(self.read_facts())

    def _receiver_stats(self) -> list[WebhookStats]:
        """What the webhook receivers have done so far, read on each header refresh."""
        return [service.stats for service in self.context.services]

    def _reporting(self, job: Job) -> Job:
        """The job, also telling this app (on the loop thread) each time it has run."""
        original = job.on_done

        def on_done(result: Any, error: BaseException | None) -> None:
            if original is not None:
                original(result, error)
            self.post_message(SyncFinished(job.name, result, error))

        return replace(job, on_done=on_done)

    def _release(self) -> None:
        """Stop the jobs and hand back what the CLI started, exactly once."""
        if self._released:
            return
        self._released = True
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.context.team is not None:
            self.context.team.close()
        if self.context.on_exit is not None:
            self.context.on_exit()

    # -- messages -----------------------------------------------------------------

    def on_sync_finished(self, message: SyncFinished) -> None:
        if message.error is not None:
            self.notify(f"{message.job} failed: {message.error}", severity="error")
        elif message.result is None:  # a run skipped while backing off: nothing changed
            self.query_one(StatusHeader).show_facts(self.read_facts())
            return
        else:
            self.log.info(f"{message.job}: {message.result}")
        self._after_ledger_change()

    def _after_ledger_change(self) -> None:
        team = self.context.team
        if team is not None and not team.connected:
            return  # the server is away: the feed reloads everything once it is back
        self._reload_views()
        if self.dispute_alerts is not None:
            self.dispute_alerts.check()
        if self.payout_alerts is not None:
            self.payout_alerts.check()
        if self.deadline_alerter is not None:
            self.deadline_alerter.check()
        if self.operator_console is not None:
            # While this console's own action is on its way, its request's outcome comes
            # back to the dialog (or is watched once it says it waits).
            from console.sending import WORKER_GROUP

            sending = any(w.group == WORKER_GROUP and not w.is_finished for w in self.workers)
            self.operator_console.watch.check(adopt_new=not sending)
        self._refresh_refusals()

    def _refresh_refusals(self) -> None:
        """An operator's roles may have changed: what their keys and the palette offer."""
        refusals = command_refusals(self.context.actions, self.actions_refusal)
        if refusals != self.command_refusals:
            self.command_refusals = refusals
            self.refresh_bindings()

    def on_open_payment(self, message: OpenPayment) -> None:
        detail = payment_detail(message.payment_id)
        if detail is None:
            self.notify(f"{message.payment_id} is no longer in the ledger", severity="warning")
            return
        self.push_screen(PaymentDetailScreen(detail, actions_refusal=self.actions_refusal,
                                             clock=self.clock))

    def on_action_completed(self, message: ActionCompleted) -> None:
        """Say how an operator action ended, and show what it changed at once (the ledger
        already holds Stripe's answer)."""
        from console.sending import outcome_message
        from sync.plans import ActionRefused, ActionResult, ActionWaiting

        outcome = message.outcome
        ok = isinstance(outcome, ActionResult) and outcome.ok
        waiting = isinstance(outcome, ActionWaiting)  # sent: its outcome will be a toast
        if isinstance(outcome, ActionWaiting) and self.operator_console is not None:
            self.operator_console.watch.watch(outcome.request_id)
        severity: SeverityLevel = ("information" if ok or waiting else
                                   "warning" if isinstance(outcome, ActionRefused) else "error")
        self.notify(outcome_message(outcome), title=f"{message.plan.action} {message.plan.target}",
                    severity=severity, markup=False, timeout=5 if ok else 15)
        if not (ok or waiting):
            self.bell()
        self._reload_views()
        for screen in self.screen_stack:
            if isinstance(screen, DetailScreen):
                screen.reload()

    @property
    def main_screen(self) -> Screen[Any]:
        """The screen with the panes, wherever dialogs are stacked over it."""
        return self.screen_stack[0]

    def _reload_views(self) -> None:
        main = self.main_screen
        main.query_one(StatusHeader).show_facts(self.read_facts())
        for pane in main.query(LedgerPane):
            pane.reload()

    # -- commands -----------------------------------------------------------------

    @property
    def keymap(self) -> Mapping[str, str]:
        """The user's remapping (binding id -> keys), for the palette."""
        return self.context.keymap

    async def run_command(self, command_id: str) -> None:
        """Run a command of console.commands from the palette: its pane is shown, and its
        action runs where its key would. A refused operator action says why."""
        command = BY_ID[command_id]
        if command.operator:
            self.action_operator(command_id)
            return
        if command.home.pane is not None:
            self.action_show_pane(command.home.pane)
        widget = command.home.widget
        await self.run_action(command.action,
                              self.main_screen.query_one(widget) if widget else self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The one refusal check of operator actions: refused, their keys are inert and
        # hidden from the footer (the palette runs them through `action_operator`).
        if action == "operator":
            return self.command_refusal(str(parameters[0])) is None
        if action == "show_pane":
            return parameters[0] not in TEAM_PANES or self.team_ledger
        return True

    def command_refusal(self, command_id: str) -> str | None:
        """Why an operator command is unavailable here (said in the palette), or None."""
        return self.command_refusals.get(command_id)

    def shows(self, command: Command) -> bool:
        """Whether the palette lists `command`: the team's panes only on a team ledger."""
        return self.team_ledger or not team_only(command)

    def action_operator(self, command_id: str) -> None:
        start_operator_action(self, command_id, self.context.actions,
                              self.command_refusal(command_id), self.clock)

    async def action_quit(self) -> None:
        for service in self.context.services:
            await service.stop()
        self._release()
        self.exit()

    def action_sync_now(self) -> None:
        if self.scheduler is None or not any(job.name == SYNC_JOB for job in self.jobs):
            offline = self.context.mode is Mode.OFFLINE
            why = "the console is offline" if offline else "no sync job is running"
            self.notify(f"Cannot sync: {why}", severity="warning")
            return
        self.scheduler.run_now(SYNC_JOB)
        self.notify("Sync requested")

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = pane_id
        self.query_one(f"#{pane_id}-pane", LedgerPane).focus_content()

    def action_search(self) -> None:
        """Focus the search of the pane on show (`#<pane>-search`), if it has one; none
        over a dialog."""
        tabs = self.screen.query(TabbedContent)
        found = self.screen.query(f"#{tabs.first().active}-search") if tabs else None
        if found:
            found.first().focus()
        else:
            self.notify("Nothing to search here", severity="warning")
