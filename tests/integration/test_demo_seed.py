"""The demo seeder and live generator against a real emulator."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from typing import Any

import pytest
import stripe

from sync.demo.generator import DemoGenerator
from sync.demo.seed import SeedSummary, seed
from sync.demo.session import emulator_gateway
from sync.emulator import EmulatorProcess
from sync.gateway import StripeGateway

DAY = 86_400


def _all(listing: Any) -> list[Any]:
    return list(listing.auto_paging_iter())


@pytest.fixture
def gateway(stripe_client: stripe.StripeClient, emulator: EmulatorProcess) -> StripeGateway:
    """The demo's gateway to the emulator the `stripe_client` fixture has just emptied."""
    return emulator_gateway(emulator.api_base)


def _small_seed(gateway: StripeGateway, emulator: EmulatorProcess,
                **kwargs: Any) -> SeedSummary:
    return seed(gateway, emulator.control, days=3, seed=11, customers=8, payments=40, **kwargs)


def test_small_seed_counts_match_the_emulator(stripe_client: stripe.StripeClient,
                                              gateway: StripeGateway,
                                              emulator: EmulatorProcess) -> None:
    calls: list[tuple[int, int]] = []
    summary = _small_seed(gateway, emulator, progress=lambda d, t: calls.append((d, t)))
    v1 = stripe_client.v1
    assert summary.customers == 8 == len(_all(v1.customers.list(params={"limit": 100})))
    assert summary.payments == 40 == len(v1.payment_intents.list(params={"limit": 100}).data)
    assert summary.succeeded + summary.declined + summary.requires_action == 40
    assert summary.payment_methods >= 8
    assert summary.refunds == len(_all(v1.refunds.list(params={"limit": 100}))) >= 1
    assert summary.disputes == len(_all(v1.disputes.list(params={"limit": 100}))) == 2
    events = _all(v1.events.list(params={"limit": 100}))
    assert summary.events == len(events)
    assert calls[-1][0] == calls[-1][1] and [d for d, _ in calls] == sorted(d for d, _ in calls)

    now = time.time()
    created = [event.created for event in events]
    assert all(now - 3 * DAY - 3600 <= c <= now for c in created)
    assert min(created) < now - 2 * DAY  # history, not all "just now"
    types = Counter(event.type for event in events)
    assert types["payment_intent.succeeded"] == summary.succeeded
    assert types["charge.dispute.created"] == 2 and types["refund.created"] == summary.refunds


def test_seed_is_deterministic(stripe_client: stripe.StripeClient, gateway: StripeGateway,
                               emulator: EmulatorProcess) -> None:
    now = int(time.time())
    first = _small_seed(gateway, emulator, now=now)
    def payments() -> list[tuple[int, int, str, str]]:
        listed = stripe_client.v1.payment_intents.list(params={"limit": 100}).data
        return sorted((p.created, p.amount, p.currency, p.status) for p in listed)

    before = payments()
    emulator.reset()
    second = _small_seed(gateway, emulator, now=now)
    assert dataclasses.replace(first, seconds=0) == dataclasses.replace(second, seconds=0)
    assert payments() == before


def test_default_seed_is_a_realistic_month_in_seconds(stripe_client: stripe.StripeClient,
                                                      gateway: StripeGateway,
                                                      emulator: EmulatorProcess) -> None:
    summary = seed(gateway, emulator.control)
    assert (summary.customers, summary.payments) == (60, 600)
    assert 0.04 < summary.declined / summary.payments < 0.12
    assert summary.requires_action >= 1 and 15 <= summary.refunds <= 45
    assert 5 <= summary.disputes <= 15
    assert summary.seconds < 30
    intents = _all(stripe_client.v1.payment_intents.list(params={"limit": 100}))
    currencies = Counter(intent.currency for intent in intents)
    assert {"usd", "eur", "gbp", "jpy", "kwd"} <= set(currencies)
    assert currencies["usd"] > len(intents) / 2
    spread = [intent.created for intent in intents]
    assert max(spread) - min(spread) > 25 * DAY
    statuses = Counter(d.status for d in _all(stripe_client.v1.disputes.list(
        params={"limit": 100})))
    assert {"needs_response", "warning_needs_response", "under_review", "won", "lost"} <= set(
        statuses)


def test_generator_makes_live_payments(stripe_client: stripe.StripeClient,
                                       gateway: StripeGateway,
                                       emulator: EmulatorProcess) -> None:
    _small_seed(gateway, emulator)
    generator = DemoGenerator(seed=3, decline_rate=0.3)
    results = [generator.tick(gateway) for _ in range(12)]
    assert {r.status for r in results} == {"succeeded", "requires_payment_method"}
    for result in results[:3]:
        intent = stripe_client.v1.payment_intents.retrieve(result.payment_intent)
        assert abs(intent.created - time.time()) < 60  # live, not on the seeding clock
        assert (intent.amount, intent.currency, intent.customer) == (
            result.amount, result.currency, result.customer)
        assert str(result).startswith(f"{intent.id} {intent.status}: ")


def test_generator_works_on_an_empty_emulator(stripe_client: stripe.StripeClient,
                                              gateway: StripeGateway) -> None:
    result = DemoGenerator(seed=1, decline_rate=0, dispute_rate=0).tick(gateway)
    assert result.status == "succeeded"
    assert len(stripe_client.v1.customers.list().data) == 1
