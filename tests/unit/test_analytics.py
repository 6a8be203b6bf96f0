"""Analytics figures against hand-computed ones on a fixed ledger, UTC day boundaries,
and a 10,000-payment ledger against plain SQL."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger import analytics, rollups
from ledger.analytics import (
    DAY,
    MASTERCARD_DISPUTE_THRESHOLD,
    VISA_DISPUTE_THRESHOLD,
    BrandVolume,
    Figures,
    Period,
    Standing,
    Tally,
    dispute_standing,
    midnight,
)
from ledger.daily_totals import REBUILD
from ledger.db import open_ledger
from ledger.dialect import dialect_of
from tests.helpers import at, fill, fraud_warning, intent, query_plan

NOVEMBER = Period.days(date(2026, 11, 1), date(2026, 11, 30))


# -- figures ------------------------------------------------------------------------------


def test_summary_matches_hand_computed_figures(fixed_ledger: SqliteDatabase) -> None:
    figures = analytics.summary(NOVEMBER)
    assert list(figures) == ["eur", "jpy", "kwd", "usd"]
    assert figures["usd"] == Figures(
        "usd", gross=19550, refunded=3500, refunds=2, disputes=2, disputed_lost=2550,
        payments_succeeded=4, payments_attempted=6, early_fraud_warnings=2,
    )
    usd = figures["usd"]
    assert usd.net == 19550 - 3500 - 2550
    assert usd.success_rate == pytest.approx(4 / 6)
    assert usd.average_payment == 4888  # 19550 / 4 = 4887.5, rounded half up
    assert usd.refund_rate == pytest.approx(3500 / 19550)
    assert usd.dispute_rate == pytest.approx(2 / 4)
    assert figures["jpy"] == Figures("jpy", gross=4500, refunded=500, refunds=1, disputes=1,
                                     payments_succeeded=2, payments_attempted=3)
    assert (figures["jpy"].net, figures["jpy"].average_payment) == (4000, 2250)
    assert figures["kwd"] == Figures("kwd", gross=12345, disputes=1, disputed_lost=12345,
                                     payments_succeeded=1, payments_attempted=1)
    assert figures["kwd"].net == 0
    assert figures["kwd"].dispute_rate == 1.0


def test_a_currency_with_only_failures_has_no_averages(fixed_ledger: SqliteDatabase) -> None:
    eur = analytics.summary(NOVEMBER)["eur"]
    assert (eur.gross, eur.payments_succeeded, eur.payments_attempted) == (0, 0, 1)
    assert eur.success_rate == 0.0
    assert (eur.average_payment, eur.refund_rate, eur.dispute_rate) == (None, None, None)


def test_summary_for_one_currency(fixed_ledger: SqliteDatabase) -> None:
    assert list(analytics.summary(NOVEMBER, "JPY")) == ["jpy"]
    assert analytics.summary(NOVEMBER, "gbp") == {}


def test_empty_ledger_gives_no_figures(ledger: SqliteDatabase) -> None:
    assert analytics.summary(NOVEMBER) == {}
    assert analytics.daily(NOVEMBER) == {}
    assert analytics.decline_codes(NOVEMBER) == []
    assert analytics.overview(NOVEMBER).comparison == {}


def test_comparison_with_the_previous_period(fixed_ledger: SqliteDatabase) -> None:
    usd = analytics.compare(NOVEMBER)["usd"]
    assert usd.previous == Figures("usd", gross=4000, refunded=300, refunds=1,
                                   payments_succeeded=1, payments_attempted=1,
                                   early_fraud_warnings=1)
    gross = usd.change("gross")
    assert (gross.current, gross.previous, gross.delta) == (19550, 4000, 15550)
    assert gross.relative == pytest.approx(15550 / 4000)
    assert usd.change("success_rate").delta == pytest.approx(4 / 6 - 1)
    assert usd.change("disputed_lost").relative is None  # nothing lost before
    assert analytics.compare(NOVEMBER)["kwd"].previous == Figures("kwd")


# -- periods and the UTC day --------------------------------------------------------------


def test_the_last_second_of_a_day_and_the_first_of_the_next(
    fixed_ledger: SqliteDatabase,
) -> None:
    last_day = Period.days(date(2026, 11, 30), date(2026, 11, 30))
    assert analytics.summary(last_day, "usd")["usd"].gross == 1000  # 23:59:59 is in
    next_day = Period.days(date(2026, 12, 1), date(2026, 12, 1))
    assert analytics.summary(next_day, "usd")["usd"].gross == 99999  # 00:00:00 is the next
    first_day = Period.days(date(2026, 11, 1), date(2026, 11, 1))
    assert analytics.summary(first_day, "usd")["usd"].refunded == 1000
    october_31 = analytics.summary(first_day.previous(), "usd")["usd"]
    assert (october_31.gross, october_31.refunded) == (4000, 0)  # its 23:59:59 payment


def test_previous_period_has_equal_length_and_ends_where_this_starts() -> None:
    previous = NOVEMBER.previous()
    assert previous == Period.days(date(2026, 10, 2), date(2026, 10, 31))
    assert previous.end - previous.start == NOVEMBER.end - NOVEMBER.start
    odd = Period.between(1000, 4600)
    assert odd.previous() == Period(-2600, 1000)


def test_period_helpers_use_utc_days() -> None:
    now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert analytics.DAY_BOUNDARY == "UTC"
    assert Period.today(now) == Period(midnight(date(2026, 11, 30)), midnight(date(2026, 12, 1)))
    assert Period.last_days(30, now) == NOVEMBER
    assert Period.last_days(30, int(now.timestamp())) == NOVEMBER
    assert NOVEMBER.start == midnight(date(2026, 11, 1))
    assert len(NOVEMBER.dates()) == 30
    with pytest.raises(ValueError, match="timezone"):
        Period.between(datetime(2026, 11, 1), datetime(2026, 11, 2))
    with pytest.raises(ValueError, match="end after"):
        Period(5, 5)
    with pytest.raises(ValueError, match="at least one day"):
        Period.last_days(0)


# -- series and breakdowns ------------------------------------------------------------------


def test_daily_series_is_zero_filled(fixed_ledger: SqliteDatabase) -> None:
    days = analytics.daily(NOVEMBER)
    usd = days["usd"]
    assert [d.date for d in usd] == NOVEMBER.dates()
    by_date = {d.date.day: d for d in usd}
    assert (by_date[2].gross, by_date[2].payments_attempted) == (10000, 1)
    assert (by_date[3].gross, by_date[3].payments_succeeded, by_date[3].payments_attempted) == (
        2550, 1, 2)
    assert by_date[3].success_rate == 0.5
    assert by_date[1].refunded == 1000 and by_date[10].refunded == 2500
    assert by_date[30].gross == 1000
    assert (by_date[20].gross, by_date[20].refunded, by_date[20].success_rate) == (0, 0, None)
    assert sum(d.gross for d in usd) == 19550
    assert len(days["kwd"]) == 30


def test_top_decline_codes_with_share(fixed_ledger: SqliteDatabase) -> None:
    assert analytics.decline_codes(NOVEMBER) == [
        Tally("insufficient_funds", 2, 0.5),
        Tally("expired_card", 1, 0.25),
        Tally("generic_decline", 1, 0.25),
    ]
    assert analytics.decline_codes(NOVEMBER, limit=1) == [Tally("insufficient_funds", 2, 0.5)]
    assert analytics.decline_codes(NOVEMBER, "usd") == [
        Tally("generic_decline", 1, 0.5), Tally("insufficient_funds", 1, 0.5)
    ]


def test_volume_by_card_brand(fixed_ledger: SqliteDatabase) -> None:
    brands = analytics.card_brands(NOVEMBER)
    assert brands["usd"] == [
        BrandVolume("visa", 2, 11000), BrandVolume("amex", 1, 6000),
        BrandVolume("mastercard", 1, 2550),
    ]
    assert brands["jpy"] == [BrandVolume("visa", 1, 3000), BrandVolume("jcb", 1, 1500)]
    assert "eur" not in brands  # a failed payment is no volume


def test_disputes_by_reason(fixed_ledger: SqliteDatabase) -> None:
    assert analytics.dispute_reasons(NOVEMBER) == [
        Tally("fraudulent", 3, 0.75), Tally("product_not_received", 1, 0.25)
    ]


def test_overview_agrees_with_the_separate_queries(fixed_ledger: SqliteDatabase) -> None:
    view = analytics.overview(NOVEMBER)
    assert view.comparison == analytics.compare(NOVEMBER)
    assert view.daily == analytics.daily(NOVEMBER)
    assert view.card_brands == analytics.card_brands(NOVEMBER)
    assert view.decline_codes == analytics.decline_codes(NOVEMBER)
    assert view.dispute_reasons == analytics.dispute_reasons(NOVEMBER)
    assert analytics.overview(NOVEMBER, "usd").comparison.keys() == {"usd"}


@pytest.mark.parametrize(
    ("rate", "visa", "mastercard"),
    [
        (None, Standing.OK, Standing.OK),
        (0.005, Standing.OK, Standing.OK),
        (0.007, Standing.NEAR, Standing.OK),
        (0.009, Standing.OVER, Standing.OK),
        (0.012, Standing.OVER, Standing.NEAR),
        (0.015, Standing.OVER, Standing.OVER),
    ],
)
def test_dispute_rate_against_network_thresholds(
    rate: float | None, visa: Standing, mastercard: Standing
) -> None:
    assert VISA_DISPUTE_THRESHOLD.rate == 0.009
    assert MASTERCARD_DISPUTE_THRESHOLD.rate == 0.015
    assert dispute_standing(rate, VISA_DISPUTE_THRESHOLD) is visa
    assert dispute_standing(rate, MASTERCARD_DISPUTE_THRESHOLD) is mastercard


def test_aggregates_use_the_covering_indexes(fixed_ledger: SqliteDatabase) -> None:
    where, params = rollups.window(NOVEMBER, "usd")
    for table, index in (("payment", "payment_analytics"), ("refund", "refund_analytics"),
                         ("dispute", "dispute_analytics")):
        plan = query_plan(f"SELECT created / 86400 AS day, currency, count(*) "
                          f"FROM {table} WHERE {where} GROUP BY day, currency", params)
        if dialect_of(fixed_ledger).is_postgres:
            assert f"Index Only Scan using {index}" in plan, plan
            continue
        assert f"COVERING INDEX {index}" in plan
        assert "TEMP B-TREE" not in plan  # grouped in index order: no sort of the rows


# -- a larger ledger against plain SQL --------------------------------------------------------

BULK_START = at(1, 0, 0, 0, month=9)


def bulk_fill(path: Path, payments: int, seed: int = 7) -> None:
    """`payments` payments over 90 days, with refunds and disputes, inserted raw and fast."""
    rnd = random.Random(seed)
    currencies, brands = ("usd", "usd", "eur", "jpy", "kwd"), ("visa", "mastercard", None)
    statuses = ("succeeded",) * 8 + ("requires_payment_method", "canceled", "processing")
    rows = []
    for n in range(payments):
        status = rnd.choice(statuses)
        failed = status != "succeeded" and rnd.random() < 0.6
        amount = rnd.randint(50, 50_000)
        received = amount if status == "succeeded" else 0
        rows.append((f"pi_{n:08d}", BULK_START + rnd.randrange(90 * DAY), amount,
                     rnd.choice(currencies), status, received, received,
                     "card_declined" if failed else None,
                     rnd.choice(("insufficient_funds", None)) if failed else None,
                     rnd.choice(brands)))
    refunds = [(f"re_{n}", BULK_START + rnd.randrange(90 * DAY), rnd.randint(1, 999),
                rnd.choice(currencies), rnd.choice(("succeeded", "failed", None)))
               for n in range(payments // 10)]
    disputes = [(f"dp_{n}", BULK_START + rnd.randrange(90 * DAY), rnd.randint(1, 999),
                 rnd.choice(currencies), rnd.choice(("lost", "won", "needs_response")),
                 rnd.choice(("fraudulent", "duplicate")))
                for n in range(payments // 50)]
    with sqlite3.connect(path) as raw:
        raw.executemany(
            "INSERT INTO payment (id, created, amount, currency, status, amount_captured, "
            "amount_received, failure_code, decline_code, card_brand) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows)
        raw.executemany("INSERT INTO refund (id, created, amount, currency, status) "
                        "VALUES (?,?,?,?,?)", refunds)
        raw.executemany("INSERT INTO dispute (id, created, amount, currency, status, reason) "
                        "VALUES (?,?,?,?,?,?)", disputes)
        for statement in REBUILD:  # written around ledger.writes: totals built as a migration does
            raw.execute(statement)
    raw.close()


@pytest.fixture
def bulk_ledger(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "bulk.db"
    open_ledger(path).close()
    bulk_fill(path, 10_000)
    db = open_ledger(path, read_only=True)
    yield path
    db.close()


def plain_sql(path: Path, start: int, end: int) -> dict[str, tuple[int, ...]]:
    """The same figures by the most direct SQL, with no index tricks."""
    raw = sqlite3.connect(path)
    payments = raw.execute(
        "SELECT currency, SUM(CASE WHEN status = 'succeeded' THEN amount_captured ELSE 0 END),"
        " SUM(status = 'succeeded'), SUM(status = 'succeeded' OR failure_code IS NOT NULL)"
        " FROM payment WHERE created >= ? AND created < ? GROUP BY currency", (start, end))
    refunds = dict((c, s) for c, s in raw.execute(
        "SELECT currency, SUM(amount) FROM refund WHERE created >= ? AND created < ?"
        " AND (status IS NULL OR status NOT IN ('failed', 'canceled')) GROUP BY currency",
        (start, end)))
    disputes = {c: (n, lost) for c, n, lost in raw.execute(
        "SELECT currency, COUNT(*), SUM(CASE WHEN status = 'lost' THEN amount ELSE 0 END)"
        " FROM dispute WHERE created >= ? AND created < ? GROUP BY currency", (start, end))}
    result = {c: (g, s, a, refunds.get(c, 0), *disputes.get(c, (0, 0)))
              for c, g, s, a in payments}
    raw.close()
    return result


@pytest.mark.parametrize(("first", "days"), [(1, 30), (20, 7), (1, 90), (15, 1)])
def test_ten_thousand_payments_agree_with_plain_sql(
    bulk_ledger: Path, first: int, days: int
) -> None:
    period = Period.last_days(days, at(first, month=10) + (days - 1) * DAY)
    expected = plain_sql(bulk_ledger, period.start, period.end)
    figures = analytics.summary(period)
    assert {
        code: (f.gross, f.payments_succeeded, f.payments_attempted, f.refunded, f.disputes,
               f.disputed_lost)
        for code, f in figures.items()
    } == expected
    daily = analytics.daily(period)
    for code, f in figures.items():
        assert sum(d.gross for d in daily[code]) == f.gross
        assert sum(d.refunded for d in daily[code]) == f.refunded
        assert sum(b.gross for b in analytics.card_brands(period)[code]) == f.gross
    failed = sum(f.payments_attempted - f.payments_succeeded for f in figures.values())
    assert sum(t.count for t in analytics.decline_codes(period, limit=100)) == failed


def refunded_charge(pid: str, created: int, amount: int, *, refunded: int) -> dict[str, Any]:
    """A USD payment's charge after refunds of `refunded`."""
    return {"object": "charge", "id": f"ch_{pid}", "payment_intent": pid, "created": created,
            "amount": amount, "currency": "usd", "captured": True, "amount_captured": amount,
            "amount_refunded": refunded, "refunded": refunded >= amount}


def test_early_fraud_warnings_and_the_share_refunded(ledger: SqliteDatabase) -> None:
    november = Period.days(date(2026, 11, 1), date(2026, 11, 30))
    fill(ledger, [
        intent("pi_f1", at(3), 4000, "usd", "succeeded"),
        intent("pi_f2", at(4), 1000, "usd", "succeeded"),
        intent("pi_f3", at(5), 900, "eur", "succeeded"),
        refunded_charge("pi_f1", at(6), 4000, refunded=4000),  # the whole payment: counted
        refunded_charge("pi_f2", at(6), 1000, refunded=400),  # a part: not counted
        fraud_warning("issfr_f1", "pi_f1", at(5)),
        fraud_warning("issfr_f2", "pi_f2", at(5)),
        fraud_warning("issfr_f3", "pi_f3", at(1, 0, 0, 0, month=12)),  # after the period
        fraud_warning("issfr_f4", "pi_unknown", at(7)),  # its payment not synced: no currency
    ])
    figures = analytics.summary(november)
    usd = figures["usd"]
    assert (usd.early_fraud_warnings, usd.efw_refunded, usd.efw_refunded_share) == (2, 1, 0.5)
    assert figures["eur"].early_fraud_warnings == 0
    assert figures["eur"].efw_refunded_share is None
    assert analytics.summary(november, "EUR")["eur"].early_fraud_warnings == 0
