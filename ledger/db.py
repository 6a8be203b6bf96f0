"""Opening the ledger (an SQLite file, or a PostgreSQL database by URL: see
ledger/postgres.py), and its schema version.

SQLite runs in WAL mode with a busy timeout.
Peewee keeps one connection per thread, so the sync writer (a worker thread) and the
console readers (the UI thread) never share a connection.

Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads first
and writes later cannot wait for another writer (SQLite answers SQLITE_BUSY at once, the
busy timeout notwithstanding), so two writers sharing the file would see "database is
locked". Taking the write lock up front makes them queue on the busy timeout instead.
"""

# ruff: noqa: E402  (peewee is imported after import_peewee_without_psycopg has run)
from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ledger.locations import import_peewee_without_psycopg

import_peewee_without_psycopg()  # first: an SQLite ledger needs no PostgreSQL driver

from peewee import Database, SqliteDatabase

from ledger.dialect import dialect_of
from ledger.locations import display_url, is_postgres_url, scrub
from ledger.migrations import LATEST_VERSION, migrate, schema_version
from ledger.models import database
from ledger.sql import causes_of

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
LOCKED_RETRIES = 3  # after the busy timeout itself, so a writer waits ~40 s at most

T = TypeVar("T")


class LedgerError(Exception):
    """The ledger cannot be opened or written; the message says why and what to do."""


def open_ledger(location: str | Path, *, read_only: bool = False) -> Database:
    """Open (creating and migrating when writable) the ledger at `location`, a file path
    or a postgresql:// URL, and bind the models to it."""
    if is_postgres_url(location):
        return _open_postgres(str(location), read_only=read_only)
    return _open_sqlite(Path(location), read_only=read_only)


def migrate_ledger(location: str | Path) -> tuple[int, int]:
    """Open (creating) and migrate the ledger at `location`: its schema version before
    and after. The one way `payconsole ledger migrate` and a starting leader go."""
    before = 0
    probe: Database | None = None
    if is_postgres_url(location):
        from ledger.postgres import LedgerPostgres

        probe = LedgerPostgres(str(location))
    elif Path(location).expanduser().exists():
        probe = SqliteDatabase(str(Path(location).expanduser()))
    if probe is not None:
        with contextlib.suppress(Exception):  # unreachable: open_ledger says why, below
            before = schema_version(probe)
        probe.close()
    db = open_ledger(location)
    after = schema_version(db)
    db.close()
    return before, after


def _check_version(db: Database, where: str, *, read_only: bool) -> None:
    version = schema_version(db)
    if version > LATEST_VERSION and not read_only:
        raise LedgerError(
            f"{where} has ledger schema version {version}, newer than this payconsole "
            f"understands ({LATEST_VERSION}); it needs payconsole with schema {version} to "
            "write (upgrade payconsole; --read-only still reviews it)"
        )
    if not read_only:
        migrate(db)
    elif version < LATEST_VERSION:
        raise LedgerError(
            f"{where} has schema version {version}; open it once without --read-only "
            "(or run `payconsole ledger migrate`) to migrate it"
        )


def _open_postgres(url: str, *, read_only: bool) -> Database:
    # Only here: the driver takes as long to import as Textual, and SQLite needs none of it.
    from ledger.postgres import LedgerPostgres, postgres_problem

    where = display_url(url)
    db = LedgerPostgres(url, read_only=read_only)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        _check_version(db, where, read_only=read_only)
    except Exception as exc:
        db.close()
        problem = postgres_problem(exc)
        if problem is None:
            raise
        raise LedgerError(f"ledger {where}: {scrub(problem, url)}") from None
    return db


def _open_sqlite(path: Path, *, read_only: bool) -> SqliteDatabase:
    target = path.expanduser()
    if read_only:
        if not target.exists():
            raise LedgerError(f"no ledger at {target}")
        db = SqliteDatabase(
            f"file:{target}?mode=ro{_immutable(target)}", uri=True,
            pragmas={"busy_timeout": BUSY_TIMEOUT_MS},
        )
    else:
        _require_writable(target)
        db = SqliteDatabase(
            str(target),
            pragmas={
                "journal_mode": "wal",
                "busy_timeout": BUSY_TIMEOUT_MS,
                "synchronous": "normal",
                "foreign_keys": 0,
            },
            lock_type="IMMEDIATE",
        )
    database.initialize(db)
    try:
        _check_version(db, str(target), read_only=read_only)
    except Exception as exc:
        db.close()
        if not _sqlite_errors(exc):
            raise
        problem = ledger_problem(exc, target)
        raise problem or LedgerError(f"{target} is not a usable ledger: {exc}") from None
    return db


def _immutable(target: Path) -> str:
    """On read-only media (a copy on a mounted backup), SQLite cannot create the WAL's
    index file beside the ledger and refuses to open it, unless told the file cannot change.
    Only without a -wal file: its committed changes would otherwise be ignored."""
    wal = target.with_name(target.name + "-wal")
    return "&immutable=1" if not os.access(target.parent, os.W_OK) and not wal.exists() else ""


def _require_writable(target: Path) -> None:
    """Refuse up front what SQLite would only refuse at the first write."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerError(f"cannot create the ledger's folder {target.parent}: "
                          f"{exc.strerror}") from None
    # WAL mode writes two files beside the ledger (-wal, -shm): the folder must be writable.
    for where in (target, target.parent) if target.exists() else (target.parent,):
        if not os.access(where, os.W_OK):
            raise LedgerError(
                f"the ledger {target} is read-only ({where} is not writable): open it with "
                "--read-only to review it, or fix its permissions to sync"
            )


def _sqlite_errors(exc: BaseException) -> list[sqlite3.Error]:
    return causes_of(exc, sqlite3.Error)


# SQLite's primary result codes for what an operator can act on, and what to say.
_PROBLEMS = {
    "SQLITE_FULL": "the disk holding the ledger is full (or the file hit its size limit): "
                   "free some space; nothing was half-written, the last change was rolled back",
    "SQLITE_READONLY": "the ledger file has become read-only: fix its permissions (or its "
                       "file system); nothing was written",
    "SQLITE_BUSY": "another program kept the ledger locked for too long; nothing was written, "
                   "try again",
    "SQLITE_IOERR": "the disk holding the ledger reported an I/O error; nothing was "
                    "half-written, check the disk",
    "SQLITE_CORRUPT": "the ledger file is damaged: restore it from a backup, or move it aside "
                      "and sync again to rebuild it",
    "SQLITE_NOTADB": "the file is not a payconsole ledger",
    "SQLITE_CANTOPEN": "the ledger file cannot be opened: check that its folder exists and "
                       "is writable",
}


def ledger_problem(exc: BaseException, path: Path | str | None = None) -> LedgerError | None:
    """A LedgerError saying what went wrong and what to do, for an SQLite or PostgreSQL
    failure; None when `exc` is not one the operator can act on (a bug, reported as such)."""
    if dialect_of(database).is_postgres:
        from ledger.postgres import postgres_problem

        url: str = database.obj.url
        problem = postgres_problem(exc)
        return None if problem is None else LedgerError(
            f"ledger {display_url(url)}: {scrub(problem, url)}")
    for error in _sqlite_errors(exc):
        primary = "_".join((getattr(error, "sqlite_errorname", None) or "").split("_")[:2])
        message = _PROBLEMS.get(primary) or _problem_from_text(str(error))
        if message is not None:
            where = path or _current_path()
            return LedgerError(f"ledger {where}: {message}" if where else f"ledger: {message}")
    return None


def _problem_from_text(text: str) -> str | None:
    """For errors raised without a result code (older SQLite, some peewee paths)."""
    for needle, primary in (("disk is full", "SQLITE_FULL"), ("readonly", "SQLITE_READONLY"),
                            ("locked", "SQLITE_BUSY"), ("disk I/O", "SQLITE_IOERR"),
                            ("malformed", "SQLITE_CORRUPT"), ("not a database", "SQLITE_NOTADB")):
        if needle in text:
            return _PROBLEMS[primary]
    return None


def _current_path() -> str | None:
    target = getattr(database, "obj", None)
    return getattr(target, "database", None) if target is not None else None


def retry_locked(work: Callable[[], T], *, attempts: int = LOCKED_RETRIES,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    """Run a write transaction, again (after 0.5, 1, 2 s...) if the ledger stayed locked
    past the busy timeout (on PostgreSQL: after a serialization failure or a deadlock).
    `work` must be one whole transaction: a retry redoes it all."""
    for attempt in range(attempts + 1):
        try:
            return work()
        except Exception as exc:
            if not _locked(exc) or attempt == attempts:
                raise
            delay = 0.5 * 2**attempt
            log.info("ledger locked by another writer; retrying in %.1fs", delay)
            sleep(delay)
    raise AssertionError("unreachable")


def _locked(exc: BaseException) -> bool:
    """Whether `exc` says "another writer was in the way: run it again"."""
    if dialect_of(database).is_postgres:
        from ledger.postgres import is_retryable

        return is_retryable(exc)
    return any("locked" in str(error) for error in _sqlite_errors(exc))
