"""Changes to a PostgreSQL ledger, as they are committed by any process (the sync leader,
another console's action): LISTEN on the channel the ledger's triggers NOTIFY
(ledger.migrations.CHANGE_CHANNEL), on a connection and a thread of its own.

A dropped connection is retried with backoff; each (re)connection is itself reported as a
change, since anything may have happened while nobody listened. The callbacks run on the
feed's thread: a UI hands them over to its own loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.locations import display_url
from ledger.migrations import CHANGE_CHANNEL

if TYPE_CHECKING:  # the driver is imported when a feed runs, never for an SQLite ledger
    import psycopg

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)  # then every 10 s


@dataclass(frozen=True)
class FeedState:
    connected: bool
    since: float  # when it connected, or when it lost the connection
    attempts: int = 0  # reconnection attempts so far (0 while connected)
    error: str | None = None


class ChangeFeed:
    def __init__(self, url: str, on_change: Callable[[], None],
                 on_state: Callable[[FeedState], None] = lambda state: None, *,
                 backoff: Sequence[float] = BACKOFF_SECONDS, poll_seconds: float = 0.5,
                 tables: Collection[str] | None = None) -> None:
        self.url = url
        self.tables = None if tables is None else frozenset(tables)  # None: every table
        self._on_change, self._on_state = on_change, on_state
        self._backoff, self._poll = tuple(backoff), poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = FeedState(connected=False, since=time.time())

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ledger-changes", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        attempts = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5,
                                     keepalives=1, keepalives_idle=5, keepalives_interval=2,
                                     keepalives_count=3) as conn:
                    conn.execute(f"LISTEN {CHANGE_CHANNEL}")
                    attempts = 0
                    self._report(FeedState(connected=True, since=time.time()))
                    self._on_change()  # whatever happened while nobody listened
                    self._listen(conn)
            except psycopg.Error as exc:
                attempts += 1
                error = str(exc).strip().splitlines()[0] if str(exc).strip() else "lost"
                log.warning("ledger %s: change feed lost (%s); retrying",
                            display_url(self.url), error)
                since = self.state.since if not self.state.connected else time.time()
                self._report(FeedState(False, since, attempts, error))
                delay = self._backoff[min(attempts, len(self._backoff)) - 1]
                self._stop.wait(delay)

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        from psycopg import OperationalError

        while not self._stop.is_set():
            # A wait ends at the first notice, or after poll_seconds so that stop() is
            # honoured promptly. (Notices of one burst each report a change: the
            # receiver coalesces them, as it does webhook deliveries.)
            notices = conn.notifies(timeout=self._poll, stop_after=1)
            if any(self.tables is None or notice.payload in self.tables for notice in notices):
                self._on_change()
            if conn.closed or conn.broken:  # a wait may end quietly on a dropped link
                raise OperationalError("the connection to the ledger was lost")

    def _report(self, state: FeedState) -> None:
        self.state = state
        self._on_state(state)
