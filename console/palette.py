"""The command palette's view of console.commands: every command of the main screen, with
its binding id and its keys as the user's keymap has them, and why an operator action is
unavailable when it is (a team role that does not allow it, a read-only console...)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Protocol, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.commands import COMMANDS, Command, current_keys


def palette_help(command: Command, keymap: Mapping[str, str],
                 key_display: Callable[[Binding], str]) -> str:
    """'r · payments.refund · Refund all or part of …'."""
    keys = ", ".join(key_display(Binding(key, "")) for key in current_keys(command, keymap))
    return f"{keys} · {command.id} · {command.help}"


class CommandHost(Protocol):
    """What the palette needs of the app (PayConsoleApp)."""

    @property
    def keymap(self) -> Mapping[str, str]: ...

    async def run_command(self, command_id: str) -> None: ...

    def shows(self, command: Command) -> bool: ...

    def command_refusal(self, command_id: str) -> str | None: ...


class ConsoleCommands(Provider):
    """Runs a command through the app's `run_command` (which shows the pane it is on)."""

    @property
    def host(self) -> CommandHost:
        return cast(CommandHost, self.app)

    def _hits(self) -> list[tuple[Command, str]]:
        """Every command this console offers; an operator action it refuses says why
        (running it says so again, and sends nothing)."""
        host, keymap = self.host, self.host.keymap
        hits = []
        for command in COMMANDS:
            if not (command.in_palette and host.shows(command)):
                continue
            help = palette_help(command, keymap, self.app.get_key_display)
            refusal = host.command_refusal(command.id) if command.operator else None
            hits.append((command, f"unavailable: {refusal} · {help}" if refusal else help))
        return hits

    async def discover(self) -> Hits:
        for command, help in self._hits():
            yield DiscoveryHit(command.title, self._runner(command), help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, help in self._hits():
            score = matcher.match(f"{command.title} {command.id}")
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), self._runner(command),
                          help=help)

    def _runner(self, command: Command) -> Callable[[], Awaitable[None]]:
        return partial(self.host.run_command, command.id)
