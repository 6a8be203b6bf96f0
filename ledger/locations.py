"""Where a ledger lives: an SQLite file path, or a postgresql:// URL, and how a URL may be
shown (never with its password). Plain string work: importing this costs nothing (the
PostgreSQL driver is imported only when a PostgreSQL ledger is opened)."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def display_url(url: str) -> str:
    """`url` without its password (and without query parameters such as passfile=)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def has_password(url: str) -> bool:
    return urlsplit(url).password is not None


def scrub(text: str, url: str) -> str:
    """`text` (a driver's message) with the URL shown without its password."""
    password = urlsplit(url).password
    text = text.replace(url, display_url(url))
    return text.replace(password, "***") if password else text


def import_peewee_without_psycopg() -> None:
    """Import peewee, if nothing has yet, with the PostgreSQL driver hidden from it.

    peewee imports psycopg at its own import (~0.1 s, a third of Textual's start-up), which
    an SQLite ledger never uses. `ledger.postgres` (imported whenever a PostgreSQL ledger is
    opened) gives peewee the driver's names back: `ledger.postgres.give_peewee_psycopg`.
    Called first thing by the console's package and by ledger.db."""
    if "peewee" in sys.modules or "psycopg" in sys.modules:
        return  # too late, or nothing to save: peewee sees the driver as usual
    sys.modules["psycopg"] = None  # type: ignore[assignment]  # `import psycopg` fails
    try:
        import peewee  # noqa: F401  # imported now, once, without the driver
    finally:
        del sys.modules["psycopg"]
