"""The console's scheduled reconcile against the emulator: drift Stripe made without an
event is found and repaired by the job the console runs, and the header says so."""

from __future__ import annotations

from functools import partial
from typing import Any

import stripe

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from ledger.db import open_ledger
from ledger.models import Customer
from sync.reconcile import scheduled_reconcile
from sync.scheduler import Job
from sync.trust import load_last_reconcile
from tests.conftest import Waiter
from tests.helpers import VISA, customer_with_cards, gateway_for, label_text, sync


async def test_the_console_reconciles_on_schedule_and_shows_the_repair(
        emulator: Any, stripe_client: stripe.StripeClient, ledger_location: str,
        wait_for: Waiter) -> None:
    open_ledger(ledger_location)
    gateway = gateway_for(emulator.api_base)
    customer, _ = customer_with_cards(stripe_client, VISA)
    sync(gateway)
    emulator.control.drift(customer, email="moved@example.com")  # no event: only drift
    job = Job("reconcile", partial(scheduled_reconcile, gateway, days=3), every_seconds=3600)
    app = PayConsoleApp(ConsoleContext(ledger_location=ledger_location, mode=Mode.TEST,
                                       operator="ops", jobs=[job]))
    async with app.run_test(size=(150, 40)) as pilot:
        await wait_for(lambda: label_text(pilot, "#header-drift").startswith(
            "drift: 1 repaired"), pilot=pilot, what="the header's drift line")
        assert "1 different" in label_text(pilot, "#events-reconcile")
    summary = load_last_reconcile()
    assert summary is not None and (summary.different, summary.repaired) == (1, 1)
    assert Customer.get_by_id(customer).email == "moved@example.com"
