"""Filters: the search syntax, SQL that composes and escapes, filtered listings."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peewee import SqliteDatabase

from ledger import queries as queries_module
from ledger.analytics import midnight
from ledger.db import open_ledger
from ledger.dialect import dialect_of
from ledger.filters import (
    MAX_TEXT,
    FilterError,
    PaymentFilter,
    filter_from_options,
    parse_search,
    prefix_upper_bound,
)
from ledger.queries import PAYMENT_ORDERS, DisputeListing, PaymentListing
from tests.helpers import FIXED_OBJECTS, at, fill, query_plan

# -- the search syntax ------------------------------------------------------------------------


def test_parse_the_example_search() -> None:
    found = parse_search(
        "status:succeeded currency:jpy amount>10 email:ada last4:4242 since:2026-11-01 pi_3Ab"
    )
    assert found == PaymentFilter(
        statuses=("succeeded",), currency="jpy", amount_min=11, email="ada", last4="4242",
        since=midnight(date(2026, 11, 1)), words=("pi_3Ab",),
    )


@pytest.mark.parametrize(
    ("search", "low", "high"),
    [
        ("currency:usd amount>10", 1001, None),
        ("amount>=10 currency:usd", 1000, None),  # the currency may come after
        ("currency:usd amount<10.50", None, 1049),
        ("currency:usd amount<=10.5", None, 1050),
        ("currency:usd amount:5..20", 500, 2000),
        ("currency:usd amount:7", 700, 700),
        ("currency:jpy amount:1,000", 1000, 1000),
        ("currency:KWD amount>1.5", 1501, None),
    ],
)
def test_amounts_are_read_in_the_currency_minor_unit(
    search: str, low: int | None, high: int | None
) -> None:
    found = parse_search(search)
    assert (found.amount_min, found.amount_max) == (low, high)


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("amount>10", "give a currency too"),
        ("currency:jpy amount>1.5", "JPY amounts have no decimals"),
        ("currency:usd amount:20..5", "range is empty"),
        ("currency:usd amount>ten", "not an amount"),
        ("currency:dollars", "three-letter"),
        ("status:succeded", "unknown succeded"),
        ("colour:red", "unknown filter 'colour'"),
        ("last4:42", "not four digits"),
        ("last4:\uff14\uff12\uff14\uff12", "not four digits"),  # full-width digits
        ("since:yesterday", "not a date"),
        ("since:2026-11-30 until:2026-11-01", "range is empty"),
        ("email:", "needs a value"),
        ('email:"ada', "unclosed double quote"),
        ("status>succeeded", "use status:value"),
        ("x" * 10_000, "too long"),
        ("email:" + "a" * (MAX_TEXT + 1), "too long"),
        ("id:pi_\x00", "cannot be searched"),
        ("id:pi_\ud800", "cannot be searched"),
    ],
)
def test_bad_searches_say_what_is_wrong(search: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_search(search)


def test_until_a_date_means_through_that_day_and_times_are_exact() -> None:
    found = parse_search("since:2026-11-01T12:00:00+02:00 until:2026-11-30")
    assert found.since == at(1, 10)
    assert found.until == midnight(date(2026, 12, 1))
    assert parse_search("since:2026-11-01T12:00:00").since == at(1, 12)  # no offset: UTC


def test_quotes_aliases_and_keys_in_any_case() -> None:
    found = parse_search('EMAIL:"o\'brien smith" Failure_Code:do_not_honor cus:cus_1 o\'neil')
    assert (found.email, found.failure_code, found.customer) == (
        "o'brien smith", "do_not_honor", "cus_1")
    assert found.words == ("o'neil",)
    assert parse_search("email~lovelace").email_contains
    assert parse_search("status:succeeded,canceled").statuses == ("succeeded", "canceled")


def test_a_search_narrows_the_filter_bar() -> None:
    bar = PaymentFilter(currency="usd", statuses=("succeeded",), words=("pi_",))
    found = parse_search("amount>10 ada", base=bar)
    assert found == PaymentFilter(currency="usd", statuses=("succeeded",), amount_min=1001,
                                  words=("pi_", "ada"))
    assert parse_search("", base=bar) == bar
    assert parse_search("   ").is_empty()


def test_options_from_the_command_line() -> None:
    assert filter_from_options(since="2026-11-01", until=None, status="", currency="EUR") == (
        PaymentFilter(since=midnight(date(2026, 11, 1)), currency="eur"))


# -- SQL ------------------------------------------------------------------------------------


def test_conditions_are_parameterised() -> None:
    evil = "x' OR 1=1; DROP TABLE payment; --"
    condition = PaymentFilter(email=evil, customer=evil, words=(evil,)).condition()
    assert evil not in condition.sql
    assert "?" in condition.sql
    assert PaymentFilter().condition().where() == ""


def test_like_wildcards_in_input_are_literal() -> None:
    condition = PaymentFilter(email="50%_off\\").condition()
    assert condition.params == ("50\\%\\_off\\\\%",)


@pytest.mark.parametrize(
    ("prefix", "bound"),
    [
        ("pi_3Ab", "pi_3Ac"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff", None),
        ("a\ud7ff", "a\ue000"),  # past the surrogates, which are not text
        ("", None),
    ],
)
def test_prefix_upper_bound(prefix: str, bound: str | None) -> None:
    assert prefix_upper_bound(prefix) == bound


def test_tables_refuse_criteria_they_do_not_have() -> None:
    with pytest.raises(FilterError, match="dispute rows cannot be filtered by last4"):
        PaymentFilter(last4="4242").condition("dispute")
    with pytest.raises(FilterError, match="customer rows cannot be filtered by failure code"):
        PaymentFilter(failure_code="card_declined").condition("customer")
    with pytest.raises(FilterError, match="audit_entry rows cannot be filtered"):
        PaymentFilter(since=1).condition("audit_entry")
    assert PaymentFilter().condition("audit_entry").sql == ""


# -- filtered listings on the fixed ledger ----------------------------------------------------


def ids(listing: PaymentListing) -> list[str]:
    return [row.id for row in listing.page(0, 100)]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("status:succeeded currency:jpy", ["pi_j2", "pi_j1"]),
        ("email:ada", ["pi_u3", "pi_u1"]),
        ("email:GRACE.hopper@example", ["pi_u2"]),  # case-insensitive (ASCII)
        ("email~hopper@EXAMPLE.com", ["pi_u2"]),
        ("email~a_a", []),  # `_` is not a wildcard
        ("last4:4444", ["pi_u2"]),
        ("4444", ["pi_u2"]),
        ("pi_u1", ["pi_u10", "pi_u1"]),
        ("id:pi_u1 currency:usd amount>50", ["pi_u10", "pi_u1"]),
        ("currency:usd amount:10..25.50", ["pi_u6", "pi_u9", "pi_u2"]),
        ("failure:insufficient_funds", ["pi_e1", "pi_u3"]),
        ("failure:card_declined currency:usd", ["pi_u9", "pi_u3"]),
        ("customer:cus_ada status:succeeded", ["pi_u1"]),
        ("since:2026-11-30 until:2026-11-30", ["pi_u6"]),
        ("since:2026-12-01", ["pi_u7"]),
        ("until:2026-10-31", ["pi_u8"]),
        ("ada 4242", ["pi_u3", "pi_u1"]),
        ("pi_u1 pi_u10", ["pi_u10"]),
        ("é%'_\\ 😀", []),
        ('"a b" "%" email:"it\'s me"', []),
    ],
)
def test_filters_compose_on_the_fixed_ledger(
    fixed_ledger: SqliteDatabase, search: str, expected: list[str]
) -> None:
    listing = PaymentListing(parse_search(search))
    assert ids(listing) == expected
    assert listing.count() == len(expected)


def test_position_of_counts_within_the_filter(fixed_ledger: SqliteDatabase) -> None:
    usd = PaymentListing(parse_search("currency:usd"))
    order = ids(usd)
    assert order[0] == "pi_u7"
    assert [usd.position_of(pid) for pid in order] == list(range(len(order)))
    assert usd.position_of("pi_j1") is None  # filtered out
    assert usd.position_of("pi_nope") is None
    assert PaymentListing().count() == len([o for o in FIXED_OBJECTS if o["id"][:3] == "pi_"])


def test_another_order_of_the_same_rows_reuses_their_count_once(
        fixed_ledger: SqliteDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    usd = PaymentListing(parse_search("currency:usd"))
    counted = usd.count()
    largest = usd.reordered(PAYMENT_ORDERS[1])
    queries: list[str] = []
    monkeypatch.setattr(queries_module, "single_int",
                        lambda db, sql, params=(): queries.append(sql) or counted)
    assert largest.count() == counted and queries == []  # carried over, not counted again
    assert largest.count() == counted and len(queries) == 1  # a later count counts
    assert ids(largest) != ids(usd) and sorted(ids(largest)) == sorted(ids(usd))


def test_disputes_list_open_first_by_deadline(fixed_ledger: SqliteDatabase) -> None:
    fill(fixed_ledger, [
        {"object": "dispute", "id": "dp_soon", "charge": "ch_pi_u6", "created": at(25),
         "amount": 1000, "currency": "usd", "status": "warning_needs_response",
         "reason": "general", "evidence_details": {"due_by": at(26)}},
        {"object": "dispute", "id": "dp_review", "charge": "ch_pi_u6", "created": at(1),
         "amount": 1000, "currency": "usd", "status": "under_review", "reason": "general"},
    ])
    listing = DisputeListing()
    rows = listing.page(0, 10)
    # dp_soon is due Nov 26 and dp_j1 Nov 28; then under review; then closed, newest first.
    assert [r.id for r in rows] == ["dp_soon", "dp_j1", "dp_review", "dp_k1", "dp_u2", "dp_u1"]
    assert [listing.position_of(r.id) for r in rows] == list(range(6))
    assert rows[0].due_by == at(26) and rows[0].has_evidence is False
    lost = DisputeListing(parse_search("status:lost currency:usd"))
    assert ([r.id for r in lost.page(0, 10)], lost.count()) == (["dp_u1"], 1)


def test_searches_seek_indexes(fixed_ledger: SqliteDatabase) -> None:
    def plan(search: str) -> str:
        condition = parse_search(search).condition()
        return query_plan(f"SELECT count(*) FROM payment{condition.where()}", condition.params)

    if dialect_of(fixed_ledger).is_postgres:
        assert "payment_email_lower" in plan("email:ada")
        assert "payment_last4_order" in plan("last4:4242")
        assert "payment_pkey" in plan("id:pi_3Ab")
        assert "Seq Scan" not in plan("pi_3Ab")
        return
    assert "payment_email_nocase (customer_email>? AND customer_email<?)" in plan("email:ada")
    assert "payment_last4_order (card_last4=?)" in plan("last4:4242")
    condition = parse_search("last4:4242").condition()
    first_page = query_plan(f"SELECT id FROM payment{condition.where()} ORDER BY created DESC, "
                            "id DESC LIMIT 256", condition.params)
    assert "payment_last4_order" in first_page and "TEMP B-TREE" not in first_page
    assert "sqlite_autoindex_payment_1 (id>? AND id<?)" in plan("id:pi_3Ab")
    bare = plan("pi_3Ab")
    assert "MULTI-INDEX OR" in bare and "SCAN payment " not in bare
    assert "COVERING INDEX payment_email_nocase" in plan("email~ada")  # the narrow index


# -- any text searches exactly what it says -------------------------------------------------

ALPHABET = "aAzZ_%\\'\" é É😀\U0010ffff\ud7ff\ue000@{"
TRICKY = ["a_b", "a%b", "aXb", "A_B", "é_1", "É_1", "😀", "\U0010ffff", "\ud7ff\ue000",
          "a\\b", "'q'", '"q"', "@{", "z", "Z_%"]


def ascii_lower(text: str) -> str:
    return text.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})


@pytest.fixture(scope="module")
def tricky_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("tricky") / "ledger.db"
    open_ledger(path).close()
    with sqlite3.connect(path) as raw:
        raw.executemany(
            "INSERT INTO payment (id, created, amount, currency, status, customer_email)"
            " VALUES (?, ?, 100, 'usd', 'succeeded', ?)",
            [(f"{text}", n, f"{text}@x") for n, text in enumerate(TRICKY)])
    raw.close()
    yield path


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=ALPHABET, min_size=1, max_size=4))
def test_any_text_matches_like_python_says(tricky_ledger: Path, text: str) -> None:
    db = open_ledger(tricky_ledger, read_only=True)
    try:
        def found(**criteria: object) -> set[str]:
            listing = PaymentListing(PaymentFilter(**criteria))  # type: ignore[arg-type]
            return {row.id for row in listing.page(0, 100)}

        emails = {t: ascii_lower(f"{t}@x") for t in TRICKY}
        needle = ascii_lower(text)
        assert found(id_prefix=text) == {t for t in TRICKY if t.startswith(text)}
        assert found(email=text) == {t for t, e in emails.items() if e.startswith(needle)}
        assert found(email=text, email_contains=True) == {
            t for t, e in emails.items() if needle in e}
    finally:
        db.close()


@pytest.mark.parametrize("listing", [PaymentListing, DisputeListing])
def test_every_window_is_the_same_read_from_either_end(fixed_ledger: SqliteDatabase,
                                                       listing: type) -> None:
    """Windows in the far half are read in the reverse order and turned round (OFFSET
    would walk every row before them): the rows are the same as read from the start."""
    rows = listing()
    total = rows.count()
    everything = [row.id for row in rows.page(0, total + 5)]
    assert len(everything) == total > 3
    for offset in range(total + 2):
        for limit in (1, 2, 3, total):
            assert [row.id for row in rows.page(offset, limit)] == \
                everything[offset:offset + limit], (offset, limit)
