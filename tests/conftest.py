"""Shared fixtures: a fresh ledger per test, Stripe's own example objects, and the one
way a test waits for something the app or a thread does. And the rule that a test that
cannot run is a failure with its reason: no test of this suite is ever skipped."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger.db import open_ledger

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stripe" / "fixtures3.json"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteDatabase]:
    db = open_ledger(tmp_path / "ledger.db")
    yield db
    db.close()


@pytest.fixture(scope="session")
def stripe_fixtures() -> dict[str, Any]:
    """Stripe's example objects at the current API version (see tests/fixtures/stripe)."""
    if not FIXTURES.exists():
        pytest.fail(f"{FIXTURES} is missing: it belongs to the repository, restore it from git")
    resources: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return resources


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


# -- no skips -----------------------------------------------------------------------------

NOT_RUN = "a test that cannot run is a failure: it was skipped because "


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A skip (in a fixture or the test) fails the test, with the skip's reason; so does an
    expected failure that passed (its xfail mark is stale). An expected failure that
    failed stays "xfailed", and the summary line says so."""
    report = yield
    if hasattr(report, "wasxfail"):
        if report.passed:
            report.outcome = "failed"
            report.longrepr = f"passed although marked xfail ({report.wasxfail}): drop the mark"
    elif report.skipped:
        report.outcome = "failed"
        report.longrepr = NOT_RUN + _skip_reason(report.longrepr)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector
                               ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A module that skips itself (`pytest.skip(allow_module_level=True)`, `importorskip`)
    is a collection error, with the reason."""
    report = yield
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = NOT_RUN + _skip_reason(report.longrepr)
    return report


def _skip_reason(longrepr: object) -> str:
    # A skip's longrepr is (path, line, "Skipped: reason").
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        path, line, reason = longrepr
        return f"{str(reason).removeprefix('Skipped: ')} ({path}:{line})"
    return str(longrepr)
