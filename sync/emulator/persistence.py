"""The state file: loaded without saving, written atomically, at most about once a second.

localstripe pickles its whole store to /tmp/localstripe.pickle on every write (slow) and its
load triggers a save that truncates the file being read (stores over ~64 KiB are lost).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localstripe.resources import Store

FORMAT = "payconsole-emulator-state/1"
FLUSH_INTERVAL = 1.0

log = logging.getLogger(__name__)


class StateFileError(RuntimeError):
    """The state file exists but cannot be used; the message says what to do."""


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StateFile:
    """Where the store lives between runs; `path=None` keeps it in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._dirty = False
        self._write_lock = threading.Lock()  # the last snapshot taken is the last written

    def mark_dirty(self) -> None:
        self._dirty = True

    def load(self, store: dict[str, Any]) -> int:
        """Fill `store` from the file, if any; returns the number of objects loaded."""
        if self.path is None:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)  # so the first flush can write
        if not self.path.exists():
            return 0
        try:
            with self.path.open("rb") as f:
                payload = pickle.load(f)
        except Exception as exc:
            raise StateFileError(
                f"cannot read the emulator state file {self.path}: {exc}. "
                f"Move it away to start empty, or run with --no-persist."
            ) from exc
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise StateFileError(f"{self.path} is not a payconsole emulator state file "
                                 f"(expected format {FORMAT}).")
        dict.update(store, payload["objects"])  # plain dict update: no save is triggered
        return len(payload["objects"])

    def _take_snapshot(self, store: dict[str, Any]) -> bytes | None:
        if self.path is None or not self._dirty:
            return None
        self._dirty = False
        return pickle.dumps({"format": FORMAT, "objects": dict(store)},
                            protocol=pickle.HIGHEST_PROTOCOL)

    def _write(self, data: bytes) -> None:
        assert self.path is not None
        with self._write_lock:
            _write_atomically(self.path, data)

    def flush(self, store: dict[str, Any]) -> None:
        """Write now if anything changed (shutdown)."""
        data = self._take_snapshot(store)
        if data is not None:
            self._write(data)

    async def run_flusher(self, store: dict[str, Any]) -> None:
        """Debounced saving: pickle on the loop (a consistent snapshot), write in a thread."""
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            data = self._take_snapshot(store)
            if data is None:
                continue
            try:
                await asyncio.to_thread(self._write, data)
            except OSError:
                log.exception("could not save emulator state to %s; will retry", self.path)
                self._dirty = True


def install(state: StateFile, on_clear: Callable[[], None]) -> None:
    """Route every store mutation to `state.mark_dirty` instead of an immediate pickle."""

    def setitem(store: Store, key: str, value: Any) -> None:
        dict.__setitem__(store, key, value)
        state.mark_dirty()

    def delitem(store: Store, key: str) -> None:
        dict.__delitem__(store, key)
        state.mark_dirty()

    def clear(store: Store) -> None:
        dict.clear(store)
        on_clear()
        state.mark_dirty()

    def dump_to_disk(store: Store) -> None:  # localstripe calls this after each POST/DELETE
        state.mark_dirty()

    Store.__setitem__ = setitem
    Store.__delitem__ = delitem
    Store.clear = clear
    Store.dump_to_disk = dump_to_disk
