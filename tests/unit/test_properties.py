"""Bad input, property-based: every value an operator or a network peer can send gets a
result or a clear, one-line refusal, and a refusal changes nothing.

Money in every exponent, refund amounts, card expiry, dispute evidence, search strings,
config values and files, and the webhook receiver fed random bodies and headers.
Example counts stay modest: the whole suite has a time budget.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import SqliteDatabase

from console.config import Settings, load_settings
from console.errors import ConfigError
from ledger.db import open_ledger
from ledger.filters import FilterError, parse_search
from ledger.models import Event, Payment, Refund, database
from ledger.money import THREE_DECIMAL, ZERO_DECIMAL, MoneyError, format_major, parse_amount
from sync import actions_checks as checks
from sync.actions import Actions
from sync.apply import ApplyResult, apply_events, apply_objects
from sync.plans import ActionRefused
from sync.webhook import WebhookReceiver, sign

SOME = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
TODAY = date(2026, 6, 15)
CURRENCIES = ["usd", "eur", "gbp", *sorted(c.lower() for c in ZERO_DECIMAL),
              *sorted(c.lower() for c in THREE_DECIMAL)]
# Text an operator might type: anything, and often something shaped like the real thing.
typed = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A ?-?[0-9,_]{0,12}(\.[0-9]{0,4})? ?\Z"),
    st.sampled_from(["", " ", "0", "0.00", "1e3", "NaN", "inf", "1.2.3", "--1", "+5", "½",
                     "١٢", "12 USD", "$12", "0x10", "99999999.99", "100000000"]),
)


def one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "Traceback" not in message


# -- money -----------------------------------------------------------------------------


@SOME
@given(amount=st.integers(0, 10**15), currency=st.sampled_from(CURRENCIES))
def test_money_round_trips_in_every_exponent(amount: int, currency: str) -> None:
    text = format_major(amount, currency)
    assert parse_amount(text, currency) == amount
    assert parse_amount(text, currency.upper()) == amount
    assert ("." in text) == (currency.upper() not in ZERO_DECIMAL)


@SOME
@given(text=typed, currency=st.one_of(st.sampled_from(CURRENCIES), st.text(max_size=5)))
def test_money_parsing_gives_an_amount_or_a_clear_error(text: str, currency: str) -> None:
    try:
        amount = parse_amount(text, currency)
    except MoneyError as exc:
        assert one_line(str(exc))
    else:
        assert isinstance(amount, int) and amount >= 0


def test_an_absurdly_long_amount_is_a_money_error() -> None:
    with pytest.raises(MoneyError):
        parse_amount("1" * 5000, "usd")


def test_only_ascii_digits_are_amounts() -> None:
    with pytest.raises(MoneyError):
        parse_amount("١٢", "usd")


# -- operator actions: refund amounts, card expiry, evidence -----------------------------


class NoNetwork:
    """Planning must never send anything."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("planning touched the network")

    post = get


def _payment(pid: str, amount: int, currency: str, refunded: int = 0) -> dict[str, Any]:
    charge = {"object": "charge", "id": "ch_" + pid[3:], "payment_intent": pid,
              "amount": amount, "currency": currency, "captured": True,
              "amount_captured": amount, "amount_refunded": refunded, "status": "succeeded"}
    return {"object": "payment_intent", "id": pid, "amount": amount, "currency": currency,
            "status": "succeeded", "customer": "cus_1", "latest_charge": charge,
            "customer_email": "a%b_c@example.com"}


REMAINDERS = {"pi_usd": 2000, "pi_jpy": 5000, "pi_kwd": 4500}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteDatabase]:
    db = open_ledger(tmp_path_factory.mktemp("props") / "ledger.db")
    apply_objects(database, [_payment("pi_usd", 5000, "usd", refunded=3000),
                             _payment("pi_jpy", 5000, "jpy"),
                             _payment("pi_kwd", 5000, "kwd", refunded=500)], 1)
    yield db
    db.close()


@pytest.fixture
def ledger_db(seeded: SqliteDatabase) -> SqliteDatabase:
    database.initialize(seeded)  # other modules' tests rebind the models between ours
    return seeded


def synced_rows() -> list[Any]:
    return [list(Payment.select().tuples()), list(Refund.select().tuples()),
            Event.select().count()]


@SOME
@given(payment=st.sampled_from(sorted(REMAINDERS)), text=typed)
def test_refund_amounts_are_planned_within_what_is_left_or_refused(
        ledger_db: SqliteDatabase, payment: str, text: str) -> None:
    before = synced_rows()
    actions = Actions(NoNetwork(), "ada")  # type: ignore[arg-type]
    try:
        plan = actions.plan_refund(payment, text)
    except ActionRefused as exc:
        assert one_line(str(exc))
    else:
        assert 0 < plan.amount <= REMAINDERS[payment]
    assert synced_rows() == before


def test_an_absurdly_long_refund_amount_is_refused(ledger_db: SqliteDatabase) -> None:
    with pytest.raises(ActionRefused):
        Actions(NoNetwork(), "ada").plan_refund("pi_usd", "1" * 5000)  # type: ignore[arg-type]


expiry_part = st.one_of(st.none(), st.integers(-10**6, 10**6), typed)


@SOME
@given(month=expiry_part, year=expiry_part)
def test_card_expiry_is_a_valid_future_month_or_refused(month: Any, year: Any) -> None:
    try:
        expiry = checks.card_expiry(month, year, current=(12, 2030), today=TODAY)
    except ActionRefused as exc:
        assert one_line(str(exc))
        return
    if month is None and year is None:
        assert expiry is None
        return
    assert expiry is not None
    new_month, new_year = expiry
    assert 1 <= new_month <= 12
    assert (TODAY.year, TODAY.month) <= (new_year, new_month)
    assert new_year <= TODAY.year + checks.EXPIRY_YEARS_AHEAD


def test_a_superscript_expiry_month_is_refused() -> None:
    with pytest.raises(ActionRefused):
        checks.card_expiry("²", "2030", current=(None, None), today=TODAY)


evidence_text = st.one_of(
    st.text(max_size=200),
    st.builds(lambda n, tail: "x" * n + tail, st.sampled_from([4990, 5001, 19_999, 20_001]),
              st.text(max_size=5)),
    st.builds(lambda text: f"paid with 4242 4242 4242 4242 {text}", st.text(max_size=20)),
)


@SOME
@given(fields=st.dictionaries(
    st.one_of(st.sampled_from(checks.EVIDENCE_TEXT_FIELDS + checks.EVIDENCE_FILE_FIELDS),
              st.text(max_size=20)),
    evidence_text, max_size=3))
def test_evidence_is_accepted_within_stripes_limits_or_refused(fields: dict[str, str]) -> None:
    try:
        accepted = checks.evidence(fields, today=TODAY)
    except ActionRefused as exc:
        assert one_line(str(exc))
        return
    assert set(accepted) <= set(checks.EVIDENCE_TEXT_FIELDS)
    for name, text in accepted.items():
        limit = (checks.EVIDENCE_LONG_MAX if name in checks.EVIDENCE_LONG_TEXT
                 else checks.EVIDENCE_SHORT_MAX)
        assert 0 < len(text) <= limit
        assert "4242 4242 4242 4242" not in text  # never a card number


# -- search and filter strings ------------------------------------------------------------

search_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(
        st.sampled_from(["email:", "email~", "status:", "currency:", "amount>", "amount:",
                         "id:", "last4:", "since:", "until:", "customer:", "failure:"]),
        st.sampled_from(['"', "%", "_", "\\", "'", "..", "usd", "jpy", "10", "a%b_",
                         "Ω", "💳", " ", "succeeded", "2026-11-01", "--", ";", "*"]),
        st.text(max_size=8)), max_size=12).map("".join),
    st.builds(lambda n, c: c * n, st.integers(1900, 2100), st.sampled_from(["a", "%", '"'])),
)


@SOME
@given(text=search_text)
def test_search_strings_filter_or_are_refused_and_never_break_the_sql(
        ledger_db: SqliteDatabase, text: str) -> None:
    try:
        chosen = parse_search(text)
    except FilterError as exc:
        assert one_line(str(exc)) and len(str(exc)) < 400
        return
    for table in ("payment", "refund", "dispute", "customer"):
        try:
            where = chosen.condition(table)
        except FilterError:
            continue  # a criterion that table cannot filter on: said, not crashed
        sql = f"SELECT count(*) FROM {table}{where.where()}"
        assert database.execute_sql(sql, where.params).fetchone()[0] >= 0


def test_like_wildcards_in_a_search_match_themselves(ledger_db: SqliteDatabase) -> None:
    apply_objects(database, [{**_payment("pi_other", 100, "usd"),
                              "customer_email": "axbyc@example.com"}], 1)
    for search in ('email:"a%b_"', "email~%b_c", "email:a%"):
        where = parse_search(search).condition("payment")
        rows = database.execute_sql(f"SELECT id FROM payment{where.where()}", where.params)
        assert "pi_other" not in {row[0] for row in rows}, search


# -- configuration ------------------------------------------------------------------------

CONFIG_KEYS = {
    "stripe": ["api_key", "api_base", "requests_per_second", "max_network_retries",
               "timeout_seconds", "unknown"],
    "sync": ["interval_seconds", "backfill_days", "overlap_seconds"],
    "console": ["operator", "read_only", "allow_live_actions", "keymap"],
    "webhook": ["listen", "secret", "max_body_bytes"],
    "ledger": ["path"],
}
config_value = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["127.0.0.1:0", "[::1]:8787", "0.0.0.0:80",
                                           "localhost:99999", "whsec_x", "sk_live_x", "nan"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5), st.text(max_size=5),
                                                         max_size=2),
)


@pytest.fixture
def no_config(tmp_path: Path) -> Iterator[Path]:
    """No config file, no STRIPE_ / PAYCONSOLE_ variables, for the duration of a test."""
    saved = {k: v for k, v in os.environ.items() if k.startswith(("PAYCONSOLE_", "STRIPE_"))}
    for name in saved:
        del os.environ[name]
    os.environ["PAYCONSOLE_CONFIG"] = str(tmp_path / "config.toml")
    yield tmp_path / "config.toml"
    del os.environ["PAYCONSOLE_CONFIG"]
    os.environ.update(saved)


def _settings_or_error(load: Callable[[], Settings]) -> None:
    try:
        load()
    except ConfigError as exc:
        assert one_line(str(exc)) and str(exc).startswith(("config", "/", "cannot"))


@SOME
@given(section=st.sampled_from(sorted(CONFIG_KEYS)), data=st.data())
def test_config_values_load_or_are_refused_in_one_line(
        no_config: Path, section: str, data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(CONFIG_KEYS[section]))
    value = data.draw(config_value)
    no_config.write_text("")
    _settings_or_error(lambda: load_settings(None, {section: {key: value}}))


@SOME
@given(text=st.one_of(
    st.text(max_size=120),
    st.sampled_from(["stripe = 1", 'webhook = "whsec_x"', "[stripe]\napi_key = 5",
                     "[webhook]\nsecret = []", "sync = [1, 2]", "\ufeff[sync]"]),
    st.builds("[{}]\n{} = {}\n".format, st.sampled_from([*CONFIG_KEYS, "x", "stripe.x"]),
              st.sampled_from([k for keys in CONFIG_KEYS.values() for k in keys]),
              st.sampled_from(['"x"', "1", "-1", "true", "[1]", "{a=1}", "1979-05-27",
                               '"whsec_1"', '"127.0.0.1:1"', "inf", "nan"])),
))
def test_config_files_load_or_are_refused_in_one_line(no_config: Path, text: str) -> None:
    no_config.write_text(text, encoding="utf-8")
    no_config.chmod(0o600)
    _settings_or_error(lambda: load_settings())


# -- the webhook receiver, fed random requests -------------------------------------------

SECRET = "whsec_properties"
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
header_name = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,15}\Z")


def _store(event: Any) -> ApplyResult:
    with database.atomic():
        return apply_events(database, [event], via="webhook")


@pytest.fixture(scope="module")
def post(seeded: SqliteDatabase) -> Iterator[Callable[[bytes, dict[str, str]], int]]:
    """POST /webhook on a receiver (aiohttp's test server), from synchronous code."""
    receiver = WebhookReceiver(SECRET, _store, max_body_bytes=2048)

    async def started() -> TestClient[Any, Any]:  # aiohttp's test client needs a running loop
        test_client: TestClient[Any, Any] = TestClient(TestServer(receiver.app()))
        await test_client.start_server()
        return test_client

    runner = asyncio.Runner()
    client = runner.run(started())

    async def send(body: bytes, headers: dict[str, str]) -> int:
        response = await client.post("/webhook", data=body, headers=headers)
        await response.read()
        return response.status

    yield lambda body, headers: runner.run(send(body, headers))
    runner.run(client.close())
    runner.close()


event_body = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    st.builds(lambda n: b'{"id": "evt_' + b"x" * n + b'"}', st.integers(1900, 2200)),
    st.fixed_dictionaries({
        "id": st.one_of(st.text(max_size=10), st.integers()), "type": st.text(max_size=20),
        "created": st.one_of(st.integers(0, 2**40), st.text(max_size=3), st.booleans()),
        "data": st.one_of(st.none(), st.fixed_dictionaries({"object": st.dictionaries(
            st.sampled_from(["id", "object", "amount", "currency", "status"]),
            st.one_of(st.text(max_size=8), st.integers()), max_size=5)})),
    }).map(lambda event: json.dumps(event).encode()),
)


@SOME
@given(body=event_body, signed=st.sampled_from(["valid", "stale", "random", "none"]),
       signature=header_text, extra=st.dictionaries(header_name, header_text, max_size=3))
def test_the_receiver_answers_any_request_and_stores_only_signed_events(
        ledger_db: SqliteDatabase, post: Callable[[bytes, dict[str, str]], int], body: bytes,
        signed: str, signature: str, extra: dict[str, str]) -> None:
    headers = {k: v for k, v in extra.items() if k.lower() not in ("content-length", "host",
                                                                  "transfer-encoding")}
    if signed in ("valid", "stale"):
        at = time.time() - (0 if signed == "valid" else 301)
        headers["Stripe-Signature"] = sign(body, SECRET, int(at))
    elif signed == "random":
        headers["Stripe-Signature"] = signature
    before = Event.select().count()
    status = post(body, headers)
    stored = Event.select().count() - before
    if signed != "valid":
        assert status in (400, 413) and stored == 0
    elif len(body) > 2048:
        assert status == 413 and stored == 0
    else:
        assert status in (200, 400)
        assert stored <= (1 if status == 200 else 0)
