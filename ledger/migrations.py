"""Schema migrations, recorded in SQLite's `user_version`.

Each migration is a function run once, in order, inside a transaction. Append new ones;
never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from peewee import SqliteDatabase

from ledger.models import ALL_MODELS

# Indexes for what the panes sort and filter on, beyond the per-column ones in models.py.
_V1_INDEXES = (
    "CREATE INDEX IF NOT EXISTS payment_created_id ON payment (created DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS payment_status_created ON payment (status, created)",
    "CREATE INDEX IF NOT EXISTS payment_email ON payment (customer_email)",
    "CREATE INDEX IF NOT EXISTS payment_last4 ON payment (card_last4)",
    "CREATE INDEX IF NOT EXISTS payment_currency_created ON payment (currency, created)",
    "CREATE INDEX IF NOT EXISTS refund_created ON refund (created)",
    "CREATE INDEX IF NOT EXISTS dispute_status_due ON dispute (status, due_by)",
    "CREATE INDEX IF NOT EXISTS event_created_id ON event (created DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS customer_created ON customer (created DESC)",
)


def _v1_initial(db: SqliteDatabase) -> None:
    db.create_tables(ALL_MODELS, safe=True)
    for statement in _V1_INDEXES:
        db.execute_sql(statement)


MIGRATIONS: tuple[Callable[[SqliteDatabase], None], ...] = (_v1_initial,)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(db: SqliteDatabase) -> int:
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def migrate(db: SqliteDatabase) -> int:
    """Bring the schema to LATEST_VERSION; returns the version it started from."""
    start = schema_version(db)
    for version, step in enumerate(MIGRATIONS[start:], start=start + 1):
        with db.atomic():
            step(db)
            db.execute_sql(f"PRAGMA user_version = {version}")
    return start
