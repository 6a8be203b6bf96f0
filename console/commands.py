"""Every app action, once: its key binding (with an id users can remap) and its
command palette entry both come from APP_COMMANDS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

# (pane id, tab title), in tab order; key N shows the N-th pane.
PANES: tuple[tuple[str, str], ...] = (
    ("payments", "Payments"),
    ("disputes", "Disputes"),
    ("customers", "Customers & methods"),
    ("analytics", "Analytics"),
    ("events", "Events"),
    ("audit", "Audit"),
)


@dataclass(frozen=True)
class ConsoleCommand:
    title: str
    help: str
    action: str  # an action of PayConsoleApp, e.g. "show_pane('events')"
    key: str | None = None  # None: a widget binds the key (see `binding_id`)
    binding_id: str | None = None
    show: bool = True

    def binding(self) -> Binding:
        assert self.key is not None
        return Binding(self.key, self.action, self.title, show=self.show, id=self.binding_id)


def _pane_commands() -> Iterator[ConsoleCommand]:
    for number, (pane_id, title) in enumerate(PANES, start=1):
        yield ConsoleCommand(
            title=f"Show {title}", help=f"Switch to the {title} pane",
            action=f"show_pane('{pane_id}')", key=str(number),
            binding_id=f"app.pane.{pane_id}", show=False,
        )


# (choice, title) of the Analytics pane's own bindings (ids analytics.<choice>).
ANALYTICS_CHOICES: tuple[tuple[str, str], ...] = (
    ("today", "today"), ("7d", "the last 7 days"), ("30d", "the last 30 days"),
    ("90d", "the last 90 days"), ("custom", "a custom range of days"),
)


def _analytics_commands() -> Iterator[ConsoleCommand]:
    for choice, title in ANALYTICS_CHOICES:
        yield ConsoleCommand(
            title=f"Analytics for {title}", help=f"Figures and charts for {title} (UTC days)",
            action=f"analytics('{choice.removesuffix('d')}')", binding_id=f"analytics.{choice}",
        )
    yield ConsoleCommand("Analytics: next currency", "Show the next currency's figures, or "
                         "all currencies", "analytics('currency')", binding_id="analytics.currency")


APP_COMMANDS: tuple[ConsoleCommand, ...] = (
    ConsoleCommand("Quit", "Stop the background sync and leave payconsole",
                   "quit", "q", "app.quit"),
    ConsoleCommand("Sync now", "Run the sync job now instead of waiting for its schedule",
                   "sync_now", "s", "app.sync_now"),
    *_pane_commands(),
    # Bound to enter on the payments table (binding id payments.detail).
    ConsoleCommand("Open selected payment", "Amounts, card, refunds, disputes and event "
                   "timeline of the payment under the cursor", "open_selected_payment",
                   binding_id="payments.detail"),
    # Bound on the Disputes pane (enter on its table; v, a and c on the pane).
    ConsoleCommand("Open selected dispute", "The disputed payment, deadline (local and "
                   "UTC), saved evidence and timeline", "disputes('detail')",
                   binding_id="disputes.detail"),
    ConsoleCommand("Dispute evidence", "Write evidence for the selected dispute: save a "
                   "draft, or submit it to the bank", "disputes('evidence')",
                   binding_id="disputes.evidence"),
    ConsoleCommand("Accept dispute", "Concede the selected dispute's amount to the "
                   "cardholder (cannot be undone)", "disputes('accept')",
                   binding_id="disputes.accept"),
    ConsoleCommand("Show or hide closed disputes", "Won, lost and other closed disputes "
                   "below the open ones, or hidden", "disputes('toggle_closed')",
                   binding_id="disputes.show_closed"),
    # Bound to o on the Payments pane.
    ConsoleCommand("Change payment order", "Newest first, oldest first, or largest amount "
                   "per currency", "payments_order", binding_id="payments.order"),
    ConsoleCommand("Search", "Search and filter the rows of this pane: status:… currency:… "
                   "amount>… email:… last4:… since:… until:… id:… failure:…", "search",
                   "slash", "app.search"),
    *_analytics_commands(),
    # Operator actions: bound on the Payments pane (r, n; r also in the payment detail)
    # and the Customers pane (n, e, d, x), where they act on the row under the cursor.
    ConsoleCommand("Refund payment", "Refund all or part of the payment under the cursor "
                   "(confirmed before anything is sent)", "refund_payment",
                   binding_id="payments.refund"),
    ConsoleCommand("Charge a saved payment method", "Charge a customer's saved card "
                   "off-session", "charge", binding_id="payments.charge"),
    ConsoleCommand("Charge selected customer", "Charge a saved card of the customer under "
                   "the cursor, off-session", "charge_customer", binding_id="customers.charge"),
    ConsoleCommand("Edit payment method", "Change the selected card's expiry and billing "
                   "details (never its number)", "edit_method",
                   binding_id="customers.edit_method"),
    ConsoleCommand("Make payment method the default", "Make the selected card its "
                   "customer's default", "set_default_method", binding_id="customers.set_default"),
    ConsoleCommand("Detach payment method", "Detach the selected card from its customer "
                   "(says what becomes of the default first)", "detach_method",
                   binding_id="customers.detach"),
)


def app_bindings() -> list[Binding]:
    return [command.binding() for command in APP_COMMANDS if command.key]


class ConsoleCommands(Provider):
    """The command palette's view of APP_COMMANDS."""

    async def discover(self) -> Hits:
        for command in APP_COMMANDS:
            yield DiscoveryHit(command.title, self._runner(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in APP_COMMANDS:
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), self._runner(command),
                          help=command.help)

    def _runner(self, command: ConsoleCommand) -> partial[object]:
        return partial(self.app.run_action, command.action)
