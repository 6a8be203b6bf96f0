"""What several test modules share that is not a fixture: builders of test data, clients
and gateways on the emulator, and ways to look at a ledger file. Fixtures live in the
conftest files; each section here belongs to the test folder it is named after."""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import sqlite3
import struct
import subprocess
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import peewee
import pytest
import stripe
from peewee import Database, SqliteDatabase
from pypdf import PdfWriter
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Label

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from console.widgets.lazy_table import LazyTable
from ledger.db import open_ledger
from ledger.dialect import dialect_of, to_pyformat
from ledger.dispute_files import FileRecord, remember
from ledger.locations import is_postgres_url
from ledger.models import Dispute, database
from ledger.payouts import store_payout_transactions
from ledger.records import records_for
from ledger.sql import execute
from ledger.team import Limit, Operator, TeamSettings, save_operator
from ledger.team_setup import SERVICE_ROLE, grant_operator, init_team, role_exists
from ledger.writes import write_records
from sync.actions import Actions
from sync.apply import ApplyResult, apply_events
from sync.gateway import StripeGateway
from sync.scheduler import Job
from sync.service import SyncService
from sync.team import TeamLedger
from sync.team_actions import RequestedActions
from sync.team_service import RequestRunner
from sync.trust import StripeAccount
from sync.webhook import sign

ROOT = Path(__file__).resolve().parents[1]  # the repository


# -- integration ------------------------------------------------------------------------

API_KEY = "sk_test_payconsole"
VISA = "4242424242424242"


def client_for(api_base: str) -> stripe.StripeClient:
    """The real SDK on the emulator at `api_base`, failing at once rather than retrying."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": api_base, "files": api_base},
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


def pdf_bytes(pages: int = 1, *, at_least: int = 0) -> bytes:
    """A valid PDF of `pages` blank pages, padded (in its metadata) to `at_least` bytes."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    if at_least:
        writer.add_metadata({"/Padding": "x" * at_least})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    """A valid 1x1 PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def write_file(folder: Path, name: str, content: bytes) -> str:
    """`content` as the file `name` in `folder`; its path as an operator types it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return str(path)


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


# For a test about SQLite itself (its docstring says why): its ledger is a file, and it gets
# no PostgreSQL variant (one that could not run would be a failure, not a skip).
SQLITE_ONLY = pytest.mark.parametrize("ledger_location", ["sqlite"], indirect=True)

SYNCED_TABLES = ("customer", "payment_method", "payment", "refund", "dispute", "event")
# Columns that say when or how a row was written, not what Stripe said: they differ between
# two correct ledgers synced at different times.
VOLATILE = {"as_of", "charge_as_of", "intent_as_of", "received_at", "received_via"}

Dump = dict[str, list[tuple[Any, ...]]]
Location = str | Path  # where a ledger is: a file, or a postgresql:// URL
# The `ledger_copy` fixture (tests/integration/conftest.py): (source, name) -> the copy.
LedgerCopy = Callable[[Location, str], Location]


def dump_ledger(location: Location) -> Dump:
    """Every synced row of the ledger at `location`, volatile columns left out, sorted; and
    whether the events cursor covers the newest event (its value is the time of the
    backfill, when that is newer). The same shape on both backends."""
    with closing(HandEdits(location)) as db:
        dump: Dump = {}
        for table in SYNCED_TABLES:
            columns = [name for name in db.columns(table) if name not in VOLATILE]
            dump[table] = db.rows(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
        dump["cursor"] = db.rows(
            "SELECT CASE WHEN CAST(value AS BIGINT) >= "
            "(SELECT coalesce(max(created), 0) FROM event) THEN 1 ELSE 0 END "
            "FROM sync_state WHERE key = 'events_cursor'")
    return dump


def whole_ledger(location: Location) -> Dump:
    """Every row of every table of the ledger at `location` (cursor, health, audit
    included), each table's rows in one order whatever the backend returned them in."""
    with closing(HandEdits(location)) as db:
        return {table: sorted(db.rows(f"SELECT * FROM {table}"), key=repr)
                for table in db.tables()}


def integrity(location: Location) -> str:
    """"ok" when the ledger at `location` is sound: SQLite's integrity check; on PostgreSQL
    (which has no such check without extensions), every table reads and no index was left
    invalid."""
    with closing(HandEdits(location)) as db:
        if not db.postgres:
            return str(db.rows("PRAGMA integrity_check")[0][0])
        for table in db.tables():
            db.rows(f"SELECT count(*) FROM {table}")
        invalid = db.rows("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid")
        return "ok" if not invalid else f"invalid indexes: {invalid}"


# -- team ledgers (PostgreSQL) ------------------------------------------------------------

@dataclass(frozen=True)
class TeamLedgerUrls:
    """One team ledger as each of its database roles sees it."""

    admin: str
    service: str
    alice: str
    bob: str
    carol: str
    api_base: str

    def open_as(self, who: str) -> str:
        """Make `who` (admin, service, alice, bob, carol) this process's ledger connection."""
        url: str = getattr(self, who)
        open_ledger(url)
        return url

    def runner(self, identity: str = "service-test:1", **settings: Any) -> RequestRunner:
        """The service's request runner, as the service role, on the emulator."""
        self.open_as("service")
        gateway = gateway_for(self.api_base)
        return RequestRunner(
            lambda requester, request_id: Actions(gateway, requester, request_id=request_id),
            TeamSettings(**settings), identity)

    def desk(self, who: str, **options: Any) -> RequestedActions:
        """`who`'s actions through requests (a short wait: the tests run the service)."""
        self.open_as(who)
        return RequestedActions(who, wait_seconds=options.pop("wait_seconds", 0.0), **options)


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


def team_ledger(admin_url: str, api_base: str) -> TeamLedgerUrls:
    db = open_ledger(admin_url)
    init_team(db)
    for name in ("alice", "bob", "carol"):
        with contextlib.suppress(peewee.DatabaseError):  # roles are the server's, shared
            if not role_exists(db, name):
                execute(db, f"CREATE ROLE {name} LOGIN")
        grant_operator(db, name)
    save_operator(Operator("alice", ("support",), {"usd": Limit(refund=5000, daily=12000)}),
                  by="admin")
    save_operator(Operator("bob", ("disputes", "support")), by="admin")
    return TeamLedgerUrls(admin_url, as_role(admin_url, SERVICE_ROLE),
                          as_role(admin_url, "alice"), as_role(admin_url, "bob"),
                          as_role(admin_url, "carol"), api_base)


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


def hold(pid: str, created: int, amount: int, currency: str = "usd", *,
         status: str = "requires_capture", capture_before: int | None = None,
         capturable: int | None = None, reason: str | None = None,
         capture_method: str = "manual") -> dict[str, Any]:
    """An authorization (a PaymentIntent carrying its uncaptured charge, whose card says
    `capture_before` when given) in `status`: still held (`capturable`, default all of it),
    succeeded (captured), or canceled for `reason`."""
    held, captured = status == "requires_capture", status == "succeeded"
    card: dict[str, Any] = {"brand": "visa", "last4": "4242"}
    if capture_before is not None:
        card["capture_before"] = capture_before
    return {
        "object": "payment_intent", "id": pid, "created": created, "amount": amount,
        "currency": currency, "status": status, "capture_method": capture_method,
        "amount_capturable": (amount if capturable is None else capturable) if held else 0,
        "amount_received": amount if captured else 0, "cancellation_reason": reason,
        "latest_charge": {
            "object": "charge", "id": f"ch_{pid}", "amount": amount, "currency": currency,
            "created": created, "payment_intent": pid, "status": "succeeded",
            "captured": captured, "amount_captured": amount if captured else 0,
            "payment_method_details": {"card": card},
        },
    }


def canceled_event(event_id: str, created: int, intent: dict[str, Any]) -> dict[str, Any]:
    """The `payment_intent.canceled` event of a canceled `intent`, sent at `created`."""
    return {"id": event_id, "object": "event", "created": created,
            "type": "payment_intent.canceled", "api_version": "2025-03-31.basil",
            "data": {"object": intent}}


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


class HandEdits:
    """A connection of its own to a ledger, as someone editing it by hand would use (the
    sqlite3 module on a file, psycopg on a PostgreSQL ledger); `?` placeholders on both.
    `ledger` is an open ledger or where one is (a file, or a postgresql:// URL); a file
    that does not exist is an error, never created."""

    def __init__(self, ledger: Database | Location) -> None:
        where = location_of(ledger)
        self.postgres = is_postgres_url(where)
        if self.postgres:
            import psycopg

            self._conn: Any = psycopg.connect(str(where), autocommit=True)
        else:
            self._conn = sqlite3.connect(f"{Path(where).resolve().as_uri()}?mode=rw",
                                         uri=True, isolation_level=None)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(to_pyformat(sql) if self.postgres else sql, params)

    def row(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        cursor = self.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.execute(sql, params).fetchall()]

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.execute(sql, params).fetchone()[0]

    def tables(self) -> list[str]:
        """The ledger's tables, by name (not the backend's own)."""
        if self.postgres:
            sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                   "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
        else:
            sql = ("SELECT name FROM sqlite_master WHERE type = 'table' "
                   "AND name NOT LIKE 'sqlite%' ORDER BY name")
        return [str(name) for (name,) in self.rows(sql)]

    def columns(self, table: str) -> list[str]:
        """`table`'s columns in their order, as SQLite lists them: PostgreSQL's `rowid`
        column stands in for SQLite's hidden one, so it is left out."""
        if not self.postgres:
            return [str(row[1]) for row in self.rows(f"PRAGMA table_info({table})")]
        names = self.rows("SELECT column_name FROM information_schema.columns WHERE "
                          "table_schema = current_schema() AND table_name = ? "
                          "ORDER BY ordinal_position", (table,))
        return [str(name) for (name,) in names if name != "rowid"]

    def drop_trigger(self, name: str) -> None:
        self.execute(f"DROP TRIGGER {name} ON audit_entry" if self.postgres
                     else f"DROP TRIGGER {name}")

    def close(self) -> None:
        self._conn.close()


def location_of(ledger: Database | Location) -> Location:
    """Where an open ledger is (its file, or its URL); a location as it is."""
    if not isinstance(ledger, Database):
        return ledger
    return str(ledger.url) if dialect_of(ledger).is_postgres else str(ledger.database)


def copy_ledger(source: Location, target: Location) -> Location:
    """A consistent copy of the ledger at `source` made at `target` (a file for an SQLite
    ledger, through SQLite's backup API, WAL included; for a PostgreSQL ledger, a database
    URL, made with the source as its template: `source` must have no other connections,
    so the open ledger's own is closed first, and peewee reconnects on its next query)."""
    if not is_postgres_url(source):
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        return target
    import psycopg

    database.close()
    maintenance = str(source).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{_database_name(target)}" '
                      f'TEMPLATE "{_database_name(source)}"')
    return target


def beside(location: Location, name: str) -> Location:
    """Where a second ledger called `name` goes next to the one at `location`: a file in
    the same folder, or a database on the same server."""
    if is_postgres_url(location):
        return f"{location}_{name}"
    return Path(location).with_name(f"{name}.db")


def drop_copies(*copies: Location) -> None:
    """Drop the PostgreSQL databases `copy_ledger` made (SQLite copies go with tmp_path)."""
    import psycopg

    for copy in copies:
        if is_postgres_url(copy):
            maintenance = str(copy).rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(maintenance, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{_database_name(copy)}" WITH (FORCE)')


def _database_name(url: Location) -> str:
    return str(url).rsplit("/", 1)[1].split("?", 1)[0]


def query_plan(sql: str, params: Sequence[Any] = ()) -> str:
    """How the open ledger would run `sql`, as one line of text. SQLite: its EXPLAIN QUERY
    PLAN. PostgreSQL: EXPLAIN with sequential scans priced out, so the plan shows whether
    an index can serve the query at all (on a test's few rows a scan would always win)."""
    if not dialect_of(database).is_postgres:
        rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
        return " ".join(row[3] for row in rows)
    with database.atomic():
        database.execute_sql("SET LOCAL enable_seqscan = off")
        rows = database.execute_sql(to_pyformat("EXPLAIN " + sql), params)
        return " ".join(row[0].strip() for row in rows)


# -- console --------------------------------------------------------------------------

OPERATOR = "ops@example.com"
NOW = 1_795_000_000  # 2026-11-18 11:06:40 UTC: the frozen "now" of the console tests
# The fixed ledger's payments (tests/console/conftest.py), newest first.
PAYMENTS_NEWEST_FIRST = ["pi_disputed", "pi_action", "pi_refunded", "pi_declined", "pi_kwd",
                         "pi_jpy", "pi_usd"]
# Nothing listens there: an action that gets as far as sending fails at once.
NOWHERE = "http://127.0.0.1:9"


def payout_object(po_id: str, created: int, amount: int, currency: str, status: str,
                  **extra: Any) -> dict[str, Any]:
    return {"object": "payout", "id": po_id, "created": created, "amount": amount,
            "currency": currency, "status": status, "arrival_date": created + 2 * 86400,
            "method": "standard", "automatic": True, "balance_transaction": f"txn_{po_id}",
            **extra}


def txn(txn_id: str, created: int, amount: int, currency: str, type: str, source: str,
        fee: int = 0) -> dict[str, Any]:
    return {"object": "balance_transaction", "id": txn_id, "created": created,
            "amount": amount, "fee": fee, "net": amount - fee, "currency": currency,
            "type": type, "source": source, "status": "available", "available_on": created}


def store_payouts(db: SqliteDatabase) -> None:
    """Three payouts over the fixed ledger's payments: a USD one that adds up to its
    transactions, an EUR one 10.00 short of them, and a failed JPY one."""
    t = NOW - 3600
    payouts = [
        (payout_object("po_usd", t - 7200, 9250, "usd", "paid"),
         [txn("txn_usd", t - 9000, 1250, "usd", "charge", "ch_usd"),
          txn("txn_disputed", t - 8000, 8000, "usd", "charge", "ch_disputed"),
          txn("txn_po_usd", t - 7200, -9250, "usd", "payout", "po_usd")]),
        (payout_object("po_eur", t - 3600, 3000, "eur", "paid"),
         [txn("txn_refunded", t - 5000, 3000, "eur", "charge", "ch_refunded"),
          txn("txn_re_1", t - 4000, -1000, "eur", "refund", "re_1"),
          txn("txn_po_eur", t - 3600, -3000, "eur", "payout", "po_eur")]),
        (payout_object("po_jpy", t, 1500, "jpy", "failed", failure_code="account_closed",
                       failure_message="The bank account has been closed."), []),
    ]
    with db.atomic():
        for payout, transactions in payouts:
            write_records(db, records_for(payout, as_of=NOW - 60))
            store_payout_transactions(db, payout["id"], transactions, NOW - 60)


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


async def attach_file(pilot: Pilot[Any], field: str, path: str) -> None:
    """In the open evidence form: the file picker of `field`, the path typed, enter."""
    await pilot.click(f"#attach-{field}")
    await pilot.pause()
    pilot.app.screen.query_one("#picker-path", Input).value = path
    await pilot.press("enter")
    await pilot.pause()


def saved_evidence_file() -> FileRecord:
    """dp_1's receipt, uploaded from payconsole 10 minutes ago and saved on the dispute."""
    record = FileRecord(id="file_receipt1", dispute="dp_1", field="receipt",
                        filename="receipt-A1001.pdf", size=48_213, type="pdf", pages=2,
                        sha256="ab" * 32, uploaded_at=NOW - 600, operator=OPERATOR)
    remember(record)
    Dispute.update(evidence=json.dumps({"receipt": record.id})).where(
        Dispute.id == "dp_1").execute()
    return record


def operator_console(url: str, who: str, *, wait_seconds: float = 3.0,
                     clock: Callable[[], float] = time.time) -> PayConsoleApp:
    """`who`'s console on a team ledger as payconsole opens it for an operator's role
    (console/cli.py `_team_console`): actions as requests, the change feed, no Stripe key.
    Makes `url` this process's ledger connection."""
    open_ledger(url)
    context = ConsoleContext(ledger_location=url, mode=Mode.TEST, operator=who,
                             actions=RequestedActions(who, wait_seconds=wait_seconds),
                             team=TeamLedger(url, clock=clock))
    return PayConsoleApp(context, clock=clock)


def toasts(app: App[Any]) -> list[str]:
    """The toasts the app shows now, as "title: message"."""
    return [f"{note.title}: {note.message}" for note in app._notifications]


async def approve_in_pane(pilot: Pilot[Any], request_id: int, key: str = "a") -> None:
    """In the Approvals pane (key 9): the cursor on request `request_id`, then `key`."""
    await pilot.press("9")
    await pilot.pause()
    table = pilot.app.query_one("#approvals-table", LazyTable)
    position = table.source.position_of(str(request_id))
    assert position is not None, f"request {request_id} is not in the Approvals pane"
    table.move_cursor(position)
    await pilot.press(key)
