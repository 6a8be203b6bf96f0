"""Integration fixtures: one real emulator per test session (per xdist worker), real SDK,
and a fault-injecting proxy in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from sync.emulator import EmulatorProcess
from tests.helpers import client_for
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
