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
