"""Shared fixtures: a fresh ledger per test, and Stripe's own example objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger.db import open_ledger

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "stripe" / "fixtures3.json"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteDatabase]:
    db = open_ledger(tmp_path / "ledger.db")
    yield db
    db.close()


@pytest.fixture(scope="session")
def stripe_fixtures() -> dict[str, Any]:
    """Stripe's example objects at the current API version (../shared/stripe)."""
    if not FIXTURES.exists():
        pytest.skip(f"{FIXTURES} is not beside the repo")
    return json.loads(FIXTURES.read_text())["resources"]
