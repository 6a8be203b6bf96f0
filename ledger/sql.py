"""Running SQL text on the ledger: typed calls of peewee's `execute_sql` (its stubs leave
it untyped), `?` placeholders on both backends, and IN lists split into chunks SQLite
accepts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from typing import Any, Protocol, TypeAlias, TypeVar, cast

from peewee import Database, DatabaseProxy

from ledger.dialect import dialect_of, to_pyformat

# An open ledger, or `ledger.models.database` (the proxy bound to the open one).
LedgerDatabase: TypeAlias = Database | DatabaseProxy

CHUNK = 500  # stays below SQLite's bound-variable limit in IN (...) lists

T = TypeVar("T")


class Cursor(Protocol):
    """What the ledger uses of a DB-API cursor (sqlite3's or psycopg's)."""

    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ...) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


def native(db: LedgerDatabase, sql: str) -> str:
    """`sql` (with `?` placeholders) as the backend's driver takes it."""
    return to_pyformat(sql) if dialect_of(db).is_postgres else sql


def execute(db: LedgerDatabase, sql: str, params: Sequence[Any] = ()) -> Cursor:
    cursor: Cursor = db.execute_sql(native(db, sql), params)
    return cursor


def execute_many(db: LedgerDatabase, sql: str, rows: Iterable[Sequence[Any] | dict[str, Any]]
                 ) -> None:
    db.cursor().executemany(native(db, sql), rows)


class RowInserter(Protocol):
    """What a PostgreSQL ledger (ledger.postgres.LedgerPostgres) offers `insert_rows`."""

    def insert_rows(self, head: str, rows: Sequence[Sequence[Any]], tail: str) -> None: ...


def insert_rows(db: LedgerDatabase, head: str, rows: Sequence[Sequence[Any]], tail: str = ""
                ) -> None:
    """`{head} VALUES (...) {tail}` for each of `rows` (tuples of one width), in the
    caller's transaction: `head` is `INSERT INTO table (columns)`, `tail` an ON CONFLICT
    clause with no parameters. When `tail` updates, no id may repeat among `rows`
    (PostgreSQL refuses a statement that changes one row twice).

    SQLite steps one statement through the rows (a few microseconds each, in C);
    PostgreSQL takes them in a few multi-row statements (see LedgerPostgres.insert_rows).
    """
    if not rows:
        return
    if dialect_of(db).is_postgres:
        target = db.obj if isinstance(db, DatabaseProxy) else db
        cast(RowInserter, target).insert_rows(head, rows, tail)
    else:
        db.cursor().executemany(f"{head} VALUES ({marks(rows[0])}) {tail}", rows)


def stream(db: LedgerDatabase, sql: str, params: Sequence[Any] = (),
           batch: int = 2_000) -> Iterator[tuple[Any, ...]]:
    """The rows of a query read lazily, in flat memory however many there are: SQLite's
    cursor steps through them; on PostgreSQL a server-side cursor, in a transaction, hands
    them over `batch` at a time (a plain cursor would fetch them all first)."""
    if not dialect_of(db).is_postgres:
        yield from execute(db, sql, params)
        return
    with db.atomic(), db.connection().cursor(name="payconsole_stream") as cursor:
        cursor.itersize = batch
        cursor.execute(native(db, sql), params)
        yield from cursor


E = TypeVar("E", bound=BaseException)


def causes_of(exc: BaseException, kind: type[E]) -> list[E]:
    """The `kind` errors behind `exc`, outermost first: peewee re-raises a driver's errors
    as its own type, and a failed ROLLBACK can hide the first one in its context."""
    found: list[E] = []
    seen: BaseException | None = exc
    while seen is not None and len(found) < 10:
        if isinstance(seen, kind):
            found.append(seen)
        seen = seen.__cause__ or seen.__context__
    return found


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size`, for IN lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def marks(values: Sized) -> str:
    """The `?, ?, ...` of an IN list for `values`."""
    return ", ".join("?" * len(values))


def greater(left: str, right: str) -> str:
    """The larger of two non-null SQL expressions (SQLite's two-argument MAX is
    PostgreSQL's GREATEST: this is both)."""
    return f"CASE WHEN {left} > {right} THEN {left} ELSE {right} END"


def counted(condition: str) -> str:
    """1 where `condition` holds, else 0: what SUM() counts (PostgreSQL sums no booleans)."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def single_int(db: LedgerDatabase, sql: str, params: Sequence[Any] = ()) -> int:
    """The one integer a query such as `SELECT count(*) ...` returns."""
    return int(execute(db, sql, params).fetchone()[0])


@contextmanager
def write_transaction(db: LedgerDatabase, lock: str) -> Iterator[None]:
    """A transaction that runs alone among those naming the same `lock`, for writes that
    read what they then extend (the audit chain's head, the sync's same-second re-check).
    SQLite's `BEGIN IMMEDIATE` (ledger.db) already serialises every writer; PostgreSQL
    takes a transaction-level advisory lock, freed at commit or rollback."""
    with db.atomic():
        if dialect_of(db).is_postgres:
            execute(db, "SELECT pg_advisory_xact_lock(hashtext(?))", (f"payconsole.{lock}",))
        yield
