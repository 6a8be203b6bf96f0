"""A process's link to a team ledger on PostgreSQL: the change feed that tells it when
anyone commits (ledger/notify.py), and whether its sync leads or follows
(ledger/leader.py), in one line a header can show."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ledger.locations import display_url
from ledger.notify import ChangeFeed, FeedState

if TYPE_CHECKING:  # an offline console on a team ledger imports no Stripe SDK
    from sync.service import SyncService


class TeamLedger:
    def __init__(self, url: str, service: SyncService | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.where = display_url(url)
        self.service = service  # None: a console that does not sync (offline review)
        self.clock = clock
        self.changes = 0  # notices received, for tests and figures
        self._on_change: Callable[[], None] = lambda: None
        self.feed = ChangeFeed(url, self._changed)

    async def start(self, on_change: Callable[[], None]) -> None:
        """Listen; each change calls `on_change` on this (the caller's) event loop."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the caller's (a Textual app needs its own)

        def hand_over() -> None:
            loop.call_soon_threadsafe(on_change, context=context)

        self._on_change = hand_over
        self.feed.start()

    def close(self) -> None:
        """Stop listening (waits a moment for the feed's thread: at most its poll)."""
        self.feed.stop()

    @property
    def connected(self) -> bool:
        return self.feed.state.connected

    def summary(self) -> str:
        """e.g. "team ledger db.example/payments · leader", or what is wrong with the link."""
        state = self.feed.state
        if not state.connected:
            return _lost(state, self.clock())
        role = self.service.role if self.service is not None else "not syncing (offline)"
        return f"team ledger {self.where} · {role or 'finding the sync leader'}"

    def _changed(self) -> None:
        self.changes += 1
        self._on_change()


def _lost(state: FeedState, now: float) -> str:
    if state.attempts == 0:
        return "team ledger: connecting…"
    return (f"team ledger unreachable for {int(now - state.since)}s ({state.error}); "
            f"reconnecting (attempt {state.attempts}), the panes reload when it is back")
