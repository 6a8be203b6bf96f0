"""Syncing a team ledger (PostgreSQL) against the emulator: one leader writes Stripe's
data, followers never do (nor call Stripe), a follower takes over when the leader stops,
and a server that goes away mid-sync leaves nothing half-written."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import stripe

from ledger.db import open_ledger
from ledger.leader import Leadership
from ledger.models import Event, Payment
from sync.emulator import EmulatorProcess
from sync.service import SyncError, SyncService
from tests.helpers import API_KEY, CountingGateway, gateway_for, new_payment


def _service(emulator: EmulatorProcess, url: str, name: str) -> SyncService:
    return SyncService(CountingGateway(*_gateway_args(emulator), max_network_retries=0,
                                       requests_per_second=100), leadership=Leadership(url, name))


def _gateway_args(emulator: EmulatorProcess) -> tuple[str, str]:
    return API_KEY, emulator.api_base


def test_one_leader_syncs_and_the_followers_never_write_nor_call_stripe(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, pg_url: str) -> None:
    for amount in (1000, 2000):
        new_payment(stripe_client, amount)
    open_ledger(pg_url)
    leader, follower = _service(emulator, pg_url, "a:1"), _service(emulator, pg_url, "b:2")
    assert leader.run_due() is not None and leader.role == "leader"
    assert Payment.select().count() == 2
    events_before = Event.select().count()

    new_payment(stripe_client, 3000)
    assert follower.run_due() is None and follower.role == "following a:1"
    assert follower.gateway.requests_made == 0  # type: ignore[attr-defined]
    assert (Payment.select().count(), Event.select().count()) == (2, events_before)
    with pytest.raises(SyncError, match="only the sync leader applies webhook"):
        follower.apply_pushed({"id": "evt_x", "object": "event", "type": "customer.created",
                               "created": 1, "data": {"object": {"id": "cus_x"}}})

    leader.leadership.release()  # type: ignore[union-attr]  # the leader stops
    assert follower.run_due() is not None and follower.role == "leader"
    assert Payment.select().count() == 3
    assert not leader.leads() and leader.role == "following b:2"
    follower.leadership.release()  # type: ignore[union-attr]


class _ServerGoesAway(CountingGateway):
    """The real gateway; the database server drops every connection once, after the
    `after`-th GET (as a restart or a network cut would)."""

    def __init__(self, url: str, after: int, *args: Any) -> None:
        super().__init__(*args, max_network_retries=0, requests_per_second=100)
        self.url, self.after = url, after

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = super().get(path, params)
        if sum(self.gets.values()) == self.after:
            with psycopg.connect(self.url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return answer


@pytest.mark.parametrize("after", [1, 3, 6])
def test_a_server_that_goes_away_mid_sync_loses_nothing(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, pg_url: str,
        after: int) -> None:
    ids = {new_payment(stripe_client, 1000 + n).id for n in range(4)}
    open_ledger(pg_url)
    dropping = SyncService(_ServerGoesAway(pg_url, after, *_gateway_args(emulator)))
    try:
        dropping.run_once()  # a dropped connection outside a transaction is reconnected
    except SyncError as failed:
        assert "database server" in str(failed) or "connection" in str(failed)
    SyncService(gateway_for(emulator.api_base)).run_once()  # the next run catches up
    assert {payment.id for payment in Payment.select()} == ids
    assert len({event.id for event in Event.select()}) == Event.select().count()

