"""A thread of its own that reads the ledger for a pane's background figures, on a
connection it keeps between reads.

A thread worker runs in a new thread each time, and so on a new connection: SQLite starts
each with an empty page cache, which cost the Analytics refresh ~3 ms of ~9 at a million
payments (its SQL alone: ~6 ms), every time. This thread keeps its connection (closed when
a read fails, so that the next one reconnects; closed by `close`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from ledger.models import database

T = TypeVar("T")


class LedgerReader:
    def __init__(self, name: str) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=name)

    async def read(self, reading: Callable[..., T], *args: Any) -> T:
        """`reading(*args)` in the reader's thread; awaited from a worker."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, partial(_kept, reading, *args))

    def close(self) -> None:
        """Close the thread's connection and end the thread (after a read under way)."""
        self._thread.submit(database.close)
        self._thread.shutdown(wait=True)


def _kept(reading: Callable[..., T], *args: Any) -> T:
    try:
        return reading(*args)
    except Exception:
        database.close()  # a connection that failed (a server gone away) is not kept
        raise
