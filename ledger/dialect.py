"""Where SQLite and PostgreSQL say the same thing differently: the few fragments of SQL
that no portable spelling covers. Everything else in ledger/ is written once, for both.

The ledger's SQL text uses `?` placeholders; `ledger.sql.execute` turns them into
psycopg's `%s` on PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import Database, DatabaseProxy


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" | "postgresql"

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"

    def unindexed(self, column: str) -> str:
        """`column` as SQLite's planner will not pick an index by (a unary plus), where a
        narrower index would beat the covering one; PostgreSQL needs no such hint."""
        return column if self.is_postgres else f"+{column}"

    def ci_equals(self, column: str) -> str:
        """`column` equal to a parameter, ignoring ASCII case (as SQLite's NOCASE does)."""
        if self.is_postgres:
            return f"lower({column}) = lower(?)"
        return f"{column} = ? COLLATE NOCASE"

    def ci_like(self, column: str) -> str:
        """`column` LIKE a parameter with ESCAPE '\\', ignoring ASCII case (SQLite's LIKE
        does by default; PostgreSQL's does not, and `lower()` keeps the index usable)."""
        if self.is_postgres:
            return f"lower({column}) LIKE lower(?) ESCAPE '\\'"
        return f"{column} LIKE ? ESCAPE '\\'"


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgresql")


def dialect_of(db: Database | DatabaseProxy) -> Dialect:
    """By the class attribute ledger.postgres.LedgerPostgres sets (checking its class here
    would import the PostgreSQL driver for every SQLite ledger)."""
    target = db.obj if isinstance(db, DatabaseProxy) else db
    return POSTGRES if getattr(target, "ledger_dialect", None) == POSTGRES.name else SQLITE


# A literal %, a `?` placeholder, or a `:name` one (never a `::` cast: the ledger has none).
_PLACEHOLDER = re.compile(r"%|\?|(?<![:\w]):([A-Za-z_]\w*)")


def to_pyformat(sql: str) -> str:
    """The ledger's `?` and `:name` placeholders as psycopg's `%s` and `%(name)s` (a
    literal % doubled)."""
    return _PLACEHOLDER.sub(_pyformat, sql)


def _pyformat(match: re.Match[str]) -> str:
    if match.group(1):
        return f"%({match.group(1)})s"
    return "%s" if match.group() == "?" else "%%"
