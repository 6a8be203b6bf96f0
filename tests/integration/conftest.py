"""Integration fixtures: one real emulator per test session (per xdist worker), real SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from sync.emulator import EmulatorProcess

HERE = Path(__file__).parent
API_KEY = "sk_test_payconsole"


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
    return stripe.StripeClient(API_KEY, base_addresses={"api": emulator.api_base},
                               max_network_retries=0)
