"""Running SQL text on the ledger: typed calls of peewee's `execute_sql` (its stubs leave
it untyped), and IN lists split into chunks SQLite accepts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, TypeAlias, TypeVar

from peewee import DatabaseProxy, SqliteDatabase

# An open ledger, or `ledger.models.database` (the proxy bound to the open one).
LedgerDatabase: TypeAlias = SqliteDatabase | DatabaseProxy

CHUNK = 500  # stays below SQLite's bound-variable limit in IN (...) lists

T = TypeVar("T")


def execute(db: LedgerDatabase, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
    cursor: sqlite3.Cursor = db.execute_sql(sql, params)
    return cursor


def execute_many(db: LedgerDatabase, sql: str, rows: Iterable[Sequence[Any] | dict[str, Any]]
                 ) -> None:
    cursor: sqlite3.Cursor = db.cursor()
    cursor.executemany(sql, rows)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size`, for IN lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def marks(values: Sized) -> str:
    """The `?, ?, ...` of an IN list for `values`."""
    return ", ".join("?" * len(values))


def single_int(db: LedgerDatabase, sql: str, params: Sequence[Any] = ()) -> int:
    """The one integer a query such as `SELECT count(*) ...` returns."""
    return int(execute(db, sql, params).fetchone()[0])
