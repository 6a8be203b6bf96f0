"""Integration fixtures: one real emulator per test session (per xdist worker), real SDK,
and a fault-injecting proxy in front of it."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main
from ledger.db import open_ledger
from sync.actions import Actions
from sync.emulator import EmulatorProcess
from sync.gateway import StripeGateway
from tests.helpers import (
    API_KEY,
    LedgerCopy,
    Location,
    TeamLedgerUrls,
    beside,
    client_for,
    copy_ledger,
    drop_copies,
    gateway_for,
    team_ledger,
)
from tests.integration.fault_proxy import FaultProxy

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test under tests/integration needs the emulator, whoever writes the module.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(state=None) as process:
        yield process


@pytest.fixture
def stripe_client(emulator: EmulatorProcess) -> stripe.StripeClient:
    """A client on an emptied emulator (data, idempotency keys, clock, webhooks)."""
    emulator.reset()
    return client_for(emulator.api_base)


@pytest.fixture
def proxy(emulator: EmulatorProcess) -> Iterator[FaultProxy]:
    """A proxy in front of the emulator that fails the requests a test tells it to."""
    with FaultProxy(emulator.api_base) as running:
        yield running


@pytest.fixture
def gateway(emulator: EmulatorProcess, stripe_client: stripe.StripeClient, ledger_location: str
            ) -> StripeGateway:
    """A gateway on the emptied emulator, over a new ledger of the test's own (on each
    backend)."""
    open_ledger(ledger_location)
    return gateway_for(emulator.api_base)


@pytest.fixture
def ledger_copy(ledger_location: str) -> Iterator[LedgerCopy]:
    """`ledger_copy(source, name)`: a consistent copy of the ledger at `source`, beside the
    test's own ledger and called `name` (dropped after the test)."""
    made: list[Location] = []

    def copy(source: Location, name: str) -> Location:
        made.append(copy_ledger(source, beside(ledger_location, name)))
        return made[-1]

    yield copy
    drop_copies(*made)


@pytest.fixture
def actions(gateway: StripeGateway) -> Actions:
    """Operator ada's actions through `gateway`."""
    return Actions(gateway, "ada")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ledger_location: str, emulator: Any,
        capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs `payconsole ARGS` against the emulator; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: nobody to ask
    common = ["--ledger", ledger_location, "--api-base", emulator.api_base]

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*args, *common])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def team(pg_url: str, emulator: EmulatorProcess, stripe_client: stripe.StripeClient
         ) -> TeamLedgerUrls:
    """A team ledger on the emptied emulator: `team init` run, operators alice (support,
    refunds up to 50.00 usd, 120.00 a day) and bob (support and disputes, no limits), and
    carol (an operator role the team has not added). Opened as the service."""
    return team_ledger(pg_url, emulator.api_base)
