"""Schema migrations, recorded in SQLite's `user_version`.

Each migration is a function run once, in order, inside a transaction. Append new ones;
never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.models import ACTION_MODELS, ALL_MODELS, LedgerModel
from ledger.models_fraud import FRAUD_MODELS
from ledger.models_money import MONEY_MODELS
from ledger.sql import LedgerDatabase, execute, single_int

Migration = Callable[[LedgerDatabase], None]


def _migration(*statements: str, tables: tuple[type[LedgerModel], ...] = ()) -> Migration:
    """A migration that creates `tables` (those missing), then runs `statements` in order."""

    def run(db: LedgerDatabase) -> None:
        db.create_tables(tables, safe=True)
        for statement in statements:
            execute(db, statement)

    return run


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


# The audit log is append-only even to the app itself: SQLite refuses to change a row.
# (Editing the file by other means is caught by ledger.audit.verify_chain.)
_V2_STATEMENTS = (
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)


# Analytics (ledger/analytics.py) seeks on the UTC day and groups by (day, currency) in index
# order, so SQLite never sorts the rows; every column a figure reads is in the index, so
# the table is never touched. Search: case-insensitive email prefixes need a NOCASE index
# (SQLite's LIKE optimisation), and last4 with `created` pages newest first without a
# sort. Those two replace the plain v1 indexes on the same columns.
_V3_STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS payment_analytics ON payment (created / 86400, currency, "
    "card_brand, created, status, amount_captured, amount_received, failure_code, decline_code)",
    "CREATE INDEX IF NOT EXISTS refund_analytics ON refund "
    "(created / 86400, currency, created, status, amount)",
    "CREATE INDEX IF NOT EXISTS dispute_analytics ON dispute "
    "(created / 86400, currency, created, status, amount, reason)",
    "CREATE INDEX IF NOT EXISTS payment_email_nocase ON payment (customer_email COLLATE NOCASE)",
    "DROP INDEX IF EXISTS payment_email",
    "CREATE INDEX IF NOT EXISTS payment_last4_created ON payment (card_last4, created)",
    "DROP INDEX IF EXISTS payment_last4",
    "CREATE INDEX IF NOT EXISTS customer_email_nocase ON customer (email COLLATE NOCASE)",
)


def _columns(table: str, **columns: str) -> Migration:
    """Add the columns a ledger made before them lacks (v1 makes the tables from today's
    models, so a ledger created since already has them: SQLite has no ADD COLUMN IF NOT
    EXISTS)."""

    def run(db: LedgerDatabase) -> None:
        present = {row[1] for row in execute(db, f"PRAGMA table_info({table})")}
        for name, definition in columns.items():
            if name not in present:
                execute(db, f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    return run


def _steps(*steps: Migration) -> Migration:
    def run(db: LedgerDatabase) -> None:
        for step in steps:
            step(db)

    return run


# v4: the Payments pane's "largest amount" order, and amount ranges within a currency.
_V4_STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS payment_currency_amount_id ON payment (currency, amount, id)",
)

MIGRATIONS: tuple[Migration, ...] = (
    _migration(*_V1_INDEXES, tables=ALL_MODELS),
    _migration(*_V2_STATEMENTS, tables=ACTION_MODELS),  # operator actions
    _migration(*_V3_STATEMENTS),  # analytics and search indexes
    _migration(*_V4_STATEMENTS),
    # v5: authorizations (capture / cancel) and what on-call needs of a dispute.
    _steps(_columns("payment", capture_method="TEXT", amount_capturable="INTEGER NOT NULL "
                    "DEFAULT 0", capture_before="INTEGER", cancellation_reason="TEXT"),
           _columns("dispute", is_charge_refundable="INTEGER NOT NULL DEFAULT 0",
                    submission_method="TEXT",
                    balance_transactions="TEXT NOT NULL DEFAULT '[]'")),
    # v6: balance transactions (fees, net) and payouts.
    _migration(
        "CREATE INDEX IF NOT EXISTS balance_transaction_created ON balance_transaction "
        "(created DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS payout_created ON payout (created DESC, id DESC)",
        tables=MONEY_MODELS),
    # Early fraud warnings (analytics reads them by `created`) and deadline alerts sent.
    _migration(
        "CREATE INDEX IF NOT EXISTS early_fraud_warning_created ON early_fraud_warning "
        "(created DESC, id DESC)",
        tables=FRAUD_MODELS),
)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(db: LedgerDatabase) -> int:
    return single_int(db, "PRAGMA user_version")


def migrate(db: LedgerDatabase) -> int:
    """Bring the schema to LATEST_VERSION; returns the version it started from."""
    start = schema_version(db)
    for version, step in enumerate(MIGRATIONS[start:], start=start + 1):
        with db.atomic():
            step(db)
            execute(db, f"PRAGMA user_version = {version}")
    return start
