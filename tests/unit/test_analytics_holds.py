"""Holds in the analytics against hand-computed figures, on both backends: what is
authorized and not captured now, what lapses within 24 h, and the holds that lapsed in a
period (still held past their deadline, canceled by Stripe or abandoned late) against
those captured in time, released on purpose, or lapsing outside the period."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from peewee import Database

from ledger.analytics import Period
from ledger.analytics_holds import HOLD_FIELDS, HoldComparison, Holds, compare_holds, holds
from ledger.models import database
from ledger.queries import capture_by, capture_by_sql, holds_lapsing
from ledger.sql import execute
from tests.helpers import at, canceled_event, fill, hold, store_event

NOW = at(20)  # 2026-11-20 12:00 UTC
PERIOD = Period.days(date(2026, 11, 10), date(2026, 11, 19))  # previous: Oct 31 to Nov 9
DAY = 86_400


def _objects() -> list[dict[str, Any]]:
    return [
        # Held now: capturable later, within 24 h (one at exactly 24 h; one with no
        # capture_before, lapsing created + 7 days; one with nothing capturable on record,
        # counted at its amount).
        hold("pi_held", at(18), 5000, capture_before=NOW + 3 * DAY),
        hold("pi_soon", at(19), 2000, capture_before=NOW + 3600),
        hold("pi_edge", at(19), 1000, capture_before=NOW + DAY),
        hold("pi_default", NOW - 6 * DAY - 12 * 3600, 4000, capturable=0),
        # Lapsed in the period: still held past its deadline (its capturable amount
        # counted), and canceled by Stripe.
        hold("pi_stale", at(9), 2500, capturable=1500, capture_before=at(15)),
        hold("pi_auto", at(6), 2500, status="canceled", reason="automatic",
             capture_before=at(12)),
        # Not lapsed: released before the deadline, captured in time, not a hold at all.
        hold("pi_released", at(8), 900, status="canceled", reason="requested_by_customer",
             capture_before=at(14)),
        hold("pi_captured", at(10), 700, status="succeeded", capture_before=at(16)),
        hold("pi_automatic_capture", at(8), 600, status="canceled", reason="automatic",
             capture_method="automatic"),
        # Lapsed today, after the period; lapsed in the previous period.
        hold("pi_today", at(13), 300, capture_before=at(20, 6)),
        hold("pi_before", at(1), 800, status="canceled", reason="automatic",
             capture_before=at(5)),
        # JPY: lapsed in the period.
        hold("pi_jpy", at(11), 3000, "jpy", capture_before=at(18)),
    ]


@pytest.fixture
def held_ledger(ledger: Database) -> Database:
    fill(ledger, _objects())
    # Abandoned at its deadline (lapsed), and a second before it (released on purpose).
    late = hold("pi_late", at(6), 3500, status="canceled", reason="abandoned",
                capture_before=at(13))
    early = hold("pi_early", at(7), 400, status="canceled", reason="abandoned",
                 capture_before=at(14))
    # Declined, then abandoned after the 7 days: never authorized, so never a hold.
    declined = hold("pi_declined", at(4), 600, status="canceled", reason="abandoned")
    declined["latest_charge"] |= {"status": "failed", "failure_code": "card_declined"}
    store_event(canceled_event("evt_late", at(13), late))
    store_event(canceled_event("evt_early", at(14) - 1, early))
    store_event(canceled_event("evt_declined", at(12), declined))
    return ledger


def test_held_now_and_lapsed_in_the_period(held_ledger: Database) -> None:
    assert holds(PERIOD, NOW) == {
        "jpy": Holds("jpy", holds_lapsed=1, holds_lapsed_amount=3000),
        "usd": Holds("usd", authorized_not_captured=4, authorized_not_captured_amount=12000,
                     authorized_lapsing_24h=3, authorized_lapsing_24h_amount=7000,
                     holds_lapsed=3, holds_lapsed_amount=1500 + 2500 + 3500),
    }


def test_lapsing_within_24_h_is_the_headers_count_per_currency(held_ledger: Database
                                                               ) -> None:
    per_currency = holds(PERIOD, NOW)
    assert sum(h.authorized_lapsing_24h for h in per_currency.values()) == \
        holds_lapsing(NOW, 86_400) == 3
    # At its capture-by time pi_soon may still be captured; a second later, no more.
    assert holds(PERIOD, NOW + 3600)["usd"].authorized_not_captured == 4
    later = holds(PERIOD, NOW + 3601)["usd"]
    assert (later.authorized_not_captured, later.authorized_lapsing_24h) == (3, 2)


def test_a_capture_by_time_still_to_come_has_not_lapsed(held_ledger: Database) -> None:
    today = holds(Period.today(NOW), NOW)["usd"]
    assert (today.holds_lapsed, today.holds_lapsed_amount) == (1, 300)  # pi_today only
    assert holds(Period.today(NOW), NOW + 3600)["usd"].holds_lapsed == 1  # its last second
    assert holds(Period.today(NOW), NOW + 3601)["usd"].holds_lapsed == 2  # pi_soon too


def test_compared_with_the_previous_period(held_ledger: Database) -> None:
    compared = compare_holds(PERIOD, NOW)
    assert list(compared) == ["jpy", "usd"]
    usd = compared["usd"]
    assert usd.previous == Holds("usd", holds_lapsed=1, holds_lapsed_amount=800)
    assert usd.current == holds(PERIOD, NOW)["usd"]
    assert (usd.change("holds_lapsed").delta, usd.change("holds_lapsed_amount").delta) == (
        2, 7500 - 800)
    assert compared["jpy"].change("holds_lapsed").relative is None  # none before
    earlier = compare_holds(PERIOD.previous(), NOW)
    assert earlier["usd"].current.holds_lapsed == 1


def test_one_currency(held_ledger: Database) -> None:
    assert list(holds(PERIOD, NOW, "JPY")) == ["jpy"]
    assert compare_holds(PERIOD, NOW, "eur") == {}
    assert compare_holds(PERIOD, NOW, "usd")["usd"] == HoldComparison(
        holds(PERIOD, NOW)["usd"], Holds("usd", holds_lapsed=1, holds_lapsed_amount=800))


def test_no_holds(ledger: Database) -> None:
    assert holds(PERIOD, NOW) == {}
    assert compare_holds(PERIOD, NOW) == {}


def test_capture_by_in_sql_is_capture_by(held_ledger: Database) -> None:
    rows = execute(database, f"SELECT created, capture_before, {capture_by_sql()} FROM payment "
                             "ORDER BY id").fetchall()
    assert any(before is None for _, before, _ in rows)
    assert any(before is not None for _, before, _ in rows)
    for created, before, deadline in rows:
        assert deadline == capture_by(created, before)


def _expected(objects: list[dict[str, Any]], canceled_at: dict[str, int], period: Period,
              now: int) -> dict[str, Holds]:
    """The definitions of ledger.analytics_holds, in Python, one object at a time."""
    figures: dict[str, dict[str, int]] = {}
    for obj in objects:
        charge = obj["latest_charge"]
        deadline = capture_by(obj["created"], charge["payment_method_details"]["card"].get(
            "capture_before"))
        amount = obj["amount_capturable"] or obj["amount"]
        status, reason = obj["status"], obj["cancellation_reason"]
        each = figures.setdefault(obj["currency"], dict.fromkeys(HOLD_FIELDS, 0))
        if status == "requires_capture" and deadline >= now:
            each["authorized_not_captured"] += 1
            each["authorized_not_captured_amount"] += amount
            if deadline <= now + 86_400:
                each["authorized_lapsing_24h"] += 1
                each["authorized_lapsing_24h_amount"] += amount
        manual = obj["capture_method"] == "manual"
        lapsed = status == "requires_capture" or (status == "canceled" and manual and (
            reason == "automatic"
            or (reason == "abandoned" and canceled_at.get(obj["id"], -1) >= deadline)))
        if lapsed and period.start <= deadline < min(period.end, now):
            each["holds_lapsed"] += 1
            each["holds_lapsed_amount"] += amount
    return {code: Holds(code, **each) for code, each in sorted(figures.items())
            if any(each.values())}


def test_random_holds_agree_with_the_definitions_in_python(ledger: Database) -> None:
    rng = random.Random(14)
    objects, canceled_at = [], {}
    for n in range(300):
        created = NOW - rng.randrange(30 * DAY)
        status = rng.choice(("requires_capture", "canceled", "succeeded"))
        before = rng.choice((None, created + rng.randrange(1, 8 * DAY)))
        obj = hold(f"pi_r{n}", created, rng.randrange(100, 10_000), rng.choice(("usd", "jpy")),
                   status=status, capture_before=before,
                   capturable=rng.choice((None, 0, 50)),
                   reason=rng.choice(("automatic", "abandoned", "duplicate"))
                   if status == "canceled" else None,
                   capture_method=rng.choice(("manual", "manual", "automatic")))
        objects.append(obj)
        if status == "canceled" and rng.random() < 0.8:  # some cancels came with no event
            canceled_at[obj["id"]] = capture_by(created, before) + rng.randrange(-DAY, DAY)
    fill(ledger, [o for o in objects if o["id"] not in canceled_at])
    for number, (pid, when) in enumerate(sorted(canceled_at.items())):
        intent = next(o for o in objects if o["id"] == pid)
        store_event(canceled_event(f"evt_r{number}", when, intent))
    for period in (PERIOD, PERIOD.previous(), Period.today(NOW)):
        assert holds(period, NOW) == _expected(objects, canceled_at, period, NOW)
    usd = holds(PERIOD, NOW)["usd"]  # the draw has some of each
    assert usd.authorized_lapsing_24h and usd.holds_lapsed > usd.authorized_lapsing_24h
