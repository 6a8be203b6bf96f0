"""The team ledger on PostgreSQL: peewee's PostgresqlDatabase over psycopg 3, made to
behave like the SQLite ledger so one set of queries gives the same answers on both.

- Integers are 64-bit (BIGINT) and flags are integers 0 / 1, as SQLite stores them: a
  Python bool is sent as 1 / 0, so `SUM(disputed)` and `disputed = 1` mean the same.
- Text compares and sorts by code point (`COLLATE "C"`, SQLite's BINARY), whatever the
  server's default collation: ids sort the same way on both backends.
- SUM of integers comes back as an int (PostgreSQL answers NUMERIC), a fraction (an AVG)
  as a float, as SQLite answers.
- Tables that the queries page by insertion order get a `rowid` identity column.

Passwords come the libpq way (PGPASSWORD, ~/.pgpass, passfile=);
`ledger.locations.display_url` is the only form of a URL that may be shown or logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import peewee
import psycopg
from peewee import PostgresqlDatabase
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format, TransactionStatus
from psycopg.types.json import Json, Jsonb

from ledger.sql import causes_of


def give_peewee_psycopg() -> None:
    """The names peewee takes from psycopg at its import, for a peewee imported with the
    driver hidden (`ledger.locations.import_peewee_without_psycopg`); nothing otherwise."""
    if getattr(peewee, "psycopg", None) is not None:
        return
    names = {"psycopg": psycopg, "TransactionStatus": TransactionStatus,
             "Json_pg3": Json, "Jsonb_pg3": Jsonb}
    for name, value in names.items():
        setattr(peewee, name, value)
    # Set in the class body only when the driver was there.
    adapter = peewee.Psycopg3Adapter
    adapter.txn_idle = TransactionStatus.IDLE
    adapter.txn_inerror = TransactionStatus.INERROR
    adapter.txn_unknown = TransactionStatus.UNKNOWN


give_peewee_psycopg()  # before any LedgerPostgres: this module is how one is made

# A dead peer (a leader's host gone) is noticed in about 5 + 3 x 2 = 11 s, not hours.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
               "keepalives_count": 3, "connect_timeout": 10}
# Raw events (~2 kB of JSON each) are compressed as they are stored: lz4 takes a fraction
# of the default pglz's time (the apply bench: 3,600 -> 4,800 events/s). A server built
# without lz4, or older than 14 (no such setting), keeps its default.
_FAST_COMPRESSION = (
    "SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)
# A multi-row INSERT carries at most this many parameters (PostgreSQL takes 65,535).
VALUES_PARAMS = 10_000


class _FlagDumper(Dumper):
    """Python bools as the integers 1 / 0 the ledger's flag columns hold."""

    format = Format.TEXT
    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NumericLoader(Loader):
    """NUMERIC as SQLite would answer: an int when whole (SUM of integers), else a float."""

    format = Format.TEXT

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class LedgerPostgres(PostgresqlDatabase):
    field_types = {"INT": "BIGINT", "BOOL": "BIGINT", "TEXT": 'TEXT COLLATE "C"'}
    ledger_dialect = "postgresql"  # what ledger.dialect.dialect_of reads

    def __init__(self, url: str, *, read_only: bool = False, **params: Any) -> None:
        options = "-c default_transaction_read_only=on" if read_only else None
        connect: dict[str, Any] = {**_KEEPALIVES, **params}
        if options:
            connect["options"] = options
        super().__init__(url, prefer_psycopg3=True, **connect)
        self.url = url

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        """peewee's, once more on a fresh connection when the old one died outside a
        transaction (a restarted server, a dropped link): the statement never ran."""
        try:
            return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]
        except Exception as exc:
            lost = any(isinstance(error, psycopg.OperationalError)
                       for error in psycopg_errors(exc))
            if not lost or not self.is_connection_lost() or self.in_transaction():
                raise
            self.close()
            return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]

    def insert_rows(self, head: str, rows: Sequence[Sequence[Any]], tail: str) -> None:
        """`ledger.sql.insert_rows` on PostgreSQL: multi-row `VALUES (...), (...)`.

        A statement per row (executemany) costs a Bind/Execute on the server and fires the
        table's statement triggers (NOTIFY) each time. The statements use `$n`
        placeholders, which psycopg's RawCursor sends as they are: its usual `%s` form is
        parsed in Python, at ~6 us a placeholder. A full batch's text repeats, so psycopg
        prepares it after a few runs."""
        width = len(rows[0])
        per_statement = max(1, VALUES_PARAMS // width)
        with psycopg.RawCursor(self.connection()) as cursor:  # type: ignore[no-untyped-call]
            for start in range(0, len(rows), per_statement):
                batch = rows[start : start + per_statement]
                cursor.execute(_values_sql(head, tail, width, len(batch)),
                               [value for row in batch for value in row])

    def is_connection_lost(self) -> bool:
        conn = None if self.is_closed() else self.connection()  # type: ignore[no-untyped-call]
        return conn is None or bool(conn.closed) or conn.broken

    def _connect(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] = super()._connect()  # type: ignore[misc]  # private
        conn.adapters.register_dumper(bool, _FlagDumper)
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.execute(_FAST_COMPRESSION)
        return conn


@lru_cache(maxsize=64)
def _values_sql(head: str, tail: str, width: int, count: int) -> str:
    """`head VALUES ($1, $2), ($3, $4) tail` for `count` rows of `width` values."""
    rows = (", ".join(f"${row * width + column}" for column in range(1, width + 1))
            for row in range(count))
    return f"{head} VALUES ({'), ('.join(rows)}) {tail}"


def psycopg_errors(exc: BaseException) -> list[psycopg.Error]:
    return causes_of(exc, psycopg.Error)


# SQLSTATE classes and codes an operator can act on, and what to say.
_PROBLEMS = {
    "28P01": "the server refused the password (set it in PGPASSWORD or ~/.pgpass)",
    "28000": "the server refused this role (check the user name and pg_hba.conf)",
    "3D000": "the database does not exist (create it, or check the URL's database name)",
    "25006": "the ledger is open read-only; nothing was written",
    "53100": "the database server's disk is full; nothing was half-written",
    "57P01": "the server shut down the connection; nothing was half-written, try again",
    "42501": ("this database role may not do that (on a team ledger, an operator acts "
              "through requests that its sync service runs; or ask an admin for the grant)"),
}
_CONNECT_FAILURES = (("password authentication failed", "28P01"),
                     ("no password supplied", "28P01"),
                     ("no pg_hba.conf entry", "28000"),
                     ("does not exist", "3D000"))
# Errors that say "try the whole transaction again".
RETRYABLE = frozenset({"40001", "40P01", "55P03"})


def postgres_problem(exc: BaseException) -> str | None:
    """What went wrong with a PostgreSQL ledger, in words, or None for a bug."""
    for error in psycopg_errors(exc):
        code = error.sqlstate or ""
        if code in _PROBLEMS:
            return _PROBLEMS[code]
        if code in RETRYABLE:
            return "another writer kept the ledger busy; nothing was written, try again"
        if isinstance(error, psycopg.OperationalError):
            text = str(error)
            for needle, code in _CONNECT_FAILURES:  # failed connections carry no SQLSTATE
                if needle in text:
                    return _PROBLEMS[code]
            first = text.strip().splitlines()[0] if text.strip() else "no answer"
            return f"cannot reach the database server ({first})"
    return None


def is_retryable(exc: BaseException) -> bool:
    return any((error.sqlstate or "") in RETRYABLE for error in psycopg_errors(exc))
