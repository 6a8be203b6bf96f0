"""A PostgreSQL server reached by a URL, on which this process creates and drops databases:
the tests' databases on the suite's own server or on $PAYCONSOLE_TEST_PG_URL, and the
demo's (ledger/local_postgres.py starts a throwaway server of this kind)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

# PostgreSQL cuts longer names silently: a database created under a cut name could not be
# dropped under the name asked for.
DATABASE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class PostgresServerError(Exception):
    """The server cannot be found, started or used; the message says why and what to do."""


class PostgresServer:
    """A PostgreSQL server on which this process creates and drops databases, through
    `admin_url`: a role allowed to (a superuser, or one with CREATEDB) on a database that
    stays, such as `postgres`. Its URLs for other databases keep the same role and host."""

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        self._admin: psycopg.Connection[Any] | None = None

    @property
    def where(self) -> str:
        """host:port, for messages (the URL may hold a password: never shown)."""
        parts = urlsplit(self._admin_url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"

    def url(self, dbname: str) -> str:
        self._check_running()
        parts = urlsplit(self._admin_url)
        return urlunsplit(parts._replace(path="/" + quote(_checked(dbname))))

    def create_database(self, name: str, template: str | None = None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_checked(name)))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(_checked(template)))
        try:
            self._execute(statement)
        except psycopg.errors.ObjectInUse as exc:  # after PostgreSQL's own 5 s wait
            raise PostgresServerError(
                f"cannot create the database {name} from {template} on {self.where}: "
                f"{template} is in use by another connection (a template's connections must "
                "be closed before it is cloned)") from exc
        except psycopg.Error as exc:
            raise PostgresServerError(
                f"cannot create the database {name} on {self.where}: {exc}") from exc

    def drop_database(self, name: str) -> None:
        """Drop `name` if it exists, ending any connection still open to it."""
        statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(_checked(name)))
        if self._connection().info.server_version >= 130000:  # FORCE is PostgreSQL 13's
            statement += sql.SQL(" WITH (FORCE)")
        try:
            self._execute(statement)
        except psycopg.Error as exc:
            raise PostgresServerError(
                f"cannot drop the database {name} on {self.where}: {exc}") from exc

    def close(self) -> None:
        """Close the connection this object administers the server through."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def _execute(self, statement: sql.Composed) -> None:
        try:
            self._connection().execute(statement)
        except psycopg.OperationalError:
            if self._admin is not None and self._admin.closed:
                self._admin = None  # lost: the next call connects again
                self._check_running()
            raise

    def _connection(self) -> psycopg.Connection[Any]:
        self._check_running()
        if self._admin is None:
            try:
                self._admin = psycopg.connect(self._admin_url, autocommit=True,
                                              connect_timeout=10)
            except psycopg.Error as exc:
                raise PostgresServerError(
                    f"cannot connect to the PostgreSQL server at {self.where}: {exc}") from exc
        return self._admin

    def _check_running(self) -> None:
        """Raise a PostgresServerError when the server is known to be gone (a server
        this process started knows)."""


def _checked(name: str) -> str:
    if not DATABASE_NAME.fullmatch(name):
        raise PostgresServerError(
            f"{name!r} is not a database name here: letters, digits and _ (not first), at "
            "most 63 of them")
    return name
