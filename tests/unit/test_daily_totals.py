"""The stored per-day totals (ledger/daily_totals.py) against the full scan of the rows:
random ledgers written in random batches, with status changes, stale and re-delivered
snapshots, refunds and disputes days after their payment; the migration's build of an
existing ledger; and what reads them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import Database

from ledger import analytics, daily_totals, rollups
from ledger.analytics import DAY, Period, day_of
from ledger.customer_views import customer_search
from ledger.db import open_ledger
from ledger.migrations import CUSTOMERS_MIGRATION, TOTALS_MIGRATION
from ledger.queries import PaymentListing
from ledger.records import Records, records_for
from ledger.sql import execute, single_int
from ledger.writes import write_records
from tests.helpers import at, dispute, fill, intent, refund, txn

SOME = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
FIRST = at(1, 0, 0, 0)  # 2026-11-01 00:00 UTC
DAYS = 12
TABLES = ("customer", "payment", "refund", "dispute", "balance_transaction", "daily_total")

seconds = st.integers(FIRST, FIRST + DAYS * DAY - 1)
currencies = st.sampled_from(["usd", "usd", "jpy", "eur"])
amounts = st.integers(1, 50_000)


@st.composite
def payments(draw: st.DrawFn) -> dict[str, Any]:
    failed = draw(st.booleans())
    return intent(
        f"pi_{draw(st.integers(0, 5))}", draw(seconds), draw(amounts), draw(currencies),
        draw(st.sampled_from(["succeeded", "succeeded", "requires_payment_method",
                              "processing", "canceled", "requires_action"])),
        brand=draw(st.sampled_from(["visa", "mastercard", None])),
        failure=draw(st.sampled_from(["card_declined", "expired_card"])) if failed else None,
        decline=draw(st.sampled_from(["insufficient_funds", None])) if failed else None,
    )


@st.composite
def refunds(draw: st.DrawFn) -> dict[str, Any]:
    return refund(f"re_{draw(st.integers(0, 4))}", f"pi_{draw(st.integers(0, 5))}",
                  draw(seconds), draw(amounts), draw(currencies),
                  draw(st.sampled_from(["succeeded", "pending", "failed", "canceled"])))


@st.composite
def disputes(draw: st.DrawFn) -> dict[str, Any]:
    return dispute(f"dp_{draw(st.integers(0, 3))}", f"pi_{draw(st.integers(0, 5))}",
                   draw(seconds), draw(amounts), draw(currencies),
                   draw(st.sampled_from(["needs_response", "under_review", "won", "lost"])),
                   draw(st.sampled_from(["fraudulent", "duplicate", "general"])))


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    kind, category = draw(st.sampled_from([("charge", "charge"), ("payment", "charge"),
                                           ("adjustment", "dispute"),
                                           ("adjustment", "dispute_reversal"),
                                           ("refund", "refund")]))
    amount = draw(st.integers(-50_000, 50_000))
    return {**txn(f"txn_{draw(st.integers(0, 4))}", draw(seconds), amount, draw(currencies),
                  kind, "ch_x", fee=draw(st.integers(0, 900))),
            "reporting_category": category}


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    return {"id": f"cus_{draw(st.integers(0, 4))}", "object": "customer",
            "created": draw(seconds), "email": "ada@example.com",
            "deleted": draw(st.booleans())}


def customer_count(db: Database) -> int:
    return single_int(db, "SELECT count(*) FROM customer WHERE deleted = ?", [False])


# Snapshots of objects, each as of a time of its own (an older one arriving later is stale);
# a batch is what one apply writes together.
snapshots = st.tuples(st.one_of(payments(), refunds(), disputes(), transactions(),
                                customers()),
                      st.integers(0, 5))
batches = st.lists(st.lists(snapshots, min_size=1, max_size=6), min_size=1, max_size=6)
periods = st.tuples(st.integers(0, DAYS), st.integers(1, DAYS))


def write(db: Database, batch: list[tuple[dict[str, Any], int]]) -> None:
    records = Records()
    for obj, as_of in batch:
        records.extend(records_for(obj, as_of=obj["created"] + as_of))
    with db.atomic():
        write_records(db, records)


@contextmanager
def scanned() -> Iterator[None]:
    """Every period read from the rows, as a period of part days is."""
    with mock.patch.object(rollups, "whole_days", return_value=False):
        yield


def answers(period: Period, currency: str | None) -> tuple[Any, ...]:
    return (analytics.overview(period, currency), analytics.summary(period, currency),
            analytics.decline_codes(period, currency, limit=3))


def stored(db: Database) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in execute(
        db, "SELECT * FROM daily_total WHERE row_count != 0 ORDER BY kind, day, currency, "
            "label")]


def empty(db: Database) -> None:
    with db.atomic():
        for table in TABLES:
            execute(db, f"DELETE FROM {table}")


@SOME
@given(batches=batches, asked=st.lists(periods, min_size=1, max_size=3))
def test_stored_totals_answer_as_the_full_scan(ledger: Database,
                                               batches: list[Any], asked: list[Any]) -> None:
    empty(ledger)
    for batch in batches:
        write(ledger, batch)
    for start, length in asked:
        first = day_of(FIRST) + timedelta(days=start - 2)  # from before the first row
        period = Period.days(first, first + timedelta(days=length - 1))
        for currency in (None, "usd"):
            with scanned():
                expected = answers(period, currency)
            assert answers(period, currency) == expected
    kept = stored(ledger)
    with ledger.atomic():
        daily_totals.rebuild(ledger)
    assert stored(ledger) == kept  # kept by the writes as the migration builds them
    # The Payments pane counts every payment from the totals.
    assert PaymentListing().count() == single_int(ledger, "SELECT count(*) FROM payment")
    # And the Customers pane every customer not deleted (a search counts its rows).
    assert customer_search("").count() == customer_count(ledger)
    assert customer_search("ada").count() == customer_count(ledger)


def test_the_migration_counts_the_customers_of_an_existing_ledger(ledger: Database) -> None:
    write(ledger, [(dict(customer, id=f"cus_{n}", created=at(n + 1), deleted=n == 2), 0)
                   for n, customer in enumerate([{"object": "customer"}] * 4)])
    with ledger.atomic():
        execute(ledger, "DELETE FROM daily_total")
        CUSTOMERS_MIGRATION(ledger)
    assert customer_search("").count() == customer_count(ledger) == 3


def test_the_migration_builds_the_totals_of_an_existing_ledger(ledger: Database) -> None:
    fill(ledger, [
        intent("pi_1", at(3), 4000, "usd", "succeeded", brand="visa"),
        intent("pi_2", at(3, 18), 900, "usd", "requires_payment_method",
               failure="card_declined", decline="insufficient_funds"),
        refund("re_1", "pi_1", at(9), 1500, "usd"),  # six days after its payment
        dispute("dp_1", "pi_1", at(12), 4000, "usd", "lost", "fraudulent"),
    ])
    built = stored(ledger)
    assert {row[0] for row in built} == {"payment", "failure", "refund", "dispute"}
    with ledger.atomic():
        execute(ledger, "DELETE FROM daily_total")
        TOTALS_MIGRATION(ledger)
    assert stored(ledger) == built
    november = Period.days(date(2026, 11, 1), date(2026, 11, 30))
    usd = analytics.summary(november)["usd"]
    assert (usd.gross, usd.refunded, usd.disputed_lost, usd.payments_attempted) == (
        4000, 1500, 4000, 2)
    refund_day = analytics.daily(Period.days(date(2026, 11, 9), date(2026, 11, 9)))
    assert refund_day["usd"][0].refunded == 1500  # on its own day, not its payment's


def test_a_refund_that_fails_leaves_the_totals(ledger: Database) -> None:
    fill(ledger, [intent("pi_1", at(3), 4000, "usd", "succeeded"),
                  refund("re_1", "pi_1", at(4), 1500, "usd", "pending")])
    november = Period.days(date(2026, 11, 1), date(2026, 11, 30))
    assert analytics.summary(november)["usd"].refunded == 1500
    failed = refund("re_1", "pi_1", at(4), 1500, "usd", "failed")
    write(ledger, [(failed, DAY)])  # a day later
    assert (analytics.summary(november)["usd"].refunded,
            analytics.summary(november)["usd"].refunds) == (0, 0)


def test_a_part_day_period_reads_the_rows(ledger: Database) -> None:
    fill(ledger, [intent("pi_1", at(3, 10), 4000, "usd", "succeeded"),
                  intent("pi_2", at(3, 14), 700, "usd", "succeeded")])
    morning = Period.between(at(3, 0), at(3, 12))
    assert not rollups.whole_days(morning)
    assert analytics.summary(morning)["usd"].gross == 4000
    assert rollups.whole_days(Period.last_days(90, at(3)))


def test_two_writers_of_one_payment_add_it_once_on_postgresql(pg_url: str) -> None:
    """The second writer's before-read waits for the first's commit (else the payment's
    difference from nothing would be added by both)."""
    first, second = open_ledger(pg_url), open_ledger(pg_url)
    created = at(3)
    held = records_for(intent("pi_1", created, 4000, "usd", "succeeded", brand="visa"),
                       as_of=created)
    canceled = records_for(intent("pi_1", created, 4000, "usd", "canceled"), as_of=created + 60)
    written = threading.Event()

    def other() -> None:
        written.wait(10)
        with second.atomic():
            write_records(second, canceled)

    thread = threading.Thread(target=other)
    thread.start()
    with first.atomic():
        write_records(first, held)
        written.set()
        time.sleep(0.5)  # the other writer starts while this batch is not committed
    thread.join(10)
    kept = stored(first)
    with first.atomic():
        daily_totals.rebuild(first)
    assert stored(first) == kept
    first.close()
    second.close()
