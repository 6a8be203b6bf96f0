"""Unit fixtures: the fixed ledger whose figures the tests computed by hand, and the
`payconsole` command line pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest
from peewee import SqliteDatabase

from tests.helpers import FIXED_OBJECTS, fill


@pytest.fixture
def fixed_ledger(ledger: SqliteDatabase) -> SqliteDatabase:
    fill(ledger, FIXED_OBJECTS)
    return ledger


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fixed_ledger: SqliteDatabase
        ) -> list[str]:
    """The arguments that point `payconsole` at the fixed ledger, run with a config and
    data folder of its own (none of the developer's)."""
    monkeypatch.delenv("PAYCONSOLE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return ["--ledger", str(tmp_path / "ledger.db")]
