"""Helpers shared by several test modules (fixtures live in the conftest files)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Label

from console.app import PayConsoleApp
from console.context import Mode
from sync.actions import Actions
from sync.gateway import StripeGateway
from sync.scheduler import Job
from sync.service import SyncService

# -- console

OPERATOR = "ops@example.com"
NOW = 1_795_000_000  # 2026-11-18 11:06:40 UTC: the frozen "now" of the console tests
# The fixed ledger's payments (tests/console/conftest.py), newest first.
PAYMENTS_NEWEST_FIRST = ["pi_disputed", "pi_action", "pi_refunded", "pi_declined", "pi_kwd",
                         "pi_jpy", "pi_usd"]
# Nothing listens there: an action that gets as far as sending fails at once.
NOWHERE = "http://127.0.0.1:9"
API_KEY = "sk_test_payconsole"  # what the emulator takes


def label_text(pilot: Pilot[Any], selector: str) -> str:
    return str(pilot.app.query_one(selector, Label).content)


def idle_job() -> Job:
    """A sync job that only runs when asked to."""
    return Job("sync", lambda: None, every_seconds=3600, run_at_start=False)


def offline_actions(**options: Any) -> Actions:
    """Actions whose plans read the ledger; sending fails at once (nothing listens)."""
    gateway = StripeGateway("sk_test_payconsole", NOWHERE, max_network_retries=0,
                            timeout_seconds=2)
    return Actions(gateway, OPERATOR, clock=lambda: NOW, **options)


def with_actions(app: PayConsoleApp, actions: Actions, mode: Mode | None = None
                 ) -> PayConsoleApp:
    """The app, given operator actions before it runs."""
    app.context.actions = actions
    app.actions_refusal = actions.refusal()
    if mode is not None:
        app.context.mode = mode
    return app


def notes_of(app: App[Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the app notifies from now on."""
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(str(message)))
    return notes


def emulator_gateway(api_base: str) -> StripeGateway:
    return StripeGateway(API_KEY, api_base, max_network_retries=0, requests_per_second=100)


def sync(gateway: StripeGateway) -> None:
    SyncService(gateway).run_once()


def customer_with_cards(client: stripe.StripeClient, *numbers: str) -> tuple[str, list[str]]:
    customer = client.v1.customers.create({"email": "ada@example.com"})
    methods = []
    for number in numbers:
        method = client.v1.payment_methods.create({"type": "card", "card": {
            "number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}})
        client.v1.payment_methods.attach(method.id, {"customer": customer.id})
        methods.append(method.id)
    return customer.id, methods


def pay(client: stripe.StripeClient, amount: int, currency: str = "usd",
        number: str = "4242424242424242") -> Any:
    """A succeeded off-session card payment on the server (its PaymentIntent)."""
    customer, (method,) = customer_with_cards(client, number)
    return client.v1.payment_intents.create({
        "amount": amount, "currency": currency, "customer": customer, "payment_method": method,
        "confirm": True, "off_session": True})


def paid(client: stripe.StripeClient, gateway: StripeGateway, amount: int,
         currency: str = "usd", number: str = "4242424242424242") -> str:
    """A succeeded payment, synced into the ledger; its id."""
    intent = pay(client, amount, currency, number)
    sync(gateway)
    return str(intent.id)
