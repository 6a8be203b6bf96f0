"""A ledger made before v5 gains the v5 columns, with their defaults, keeping its rows; a
ledger made since has the same columns."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from ledger.db import open_ledger
from ledger.migrations import LATEST_VERSION
from ledger.models import database

V5_COLUMNS = {"payment": ("capture_method", "amount_capturable", "capture_before",
                          "cancellation_reason"),
              "dispute": ("is_charge_refundable", "submission_method", "balance_transactions")}


def columns(path: Path, table: str) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_a_v4_ledger_gains_the_v5_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    open_ledger(path).close()
    with closing(sqlite3.connect(path)) as old:  # as a v4 ledger was: without them
        old.execute("INSERT INTO payment (id, created, amount, currency, status) "
                    "VALUES ('pi_old', 1, 500, 'usd', 'requires_capture')")
        old.execute("INSERT INTO dispute (id, created, charge, amount, currency, status) "
                    "VALUES ('dp_old', 1, 'ch_old', 500, 'usd', 'needs_response')")
        for table, names in V5_COLUMNS.items():
            for name in names:
                old.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        old.execute("PRAGMA user_version = 4")
        old.commit()
    assert not set(V5_COLUMNS["payment"]) & set(columns(path, "payment"))
    open_ledger(path)
    assert database.execute_sql("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    fresh = tmp_path / "fresh.db"
    open_ledger(fresh)
    for table in V5_COLUMNS:
        assert sorted(columns(path, table)) == sorted(columns(fresh, table))
    open_ledger(path)
    row = database.execute_sql("SELECT amount_capturable, capture_before FROM payment").fetchone()
    assert row == (0, None)
    row = database.execute_sql("SELECT is_charge_refundable, balance_transactions FROM dispute"
                               ).fetchone()
    assert row == (0, "[]")
