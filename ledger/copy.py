"""`payconsole ledger copy`: one ledger's rows into another, either backend to either.

The source is read in one snapshot (PostgreSQL: a REPEATABLE READ, READ ONLY transaction
with server-side cursors; SQLite: one read transaction), so the copy is consistent even
while a leader keeps writing. The destination is written in one transaction: a copy that
is interrupted leaves it as it was (empty), never half-filled. Every table is copied
whole, the sync cursor and the audit chain included, so a later sync continues from the
copy and `audit verify` passes on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

from ledger.dialect import dialect_of
from ledger.sql import LedgerDatabase, execute, execute_many, single_int

BATCH = 5_000
_NOT_COPIED = {"ledger_schema", "sqlite_stat1", "sqlite_stat4", "sqlite_sequence"}  # own to each
_GENERATED = {"rowid"}  # PostgreSQL's row numbers: the destination numbers its own


class CopyError(Exception):
    """The copy cannot start (a destination that holds data, different schemas)."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    columns: tuple[str, ...]
    rows: int


Progress = Callable[[str, int, int], None]  # table, rows copied so far, rows in the table


def ledger_tables(db: LedgerDatabase) -> list[str]:
    return sorted(set(db.get_tables()) - _NOT_COPIED)


def rows_held(db: LedgerDatabase) -> int:
    """How many rows the ledger holds, all tables together."""
    return sum(single_int(db, f"SELECT count(*) FROM {table}") for table in ledger_tables(db))


def drop_everything(db: LedgerDatabase) -> None:
    """Empty a ledger for `--replace`: drop its tables (the audit log's triggers refuse
    row deletes, not a dropped table), so that opening it again builds a fresh schema."""
    with db.atomic():
        for table in sorted(set(db.get_tables())):
            execute(db, f"DROP TABLE {table}" + (" CASCADE" if dialect_of(db).is_postgres
                                                 else ""))
    if not dialect_of(db).is_postgres:
        execute(db, "PRAGMA user_version = 0")


def copy_ledger(source: LedgerDatabase, destination: LedgerDatabase,
                progress: Progress = lambda table, done, total: None) -> list[TableCopy]:
    """Every row of `source` into the empty, migrated `destination` (CopyError when it
    holds rows: the caller decides about --replace)."""
    if rows_held(destination):
        raise CopyError("the destination already holds a ledger (use --replace to overwrite)")
    copied = []
    with _snapshot(source) as read, destination.atomic():
        for table in ledger_tables(source):
            columns = _shared_columns(source, destination, table)
            total = single_int(source, f"SELECT count(*) FROM {table}")
            write = _writer(destination, table, columns)
            done = 0
            progress(table, done, total)
            for batch in read(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1"):
                write(batch)
                done += len(batch)
                progress(table, done, total)
            copied.append(TableCopy(table, columns, done))
    return copied


def _shared_columns(source: LedgerDatabase, destination: LedgerDatabase, table: str
                    ) -> tuple[str, ...]:
    theirs = [column.name for column in source.get_columns(table)]
    ours = {column.name for column in destination.get_columns(table)}
    missing = [name for name in theirs if name not in ours and name not in _GENERATED]
    if missing:
        raise CopyError(f"the destination's {table} table lacks {', '.join(missing)}: "
                        "migrate it (payconsole ledger migrate) or upgrade payconsole")
    return tuple(name for name in theirs if name not in _GENERATED)


Batch = list[tuple[Any, ...]]
Reader = Callable[[str], Iterator[Batch]]


def _writer(db: LedgerDatabase, table: str, columns: tuple[str, ...]
            ) -> Callable[[Batch], None]:
    """Batches into `table`: PostgreSQL's COPY (several times faster than INSERTs),
    SQLite's executemany."""
    names = ", ".join(columns)
    if dialect_of(db).is_postgres:
        def copy(batch: Batch) -> None:
            with db.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as to:
                for row in batch:
                    to.write_row(row)

        return copy
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    return lambda batch: execute_many(db, insert, batch)


@contextmanager
def _snapshot(db: LedgerDatabase) -> Iterator[Reader]:
    conn = db.connection()
    if dialect_of(db).is_postgres:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield lambda sql: _batches(conn.cursor(name="payconsole_copy"), sql)
        return
    conn.execute("BEGIN")  # one read transaction: WAL keeps its snapshot throughout
    try:
        yield lambda sql: _batches(conn.cursor(), sql)
    finally:
        conn.execute("COMMIT")


def _batches(cursor: Any, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    with closing(cursor):
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield [tuple(row) for row in batch]
