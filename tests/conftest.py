"""Shared fixtures: a fresh ledger per test, Stripe's own example objects, and the one
way a test waits for something the app or a thread does. And the rule that a test that
cannot run is a failure with its reason: no test of this suite is ever skipped."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from peewee import Database

from ledger.db import open_ledger

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stripe" / "fixtures3.json"


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def ledger_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the test's fresh ledger lives: a file, or a new PostgreSQL database (the test
    runs once on each backend)."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def ledger(ledger_location: str) -> Iterator[Database]:
    db = open_ledger(ledger_location)
    yield db
    db.close()


# -- PostgreSQL (temporary: an existing server named by PAYCONSOLE_TEST_PG_URL) ----------

_pg_count = iter(range(1_000_000))


@pytest.fixture
def pg_url(worker_id: str) -> Iterator[str]:
    import psycopg

    base = os.environ["PAYCONSOLE_TEST_PG_URL"]
    name = f"t_{worker_id}_{os.getpid()}_{next(_pg_count)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield base.rsplit("/", 1)[0] + "/" + name
    from ledger.models import database

    if database.obj is not None:
        database.obj.close()
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
