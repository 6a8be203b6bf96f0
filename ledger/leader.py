"""One sync leader per PostgreSQL ledger: a session advisory lock, held on a connection of
its own, decides which process polls Stripe and writes its data; the others follow.

The lock lives exactly as long as the leader's connection: a leader that stops, crashes
or loses its host frees it (the server's TCP keepalives notice a dead host in about 11 s),
and a follower's next try takes it over. Who leads is read from the server itself (the
lock holder's `application_name`), so it is never stale.

On an SQLite ledger every process syncs, as before: the file's write lock orders them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from ledger.locations import display_url

log = logging.getLogger(__name__)

# Any fixed 64-bit number that no other program on the server is likely to pick.
LEADER_LOCK = 7305628142
# The server probes an idle leader connection after 5 s, every 2 s, and gives up after 3.
_SERVER_KEEPALIVES = ("-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 "
                      "-c tcp_keepalives_count=3")
_HOLDER = ("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
           "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
           "(SELECT oid FROM pg_database WHERE datname = current_database()) "
           "AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = %s")


def identity() -> str:
    """How this process is named to the others: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """This process's claim to lead the sync of the PostgreSQL ledger at `url`."""

    def __init__(self, url: str, name: str | None = None) -> None:
        self.url = url
        self.name = name or identity()
        self._conn: Any = None
        self._held = False
        self._mutex = threading.Lock()  # scheduler threads and the UI may ask at once

    def try_lead(self) -> bool:
        """Whether this process leads now: keeps the lock if it still holds it, takes it if
        it is free. Never raises for a lost connection: that is "not leading" until the
        next try reconnects."""
        import psycopg

        with self._mutex:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(
                        self.url, autocommit=True, application_name=f"payconsole {self.name}",
                        options=_SERVER_KEEPALIVES)
                    self._held = False
                if self._held:
                    self._conn.execute("SELECT 1")
                    return True
                row = self._conn.execute("SELECT pg_try_advisory_lock(%s)",
                                         (LEADER_LOCK,)).fetchone()
                self._held = bool(row[0])
                if self._held:
                    log.info("leading the sync of %s as %s", display_url(self.url), self.name)
                return self._held
            except psycopg.Error as exc:
                log.warning("leadership of %s lost: %s", display_url(self.url), exc)
                self._drop()
                return False

    def leader(self) -> str | None:
        """host:pid of the process leading now (this one or another), None when none is."""
        import psycopg

        try:
            with self._mutex:  # a follower asks every sync: on the connection it already has
                if self._conn is not None and not self._conn.closed:
                    row = self._conn.execute(_HOLDER, (LEADER_LOCK,)).fetchone()
                else:
                    with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                        row = conn.execute(_HOLDER, (LEADER_LOCK,)).fetchone()
        except psycopg.Error:
            return None
        return None if row is None else str(row[0]).removeprefix("payconsole ")

    def release(self) -> None:
        with self._mutex:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                if self._held:  # at once: the server frees a closed session's locks later
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (LEADER_LOCK,))
                self._conn.close()
            except Exception:  # closing a broken connection: nothing left to free
                log.debug("closing the leader connection failed", exc_info=True)
        self._conn, self._held = None, False
