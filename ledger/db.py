"""Opening the ledger: SQLite in WAL mode with a busy timeout, and its schema version.

Peewee keeps one connection per thread, so the sync writer (a worker thread) and the
console readers (the UI thread) never share a connection.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

database = DatabaseProxy()

BUSY_TIMEOUT_MS = 10_000


class LedgerError(Exception):
    """The ledger cannot be opened or written; the message says why and what to do."""


def open_ledger(path: str | Path, *, read_only: bool = False) -> SqliteDatabase:
    """Open (creating and migrating when writable) the ledger at `path` and bind the models."""
    from ledger.migrations import LATEST_VERSION, migrate, schema_version

    target = Path(path).expanduser()
    if read_only:
        if not target.exists():
            raise LedgerError(f"no ledger at {target}")
        db = SqliteDatabase(
            f"file:{target}?mode=ro", uri=True, pragmas={"busy_timeout": BUSY_TIMEOUT_MS}
        )
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(
            str(target),
            pragmas={
                "journal_mode": "wal",
                "busy_timeout": BUSY_TIMEOUT_MS,
                "synchronous": "normal",
                "foreign_keys": 0,
            },
        )
    database.initialize(db)
    try:
        version = schema_version(db)
        if version > LATEST_VERSION:
            raise LedgerError(
                f"{target} has ledger schema version {version}, newer than this payconsole "
                f"understands ({LATEST_VERSION}); upgrade payconsole to open it"
            )
        if not read_only:
            migrate(db)
        elif version < LATEST_VERSION:
            raise LedgerError(
                f"{target} has schema version {version}; open it once without --read-only "
                "to migrate it"
            )
    except sqlite3.DatabaseError as exc:
        db.close()
        raise LedgerError(f"{target} is not a usable ledger: {exc}") from None
    return db
