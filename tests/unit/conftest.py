"""Unit fixtures: the fixed ledger whose figures the tests computed by hand, and the
`payconsole` command line pointed at it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from tests.helpers import FIXED_OBJECTS, fill


@pytest.fixture
def fixed_ledger(ledger: SqliteDatabase) -> SqliteDatabase:
    fill(ledger, FIXED_OBJECTS)
    return ledger


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fixed_ledger: SqliteDatabase,
        ledger_location: str) -> list[str]:
    """The arguments that point `payconsole` at the fixed ledger, run with a config and
    data folder of its own (none of the developer's)."""
    monkeypatch.delenv("PAYCONSOLE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return ["--ledger", ledger_location]


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PAYCONSOLE_ or STRIPE_ variables of the developer's, and XDG folders of the test's."""
    for name in list(os.environ):
        if name.startswith(("PAYCONSOLE_", "STRIPE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
