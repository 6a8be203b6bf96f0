"""What several test modules share that is not a fixture: builders of test data, clients
and gateways on the emulator, and ways to look at a ledger file. Fixtures live in the
conftest files; each section here belongs to the test folder it is named after."""

from __future__ import annotations

import os
import select
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stripe
from peewee import SqliteDatabase
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Label

from console.app import PayConsoleApp
from console.context import Mode
from ledger.models import database
from ledger.records import records_for
from ledger.writes import write_records
from sync.actions import Actions
from sync.apply import ApplyResult, apply_events
from sync.gateway import StripeGateway
from sync.scheduler import Job
from sync.service import SyncService
from sync.trust import StripeAccount
from sync.webhook import sign

ROOT = Path(__file__).resolve().parents[1]  # the repository


# -- integration ------------------------------------------------------------------------

API_KEY = "sk_test_payconsole"
VISA = "4242424242424242"


def client_for(api_base: str) -> stripe.StripeClient:
    """The real SDK on the emulator at `api_base`, failing at once rather than retrying."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": api_base},
                               max_network_retries=0)


def gateway_for(api_base: str, **options: Any) -> StripeGateway:
    """The sync's gateway on `api_base`: no retries and a limit the emulator can take,
    unless `options` say otherwise."""
    settings = {"max_network_retries": 0, "requests_per_second": 100, **options}
    return StripeGateway(API_KEY, api_base, **settings)


class CountingGateway(StripeGateway):
    """The real gateway, counting GETs by path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gets: Counter[str] = Counter()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.gets[path] += 1
        return super().get(path, params)


def sync(gateway: StripeGateway) -> None:
    SyncService(gateway).run_once()


def customer_with_cards(client: stripe.StripeClient, *numbers: str,
                        email: str = "ada@example.com") -> tuple[str, list[str]]:
    """A customer with a card of each of `numbers` attached, in that order."""
    customer = client.v1.customers.create({"email": email, "name": email.split("@")[0]})
    methods = []
    for number in numbers:
        method = client.v1.payment_methods.create({"type": "card", "card": {
            "number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}})
        client.v1.payment_methods.attach(method.id, {"customer": customer.id})
        methods.append(method.id)
    return customer.id, methods


def make_customer_with_card(client: stripe.StripeClient, email: str,
                            number: str = VISA) -> tuple[str, str]:
    customer, (method,) = customer_with_cards(client, number, email=email)
    return customer, method


def pay(client: stripe.StripeClient, customer: str, method: str, amount: int,
        currency: str = "usd") -> Any:
    """A confirmed payment of `customer` with `method`; None when the card is declined."""
    try:
        return client.v1.payment_intents.create({
            "amount": amount, "currency": currency, "customer": customer,
            "payment_method": method, "confirm": True, "off_session": True,
        })
    except stripe.CardError:
        return None


def payments_of_a_new_customer(client: stripe.StripeClient, email: str, count: int,
                               first_amount: int) -> Iterator[Any]:
    """`count` payments by one new customer's card, of `first_amount`, one more, ..."""
    customer, method = make_customer_with_card(client, email)
    for n in range(count):
        yield pay(client, customer, method, first_amount + n)


def new_payment(client: stripe.StripeClient, amount: int, currency: str = "usd",
                number: str = VISA) -> Any:
    """A confirmed off-session payment of a new customer with a card `number` (its
    PaymentIntent)."""
    customer, (method,) = customer_with_cards(client, number)
    return client.v1.payment_intents.create({
        "amount": amount, "currency": currency, "customer": customer, "payment_method": method,
        "confirm": True, "off_session": True})


def paid(client: stripe.StripeClient, gateway: StripeGateway, amount: int,
         currency: str = "usd", number: str = VISA) -> str:
    """A succeeded payment of a new customer, synced into the ledger; its id."""
    intent = new_payment(client, amount, currency, number)
    sync(gateway)
    return str(intent.id)


def authorized(client: stripe.StripeClient, amount: int, currency: str = "usd") -> Any:
    """A manual-capture payment of a new customer, authorized and awaiting capture (its
    PaymentIntent, status requires_capture)."""
    customer, (method,) = customer_with_cards(client, VISA)
    return client.v1.payment_intents.create({
        "amount": amount, "currency": currency, "customer": customer, "payment_method": method,
        "confirm": True, "off_session": True, "capture_method": "manual"})


def cli_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """The environment of a `payconsole` subprocess: the test key, config and data folders
    of its own under `tmp_path`, and nothing of the developer's environment."""
    return {"PATH": "/usr/bin:/bin", "STRIPE_API_KEY": API_KEY,
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
            **variables}


def read_until(process: subprocess.Popen[bytes], *texts: str, timeout: float = 60.0) -> None:
    """Read the process's stdout until every one of `texts` has been printed; fail after
    `timeout` seconds or if it exits first (a hung process must not hang the suite)."""
    assert process.stdout is not None
    fd, seen = process.stdout.fileno(), ""
    deadline = time.monotonic() + timeout
    while not all(text in seen for text in texts):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"{texts} not printed within {timeout}s; got {seen!r}"
        chunk = os.read(fd, 4096)
        assert chunk, f"exited before printing {texts}; got {seen!r}"
        seen += chunk.decode(errors="replace")


SECRET = "whsec_testsecret"


def intent_event(event_id: str, created: int, status: str, intent_id: str = "pi_w1",
                 event_type: str | None = None) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "created": created,
            "type": event_type or f"payment_intent.{status}", "api_version": "2017-08-15",
            "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": 1500,
                                "currency": "usd", "status": status, "created": 100}}}


def store_event(event: Mapping[str, Any]) -> ApplyResult:
    """The apply step without a gateway (no same-second re-fetch): for receiver tests."""
    with database.atomic():
        return apply_events(database, [event], via="webhook")


def stripe_headers(body: bytes, *, secret: str = SECRET, at: float | None = None,
                   extra: str = "") -> dict[str, str]:
    """What `stripe listen --forward-to` sends with an event."""
    signature = sign(body, secret, int(time.time() if at is None else at))
    return {"Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": signature + extra}


SYNCED_TABLES = ("customer", "payment_method", "payment", "refund", "dispute", "event")
# Columns that say when or how a row was written, not what Stripe said: they differ between
# two correct ledgers synced at different times.
VOLATILE = {"as_of", "charge_as_of", "intent_as_of", "received_at", "received_via"}

Dump = dict[str, list[tuple[Any, ...]]]


def dump_ledger(path: Path) -> Dump:
    """Every synced row, volatile columns left out, sorted; and whether the events cursor
    covers the newest event (its value is the time of the backfill, when that is newer)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        dump: Dump = {}
        for table in SYNCED_TABLES:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")
                       if row[1] not in VOLATILE]
            rows = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
            dump[table] = [tuple(row) for row in rows]
        dump["cursor"] = db.execute(
            "SELECT CAST(value AS INTEGER) >= (SELECT coalesce(max(created), 0) FROM event) "
            "FROM sync_state WHERE key = 'events_cursor'").fetchall()
    return dump


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


# -- unit -------------------------------------------------------------------------------


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0, month: int = 11) -> int:
    """A Unix time in 2026 (November unless `month` says otherwise), UTC."""
    return int(datetime(2026, month, day, hour, minute, second, tzinfo=UTC).timestamp())


def intent(pid: str, created: int, amount: int, currency: str, status: str, *,
           brand: str | None = None, captured: int | None = None, failure: str | None = None,
           decline: str | None = None, email: str | None = None, last4: str = "4242",
           customer: str | None = None) -> dict[str, Any]:
    """A PaymentIntent carrying its latest charge, as the emulator sends them."""
    obj: dict[str, Any] = {
        "object": "payment_intent", "id": pid, "created": created, "amount": amount,
        "currency": currency, "status": status, "customer": customer,
    }
    succeeded = status == "succeeded"
    if succeeded:
        obj["amount_received"] = amount if captured is None else captured
    if failure:
        obj["last_payment_error"] = {"code": failure, "decline_code": decline}
    if succeeded or failure:
        obj["latest_charge"] = {
            "object": "charge", "id": f"ch_{pid}", "amount": amount, "currency": currency,
            "created": created, "payment_intent": pid, "captured": succeeded,
            "amount_captured": (amount if captured is None else captured) if succeeded else 0,
            "failure_code": failure, "outcome": {"reason": decline}, "customer": customer,
            "payment_method_details": {"card": {"brand": brand, "last4": last4}},
            "billing_details": {"email": email},
        }
    return obj


def refund(rid: str, pid: str, created: int, amount: int, currency: str,
           status: str = "succeeded") -> dict[str, Any]:
    return {"object": "refund", "id": rid, "payment_intent": pid, "charge": f"ch_{pid}",
            "created": created, "amount": amount, "currency": currency, "status": status}


def dispute(did: str, pid: str, created: int, amount: int, currency: str, status: str,
            reason: str) -> dict[str, Any]:
    return {"object": "dispute", "id": did, "payment_intent": pid, "charge": f"ch_{pid}",
            "created": created, "amount": amount, "currency": currency, "status": status,
            "reason": reason, "evidence_details": {"due_by": created + 7 * 86_400}}


def fraud_warning(wid: str, pid: str, created: int, *, actionable: bool = True,
                  fraud_type: str = "made_with_stolen_card", charge: str | None = None
                  ) -> dict[str, Any]:
    """An early fraud warning on `pid`, whose charge is `charge` (default ch_<pid>)."""
    return {"object": "radar.early_fraud_warning", "id": wid, "payment_intent": pid,
            "charge": charge or f"ch_{pid}", "created": created, "actionable": actionable,
            "fraud_type": fraud_type, "livemode": False}


# The fixed ledger whose analytics figures the unit tests computed by hand.
FIXED_OBJECTS = [
    # USD in November: 4 succeeded (gross 10000 + 2550 + 1000 + 6000 captured of 8000),
    # 2 failed (one left canceled), 1 canceled and 1 waiting that are not attempts.
    intent("pi_u1", at(2), 10000, "usd", "succeeded", brand="visa", email="ada@example.com",
           customer="cus_ada"),
    intent("pi_u2", at(3), 2550, "usd", "succeeded", brand="mastercard",
           email="Grace.Hopper@Example.com", last4="4444"),
    intent("pi_u3", at(3, 13), 5000, "usd", "requires_payment_method", brand="visa",
           failure="card_declined", decline="insufficient_funds", email="ada@example.com",
           customer="cus_ada"),
    intent("pi_u4", at(4), 7000, "usd", "canceled"),
    intent("pi_u5", at(5), 3000, "usd", "requires_action"),
    intent("pi_u9", at(6), 1200, "usd", "canceled", brand="visa", failure="card_declined",
           decline="generic_decline"),
    intent("pi_u10", at(7), 8000, "usd", "succeeded", brand="amex", captured=6000),
    intent("pi_u6", at(30, 23, 59, 59), 1000, "usd", "succeeded", brand="visa"),
    # Just outside November on either side:
    intent("pi_u7", at(1, 0, 0, 0, month=12), 99999, "usd", "succeeded", brand="visa"),
    intent("pi_u8", at(31, 23, 59, 59, month=10), 4000, "usd", "succeeded", brand="visa"),
    refund("re_u1", "pi_u1", at(10), 2500, "usd"),
    refund("re_u2", "pi_u8", at(1, 0, 0, 0), 1000, "usd"),  # October's payment, November's refund
    refund("re_u3", "pi_u2", at(11), 500, "usd", status="failed"),
    refund("re_u4", "pi_u8", at(15, month=10), 300, "usd"),
    dispute("dp_u1", "pi_u2", at(12), 2550, "usd", "lost", "product_not_received"),
    dispute("dp_u2", "pi_u1", at(13), 10000, "usd", "won", "fraudulent"),
    # Two early fraud warnings on USD payments in November (neither payment fully refunded),
    # one in October.
    fraud_warning("issfr_u1", "pi_u1", at(9)),
    fraud_warning("issfr_u2", "pi_u6", at(30, 23, 59, 59)),
    fraud_warning("issfr_u3", "pi_u8", at(31, 23, 0, 0, month=10), actionable=False),
    # JPY (no minor unit):
    intent("pi_j1", at(2), 1500, "jpy", "succeeded", brand="jcb"),
    intent("pi_j2", at(2, 15), 3000, "jpy", "succeeded", brand="visa"),
    intent("pi_j3", at(9), 2000, "jpy", "requires_payment_method", brand="visa",
           failure="expired_card", decline="expired_card"),
    refund("re_j1", "pi_j2", at(20), 500, "jpy"),
    dispute("dp_j1", "pi_j1", at(21), 1500, "jpy", "needs_response", "fraudulent"),
    # KWD (three decimals): all of it lost to a dispute.
    intent("pi_k1", at(15), 12345, "kwd", "succeeded", brand="visa"),
    dispute("dp_k1", "pi_k1", at(16), 12345, "kwd", "lost", "fraudulent"),
    # EUR: one failed attempt, nothing else.
    intent("pi_e1", at(8), 900, "eur", "requires_payment_method", brand="visa",
           failure="card_declined", decline="insufficient_funds"),
]


def fill(db: SqliteDatabase, objects: list[dict[str, Any]]) -> None:
    """Write `objects` (Stripe objects) into the ledger, each as of its own `created`."""
    with db.atomic():
        for obj in objects:
            write_records(db, records_for(obj, as_of=obj["created"]))


# -- console --------------------------------------------------------------------------

OPERATOR = "ops@example.com"
NOW = 1_795_000_000  # 2026-11-18 11:06:40 UTC: the frozen "now" of the console tests
# The fixed ledger's payments (tests/console/conftest.py), newest first.
PAYMENTS_NEWEST_FIRST = ["pi_disputed", "pi_action", "pi_refunded", "pi_declined", "pi_kwd",
                         "pi_jpy", "pi_usd"]
# Nothing listens there: an action that gets as far as sending fails at once.
NOWHERE = "http://127.0.0.1:9"


def label_text(pilot: Pilot[Any], selector: str) -> str:
    return str(pilot.app.query_one(selector, Label).content)


def idle_job() -> Job:
    """A sync job that only runs when asked to."""
    return Job("sync", lambda: None, every_seconds=3600, run_at_start=False)


class _NowhereGateway(StripeGateway):
    """A gateway whose account is known (the sync checked it before Stripe went away)."""

    def account(self) -> StripeAccount:
        return StripeAccount("acct_payconsole_demo", livemode=False)


def offline_actions(**options: Any) -> Actions:
    """Actions whose plans read the ledger; sending fails at once (nothing listens)."""
    gateway = _NowhereGateway(API_KEY, NOWHERE, max_network_retries=0, timeout_seconds=2)
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
