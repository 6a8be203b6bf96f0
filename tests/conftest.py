"""Shared fixtures: a fresh ledger per test, Stripe's own example objects, and the one
way a test waits for something the app or a thread does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
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


class Waiter:
    """`await wait_for(condition)`: poll until `condition()` holds, or fail the test after
    `timeout` seconds. With a Textual `pilot`, each poll lets the app run (`pilot.pause`);
    without, the event loop sleeps. Returns the seconds it took (for latency figures)."""

    POLL_SECONDS = 0.02

    def __init__(self, default_timeout: float = 15.0) -> None:
        self.default_timeout = default_timeout

    async def __call__(self, condition: Callable[[], bool], *, pilot: Any = None,
                       timeout: float | None = None, what: str = "the expected state"
                       ) -> float:
        pause: Callable[[], Awaitable[object]] = (
            (lambda: pilot.pause(self.POLL_SECONDS)) if pilot is not None
            else (lambda: asyncio.sleep(self.POLL_SECONDS)))
        start = time.monotonic()
        deadline = start + (self.default_timeout if timeout is None else timeout)
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await pause()
        return time.monotonic() - start


@pytest.fixture
def wait_for() -> Waiter:
    return Waiter()
