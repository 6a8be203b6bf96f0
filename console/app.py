"""PayConsoleApp: the header, the panes in tabs, and the background jobs that keep the
ledger fresh. Everything shown is read from the ledger (already opened by the CLI)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, TabbedContent, TabPane

from console.commands import PANES, ConsoleCommands, app_bindings
from console.context import ConsoleContext, Mode
from console.messages import OpenPayment, SyncFinished
from console.panes.base import LedgerPane
from console.panes.events import EventsPane
from console.panes.payments import PaymentsPane
from console.panes.placeholders import COMING, PlaceholderPane
from console.screens.payment_detail import PaymentDetailScreen
from console.widgets.status_header import LedgerFacts, StatusHeader
from ledger.queries import PaymentListing, payment_detail
from ledger.views import EventListing
from sync.health import load_health
from sync.scheduler import Job, JobScheduler

SYNC_JOB = "sync"  # the job `sync_now` runs (the name the CLI gives it)

# pane id -> how to build it; a pane id missing here shows its placeholder.
PANE_BUILDERS: dict[str, Callable[[PayConsoleApp, str], LedgerPane]] = {
    "payments": lambda app, id: PaymentsPane(app.payment_listing, id=id),
    "events": lambda app, id: EventsPane(app.event_listing, id=id),
}


class PayConsoleApp(App[None]):
    TITLE = "payconsole"
    CSS_PATH: ClassVar[list[str]] = ["styles/app.tcss", "styles/payment_detail.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = app_bindings()
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
        self.scheduler: JobScheduler | None = None
        self._released = False

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.context.mode, self.context.operator, self.clock,
                           syncing=bool(self.jobs), id="status-header")
        with TabbedContent(initial="payments", id="panes"):
            for number, (pane_id, title) in enumerate(PANES, start=1):
                with TabPane(f"{number} {title}", id=pane_id):
                    yield self._pane(pane_id)
        yield Footer()

    def _pane(self, pane_id: str) -> LedgerPane:
        build = PANE_BUILDERS.get(pane_id)
        if build is None:
            return PlaceholderPane(COMING[pane_id], id=f"{pane_id}-pane")
        return build(self, f"{pane_id}-pane")

    def on_mount(self) -> None:
        self.set_keymap(self.context.keymap)
        self.query_one(StatusHeader).show_facts(self.read_facts())
        self.query_one(PaymentsPane).focus_content()
        if self.jobs:
            self.scheduler = JobScheduler([self._reporting(job) for job in self.jobs])
            self.scheduler.start()

    def on_unmount(self) -> None:
        self._release()  # for exits that bypass action_quit (e.g. an error)

    def read_facts(self) -> LedgerFacts:
        return LedgerFacts(load_health(), self.payment_listing.count())

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
        if self.context.on_exit is not None:
            self.context.on_exit()

    # -- messages -----------------------------------------------------------------

    def on_sync_finished(self, message: SyncFinished) -> None:
        if message.error is not None:
            self.notify(f"{message.job} failed: {message.error}", severity="error")
        else:
            self.log.info(f"{message.job}: {message.result}")
        self.query_one(StatusHeader).show_facts(self.read_facts())
        for pane in self.query(LedgerPane):
            pane.reload()

    def on_open_payment(self, message: OpenPayment) -> None:
        detail = payment_detail(message.payment_id)
        if detail is None:
            self.notify(f"{message.payment_id} is no longer in the ledger", severity="warning")
            return
        self.push_screen(PaymentDetailScreen(detail))

    # -- actions ------------------------------------------------------------------

    async def action_quit(self) -> None:
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

    def action_open_selected_payment(self) -> None:
        selected = self.query_one(PaymentsPane).selected_id
        if selected is not None:
            self.post_message(OpenPayment(selected))
