"""A small fixed ledger (with customers and their cards when asked for), a frozen clock and
UTC, and factories for the app over them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from peewee import Database
from textual.widgets import Input, TextArea

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from ledger.records import records_for
from ledger.writes import write_records
from sync.actions import Actions
from sync.apply import apply_events
from sync.health import SyncHealth, save_health
from sync.scheduler import Job
from sync.webhook import WebhookReceiver
from tests.helpers import NOW, OPERATOR

SIZE = (150, 40)  # terminal (columns, rows) of every test


def intent(pi_id: str, created: int, amount: int, currency: str, status: str,
           **extra: Any) -> dict[str, Any]:
    return {"object": "payment_intent", "id": pi_id, "created": created, "amount": amount,
            "currency": currency, "status": status, "metadata": {}, "livemode": False,
            "latest_charge": f"ch_{pi_id[3:]}", **extra}


def charge(pi_id: str, created: int, amount: int, currency: str, *, brand: str = "visa",
           last4: str = "4242", email: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"object": "charge", "id": f"ch_{pi_id[3:]}", "payment_intent": pi_id,
            "created": created, "amount": amount, "currency": currency,
            "status": "succeeded", "captured": True, "amount_refunded": 0,
            "receipt_email": email,
            "payment_method_details": {"card": {"brand": brand, "last4": last4}}, **extra}


def payment_objects(pi_id: str, created: int, amount: int, currency: str, pi_status: str,
                    *, intent_extra: dict[str, Any] | None = None,
                    **charge_extra: Any) -> list[dict[str, Any]]:
    return [intent(pi_id, created, amount, currency, pi_status, **(intent_extra or {})),
            charge(pi_id, created, amount, currency, **charge_extra)]


def fixed_objects() -> list[dict[str, Any]]:
    """Six of the seven payments, an hour apart, oldest first (the refunded one is events)."""
    t = NOW - 7 * 3600
    declined = {"last_payment_error": {"code": "card_declined",
                                       "decline_code": "insufficient_funds",
                                       "message": "Your card has insufficient funds."}}
    return [
        *payment_objects("pi_usd", t, 1250, "usd", "succeeded", email="ada@example.com",
                         intent_extra={"metadata": {"order": "A-1001"}}),
        *payment_objects("pi_jpy", t + 3600, 1500, "jpy", "succeeded", brand="mastercard",
                         last4="4444", email="bo@example.jp"),
        *payment_objects("pi_kwd", t + 7200, 1250, "kwd", "succeeded", brand="amex",
                         last4="0005", email="cy@example.kw"),
        *payment_objects("pi_declined", t + 10800, 5000, "usd", "requires_payment_method",
                         intent_extra=declined, last4="0341", email="di@example.com",
                         status="failed", captured=False, failure_code="card_declined",
                         failure_message="Your card has insufficient funds."),
        *payment_objects("pi_action", t + 18000, 2000, "gbp", "requires_action",
                         email="fi@example.co.uk", captured=False),
        *payment_objects("pi_disputed", t + 21600, 8000, "usd", "succeeded",
                         email="gu@example.com"),
        {"object": "dispute", "id": "dp_1", "charge": "ch_disputed",
         "payment_intent": "pi_disputed", "created": t + 24000, "amount": 8000,
         "currency": "usd", "status": "needs_response", "reason": "fraudulent",
         "evidence_details": {"due_by": NOW + 6 * 86400, "has_evidence": False,
                              "submission_count": 0}},
    ]


def refunded_events() -> list[dict[str, Any]]:
    """The refunded payment arrives as events, so it has a timeline."""
    t = NOW - 7 * 3600 + 14400
    created = intent("pi_refunded", t, 3000, "eur", "requires_payment_method",
                     latest_charge=None)
    succeeded = intent("pi_refunded", t, 3000, "eur", "succeeded", amount_received=3000)
    paid = charge("pi_refunded", t + 5, 3000, "eur", email="ed@example.de")
    refund = {"object": "refund", "id": "re_1", "charge": "ch_refunded",
              "payment_intent": "pi_refunded", "created": t + 600, "amount": 1000,
              "currency": "eur", "status": "succeeded", "reason": "requested_by_customer"}
    refunded = {**paid, "amount_refunded": 1000, "refunds": {"data": [refund]}}
    return [
        {"id": "evt_1", "type": "payment_intent.created", "created": t,
         "data": {"object": created}},
        {"id": "evt_2", "type": "charge.succeeded", "created": t + 5, "data": {"object": paid}},
        {"id": "evt_3", "type": "payment_intent.succeeded", "created": t + 5,
         "data": {"object": succeeded}},
        {"id": "evt_4", "type": "charge.refunded", "created": t + 600,
         "data": {"object": refunded}},
    ]


def write_objects(db: Database, objects: list[dict[str, Any]], as_of: int) -> None:
    with db.atomic():
        for obj in objects:
            write_records(db, records_for(obj, as_of))


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local times render in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor (the command palette's input) makes screenshots flaky."""
    for widget in (Input, TextArea):
        monkeypatch.setattr(widget.cursor_blink, "_default", False)


@pytest.fixture
def filled_ledger(ledger: Database) -> Database:
    write_objects(ledger, fixed_objects(), as_of=NOW - 3600)
    with ledger.atomic():
        apply_events(ledger, refunded_events(), via="webhook")
    save_health(SyncHealth(last_attempt=NOW - 12, last_success=NOW - 12,
                           newest_event=NOW - 3 * 3600, events_total=4))
    return ledger


AppFactory = Callable[..., PayConsoleApp]


@pytest.fixture
def make_app(filled_ledger: Database, ledger_location: str) -> AppFactory:
    def factory(*, mode: Mode = Mode.TEST, jobs: list[Job] | None = None,
                keymap: dict[str, str] | None = None,
                on_exit: Callable[[], None] | None = None,
                clock: Callable[[], float] = lambda: NOW,
                services: list[WebhookReceiver] | None = None) -> PayConsoleApp:
        context = ConsoleContext(
            ledger_location=ledger_location, mode=mode, operator=OPERATOR,
            jobs=jobs or [], keymap=keymap or {}, on_exit=on_exit, services=services or [],
        )
        return PayConsoleApp(context, clock=clock)

    return factory


def customer_objects() -> list[dict[str, Any]]:
    """Two customers: Ada with two cards (the second her default), Bo with one."""
    def card(pm_id: str, customer: str, created: int, brand: str, last4: str,
             name: str | None = None, postal_code: str | None = None) -> dict[str, Any]:
        return {"object": "payment_method", "id": pm_id, "type": "card", "created": created,
                "customer": customer,
                "card": {"brand": brand, "last4": last4, "exp_month": 4, "exp_year": 2030},
                "billing_details": {"name": name, "email": None,
                                    "address": {"postal_code": postal_code}}}

    t = NOW - 30 * 86400
    return [
        {"object": "customer", "id": "cus_ada", "created": t, "email": "ada@example.com",
         "name": "Ada Lovelace", "invoice_settings": {"default_payment_method": "pm_ada_mc"}},
        {"object": "customer", "id": "cus_bo", "created": t + 60, "email": "bo@example.jp",
         "name": "Bo Tanaka", "invoice_settings": {"default_payment_method": None}},
        card("pm_ada_visa", "cus_ada", t, "visa", "4242", "Ada Lovelace", "EC1A 1BB"),
        card("pm_ada_mc", "cus_ada", t + 10, "mastercard", "4444", "A. Lovelace", "W1A 0AX"),
        card("pm_bo_amex", "cus_bo", t + 70, "amex", "0005"),
    ]


@pytest.fixture
def ledger_with_customers(filled_ledger: Database) -> Database:
    write_objects(filled_ledger, customer_objects(), as_of=NOW - 3600)
    return filled_ledger


ActionsAppFactory = Callable[..., PayConsoleApp]


@pytest.fixture
def actions_app(ledger_with_customers: Database, ledger_location: str) -> ActionsAppFactory:
    """The app over the ledger with customers, given `actions` (None: none)."""
    def factory(actions: Actions | None, mode: Mode = Mode.TEST) -> PayConsoleApp:
        context = ConsoleContext(ledger_location=ledger_location, mode=mode,
                                 operator=OPERATOR, actions=actions)
        return PayConsoleApp(context, clock=lambda: NOW)

    return factory
