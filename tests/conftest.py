"""Shared fixtures: a fresh ledger per test, Stripe's own example objects, and the one
way a test waits for something the app or a thread does. And the rule that a test that
cannot run is a failure with its reason: no test of this suite is ever skipped."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from peewee import Database

from ledger.db import open_ledger
from ledger.local_postgres import LocalPostgres
from ledger.postgres_server import PostgresServer, PostgresServerError

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


# -- PostgreSQL ---------------------------------------------------------------------------
# Each test worker starts a server of its own (LocalPostgres), or uses the one at
# $PAYCONSOLE_TEST_PG_URL: a role that may create databases, on a database that stays
# (postgresql://me@db.example:5432/postgres). A test gets a database of its own (`pg_url`),
# cloned from a template made once per worker.

TEST_PG_URL_ENV = "PAYCONSOLE_TEST_PG_URL"
# autovacuum in a template makes its clone wait (up to 5 s), and it would spend the CPU the
# tests need on databases that live for a second.
TEST_PG_SETTINGS = {"autovacuum": "off"}
Prepare = Callable[[str], None]


class PgDatabases:
    """This worker's databases on `server`, all named `<prefix>_...` so that workers (and
    test runs sharing a server) never meet: templates made once each by a `prepare`
    callback given the template's URL, and clones of them."""

    def __init__(self, server: PostgresServer, prefix: str) -> None:
        self.server = server
        self.prefix = prefix
        self._templates: dict[Prepare, str] = {}
        self._clones = itertools.count(1)

    def template(self, prepare: Prepare) -> str:
        """The template `prepare` made, on the first call for it; `prepare` must close
        the connections it opens (a template in use cannot be cloned)."""
        if prepare not in self._templates:
            name = f"{self.prefix}_tpl{len(self._templates) + 1}"
            self.server.drop_database(name)  # left by an interrupted run on a shared server
            self.server.create_database(name)
            try:
                prepare(self.server.url(name))
            except BaseException:
                self.server.drop_database(name)
                raise
            self._templates[prepare] = name
        return self._templates[prepare]

    def clone(self, template: str) -> str:
        name = f"{self.prefix}_{next(self._clones)}"
        self.server.create_database(name, template=template)
        return name

    def drop_templates(self) -> None:
        for name in self._templates.values():
            self.server.drop_database(name)
        self._templates.clear()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    existing = os.environ.get(TEST_PG_URL_ENV)
    server = PostgresServer(existing) if existing else LocalPostgres(settings=TEST_PG_SETTINGS)
    if isinstance(server, LocalPostgres):
        try:
            server.start()
        except PostgresServerError as exc:
            pytest.fail(f"the tests' PostgreSQL server cannot start: {exc}", pytrace=False)
    yield server
    if isinstance(server, LocalPostgres):
        server.stop()
    else:
        server.close()


@pytest.fixture(scope="session")
def pg_admin_url(pg_server: PostgresServer) -> str:
    """The URL through which another process may create and drop databases on the tests'
    server (the benchmarks' scripts do)."""
    return os.environ.get(TEST_PG_URL_ENV) or pg_server.url("postgres")


@pytest.fixture(scope="session")
def pg_databases(pg_server: PostgresServer) -> Iterator[PgDatabases]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    databases = PgDatabases(pg_server, f"t_{worker}_{os.getpid()}")
    yield databases
    databases.drop_templates()


@pytest.fixture(scope="session")
def pg_prepare() -> Prepare:
    """What makes the template that every `pg_url` database is a clone of: a ledger
    migrated to the latest schema (cloning it takes ~30 ms; migrating, ~1 s)."""
    return lambda url: open_ledger(url).close()


@pytest.fixture(scope="session")
def pg_template(pg_databases: PgDatabases, pg_prepare: Prepare) -> str:
    return pg_databases.template(pg_prepare)


@pytest.fixture
def pg_url(pg_server: PostgresServer, pg_databases: PgDatabases, pg_template: str
           ) -> Iterator[str]:
    """The URL of a database of this test's own, a clone of `pg_template`, dropped after."""
    name = pg_databases.clone(pg_template)
    yield pg_server.url(name)
    pg_server.drop_database(name)


# -- order ------------------------------------------------------------------------------

# The slowest modules (20 to 60 s a test: a wheel installed into a new venv, the benchmarks,
# two team consoles, the console in a pseudo-terminal) run first: collected late, they kept
# one worker busy at the end while the others had nothing left to do.
SLOWEST_FIRST = ("tests/integration/test_wheel.py", "tests/unit/test_bench_small.py",
                 "tests/integration/test_console_team.py", "tests/console/test_offline.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((place for place, module in enumerate(SLOWEST_FIRST)
                     if item.nodeid.startswith(module)), len(SLOWEST_FIRST))

    items.sort(key=rank)  # stable: the rest keep their order


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
