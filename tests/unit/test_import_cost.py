"""What the console's start-up does not import: peewee without the PostgreSQL driver for an
SQLite ledger (ledger.locations.import_peewee_without_psycopg), and a PostgreSQL ledger
still working with a peewee imported that way (ledger.postgres.give_peewee_psycopg).
Each check runs in a fresh interpreter: this one has imported everything already."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_ledger_works_with_peewee_imported_without_the_driver(ledger_location: str) -> None:
    loaded = _run("""
        import sys
        import console.app  # the console's package imports peewee first, driver hidden
        assert "psycopg" not in sys.modules
        import peewee
        assert peewee.psycopg is None
        from ledger.audit import NewEntry, append, verify_chain
        from ledger.db import open_ledger
        from ledger.queries import PaymentListing
        db = open_ledger(sys.argv[1])  # creates and migrates it: DDL and writes
        append(NewEntry(operator="ops", action="capture", target="pi_1", result="succeeded"))
        assert verify_chain().ok and verify_chain().checked == 1
        assert PaymentListing().count() == 0
        assert db.is_connection_usable()
        db.close()
        read_only = open_ledger(sys.argv[1], read_only=True)
        assert verify_chain().checked == 1
        print("psycopg" in sys.modules)
    """, ledger_location)
    # An SQLite ledger never loads the driver; a PostgreSQL one loads it when opened.
    assert loaded == str(ledger_location.startswith("postgresql://"))


def test_the_first_screen_imports_neither_the_driver_nor_what_it_does_not_show(
        tmp_path: Path) -> None:
    loaded = _run("""
        import sys
        from ledger.db import open_ledger  # as `payconsole` does before the app starts
        open_ledger(sys.argv[1])
        import console.app
        print(" ".join(sorted(sys.modules)))
    """, f"{tmp_path}/ledger.db").split()
    # Imported where first used: an action (its plans, sending, its form), a dispute's
    # detail, the deadline alerter (online, with [alerts]), a team desk.
    later = ("psycopg", "sync.plans", "console.sending", "console.screens.action_form",
             "console.screens.evidence_form", "console.screens.dispute_detail",
             "console.deadline_alerter", "sync.team_actions")
    assert [name for name in later if name in loaded] == []


def test_every_operator_action_form_is_one_the_console_can_open() -> None:
    from console.operator_actions import OPERATOR_ACTIONS, _forms

    named = {entry.form for entry in OPERATOR_ACTIONS.values() if entry.form is not None}
    assert named and named <= set(_forms())
