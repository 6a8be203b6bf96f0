"""The audit log: append-only at the SQL level, hash-chained, and tampering found at the
entry where it happened."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from ledger.audit import (
    CARD_NUMBER_MASK,
    AuditListing,
    NewEntry,
    append,
    entries_touching,
    verify_chain,
)
from ledger.db import open_ledger
from ledger.dialect import dialect_of
from ledger.export import export
from tests.helpers import HandEdits


def _entry(n: int, **changes: object) -> NewEntry:
    fields: dict = {"operator": "ada", "action": "refund", "target": f"pi_{n}",
                    "result": "succeeded", "params": {"amount": 100 * n, "currency": "usd"},
                    "idempotency_key": f"payconsole-refund-{n}-1"}
    fields.update(changes)
    return NewEntry(**fields)


@pytest.fixture
def chain(ledger: SqliteDatabase) -> SqliteDatabase:
    for n in range(1, 6):
        append(_entry(n), now=1_700_000_000 + n)
    return ledger


def test_a_fresh_chain_verifies(chain: SqliteDatabase) -> None:
    report = verify_chain()
    assert report.ok and report.checked == 5 and report.broken_at is None
    assert "5 entries verified" in str(report)


def test_an_empty_log_verifies(ledger: SqliteDatabase) -> None:
    assert verify_chain().ok and verify_chain().checked == 0


def test_the_app_cannot_update_or_delete_entries(chain: SqliteDatabase) -> None:
    for statement in ("UPDATE audit_entry SET result = 'failed' WHERE seq = 2",
                      "DELETE FROM audit_entry WHERE seq = 5"):
        with pytest.raises(Exception, match="append-only"):
            chain.execute_sql(statement)
    assert verify_chain().ok


def test_an_edited_row_is_found_at_that_entry(chain: SqliteDatabase) -> None:
    raw = HandEdits(chain)
    raw.drop_trigger("audit_entry_no_update")
    raw.execute("""UPDATE audit_entry SET params = '{"amount":1,"currency":"usd"}' WHERE seq = 3""")
    report = verify_chain()
    assert not report.ok and report.broken_at == 3 and report.checked == 2
    assert "contents" in (report.reason or "")
    assert "broken at entry 3" in str(report)


def test_a_rehashed_row_breaks_the_link_to_the_next(chain: SqliteDatabase) -> None:
    """Recomputing the edited entry's own hash does not help: the next one names the old."""
    from ledger.audit import entry_hash

    raw = HandEdits(chain)
    raw.drop_trigger("audit_entry_no_update")
    row = raw.row("SELECT * FROM audit_entry WHERE seq = 2")
    row["operator"] = "mallory"
    raw.execute("UPDATE audit_entry SET operator = ?, hash = ? WHERE seq = 2",
                (row["operator"], entry_hash(row)))
    report = verify_chain()
    assert report.broken_at == 3 and "previous-hash" in (report.reason or "")


def test_a_removed_row_is_found(chain: SqliteDatabase) -> None:
    raw = HandEdits(chain)
    raw.drop_trigger("audit_entry_no_delete")
    raw.execute("DELETE FROM audit_entry WHERE seq = 4")
    report = verify_chain()
    assert report.broken_at == 5 and "removed" in (report.reason or "")


def test_dropped_triggers_alone_make_the_log_untrustworthy(chain: SqliteDatabase) -> None:
    HandEdits(chain).drop_trigger("audit_entry_no_delete")
    report = verify_chain()
    assert not report.ok and report.checked == 5 and "triggers" in (report.reason or "")


def test_card_numbers_never_reach_the_log(ledger: SqliteDatabase) -> None:
    append(_entry(1, result="refused", params={"note": "card 4242 4242 4242 4242 please"},
                  error="note looks like 4000-0000-0000-0341"))
    row = AuditListing().page(0, 1)[0]
    assert row.params == {"note": f"card {CARD_NUMBER_MASK} please"}
    assert row.error == f"note looks like {CARD_NUMBER_MASK}"
    stored = ledger.execute_sql("SELECT params || error FROM audit_entry").fetchone()[0]
    assert "4242" not in stored and "0341" not in stored
    assert verify_chain().ok


def test_an_unknown_result_is_refused(ledger: SqliteDatabase) -> None:
    from ledger.audit import AuditError

    with pytest.raises(AuditError):
        append(_entry(1, result="maybe"))


def test_pages_newest_first_and_entries_touching_an_object(chain: SqliteDatabase) -> None:
    append(_entry(9, action="charge", target="cus_9", object_id="pi_3", object_status="succeeded"))
    listing = AuditListing()
    assert listing.count() == 6
    assert [row.seq for row in listing.page(0, 2)] == [6, 5]
    assert [row.seq for row in listing.page(4, 10)] == [2, 1]
    assert listing.page(6, 10) == []
    touching = entries_touching("pi_3")
    assert [(row.seq, row.action) for row in touching] == [(6, "charge"), (3, "refund")]
    assert touching[1].params == {"amount": 300, "currency": "usd"}


def test_export_audit_writes_the_chain_oldest_first(chain: SqliteDatabase) -> None:
    out = io.StringIO()
    assert export("audit", "jsonl", out) == 5
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["seq"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[1]["prev_hash"] == rows[0]["hash"]


def test_the_migration_upgrades_a_version_1_ledger(tmp_path: Path) -> None:
    from ledger.migrations import MIGRATIONS
    from ledger.models import database

    path = tmp_path / "old.db"
    old = SqliteDatabase(str(path))
    database.initialize(old)  # the models create their tables through the proxy
    MIGRATIONS[0](old)
    old.execute_sql("PRAGMA user_version = 1")
    old.close()
    db = open_ledger(path)
    append(_entry(1))
    assert verify_chain().ok
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_the_log_cannot_be_truncated_either(chain: SqliteDatabase) -> None:
    """PostgreSQL has TRUNCATE, which row triggers do not see: a statement trigger refuses
    it. (SQLite has no TRUNCATE; its DELETE without WHERE meets the row trigger.)"""
    statement = ("TRUNCATE audit_entry" if dialect_of(chain).is_postgres
                 else "DELETE FROM audit_entry")
    with pytest.raises(Exception, match="append-only"):
        chain.execute_sql(statement)
    assert verify_chain().ok and verify_chain().checked == 5
