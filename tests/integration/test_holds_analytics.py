"""Holds in the analytics from what the emulator sends over HTTP (real SDK, both backends):
held holds, a hold captured in time, one released before its deadline, one still held past
it, and one abandoned after it."""

from __future__ import annotations

from typing import Any

import stripe

from ledger.analytics import Period
from ledger.analytics_holds import Holds, holds
from ledger.models import Payment
from ledger.queries import capture_by
from sync.actions import Actions
from sync.emulator import ControlClient
from sync.gateway import StripeGateway
from tests.helpers import authorized, sync

DAY = 86_400


def test_holds_held_then_lapsed(emulator: Any, stripe_client: stripe.StripeClient,
                                gateway: StripeGateway, actions: Actions) -> None:
    captured, released, kept, abandoned = (
        str(authorized(stripe_client, amount).id) for amount in (1000, 2000, 3000, 4000))
    sync(gateway)
    actions.execute(actions.plan_capture(captured))
    actions.execute(actions.plan_cancel(released, reason="abandoned"))  # well before its time
    rows = [Payment.get_by_id(pid) for pid in (captured, released, kept, abandoned)]
    deadlines = [capture_by(row.created, row.capture_before) for row in rows]
    period = Period.between(min(deadlines) - DAY, max(deadlines) + DAY)
    assert holds(period, rows[0].created) == {"usd": Holds(
        "usd", authorized_not_captured=2, authorized_not_captured_amount=7000)}
    assert holds(period, min(deadlines) - 3600)["usd"].authorized_lapsing_24h == 2

    ControlClient(emulator.api_base).set_clock(max(deadlines) + 60)
    stripe_client.v1.payment_intents.cancel(abandoned, {"cancellation_reason": "abandoned"})
    sync(gateway)
    assert Payment.get_by_id(abandoned).status == "canceled"
    assert holds(period, max(deadlines) + 120) == {"usd": Holds(
        "usd", holds_lapsed=2, holds_lapsed_amount=3000 + 4000)}
