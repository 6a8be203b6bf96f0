"""The Analytics pane on a fixed seeded ledger: its figures are ledger.analytics's, they
follow the period and currency chosen, and they are computed in a worker thread."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from peewee import Database
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label

from console.app import PayConsoleApp
from console.panes import analytics as analytics_pane
from console.panes.analytics import AnalyticsPane
from console.widgets.charts import DailyVolumeChart
from console.widgets.tiles import TILES, TileBoard, show_value
from ledger import analytics
from ledger.analytics import DAY, Period
from ledger.analytics_holds import compare_holds
from ledger.money import format_amount
from sync.scheduler import Job
from tests.conftest import Waiter
from tests.console.conftest import (
    NOW,
    SIZE,
    AppFactory,
    payment_objects,
    write_objects,
)
from tests.helpers import hold

DECLINES = ("insufficient_funds", "do_not_honor", "insufficient_funds", "lost_card")


def holds() -> list[dict[str, Any]]:
    """Two USD holds (one lapsing within 24 h), an EUR one that lapsed 3 days ago and a USD
    one that lapsed in the 30 days before the default period."""
    return [
        hold("pi_hold_soon", NOW - 6 * DAY, 4200, capture_before=NOW + 5 * 3600),
        hold("pi_hold_later", NOW - 3 * DAY, 12000, capture_before=NOW + 4 * DAY),
        hold("pi_hold_lapsed", NOW - 10 * DAY, 2500, "eur", status="canceled",
             reason="automatic", capture_before=NOW - 3 * DAY),
        hold("pi_hold_older", NOW - 40 * DAY, 900, status="canceled", reason="automatic",
             capture_before=NOW - 35 * DAY),
    ]


def history() -> list[dict[str, Any]]:
    """Forty days of payments before the fixed ledger's day: USD daily, EUR every 5th day,
    JPY every 7th; declines every 3rd day, refunds every 4th, two USD disputes, and holds."""
    objects: list[dict[str, Any]] = holds()
    for ago in range(1, 41):
        created = NOW - ago * DAY
        brand = ("visa", "mastercard", "amex")[ago % 3]
        objects += payment_objects(f"pi_h{ago}", created, 1000 + 137 * ago, "usd", "succeeded",
                                   brand=brand, email=f"h{ago}@example.com")
        if ago % 3 == 0:
            code = DECLINES[ago // 3 % len(DECLINES)]
            error = {"last_payment_error": {"code": "card_declined", "decline_code": code}}
            objects += payment_objects(f"pi_d{ago}", created + 60, 4000, "usd",
                                       "requires_payment_method", intent_extra=error,
                                       status="failed", captured=False,
                                       failure_code="card_declined")
        if ago % 4 == 0:
            objects.append({"object": "refund", "id": f"re_h{ago}", "charge": f"ch_h{ago}",
                            "payment_intent": f"pi_h{ago}", "created": created + 600,
                            "amount": 500, "currency": "usd", "status": "succeeded"})
        if ago % 5 == 0:
            objects += payment_objects(f"pi_e{ago}", created + 120, 2500, "eur", "succeeded",
                                       brand="visa")
        if ago % 7 == 0:
            objects += payment_objects(f"pi_j{ago}", created + 180, 3000, "jpy", "succeeded",
                                       brand="jcb")
    for ago, status, reason in ((3, "lost", "fraudulent"), (12, "needs_response",
                                                             "product_not_received")):
        objects.append({
            "object": "dispute", "id": f"dp_h{ago}", "charge": f"ch_h{ago}",
            "payment_intent": f"pi_h{ago}", "created": NOW - ago * DAY + 3600,
            "amount": 1000 + 137 * ago, "currency": "usd", "status": status, "reason": reason,
            "evidence_details": {"due_by": NOW + 5 * DAY, "has_evidence": False,
                                 "submission_count": 0},
        })
    return objects


@pytest.fixture
def seeded(filled_ledger: Database) -> Database:
    write_objects(filled_ledger, history(), as_of=NOW - 60)
    return filled_ledger


def pane(app: PayConsoleApp) -> AnalyticsPane:
    return app.query_one(AnalyticsPane)


async def show_analytics(pilot: Pilot, wait_for: Waiter, press: str = "4") -> AnalyticsPane:
    """Switch to the pane and wait for its first figures."""
    await pilot.press(press)
    analytics_pane_ = pane(pilot.app)
    await wait_for(lambda: analytics_pane_.figures is not None, pilot=pilot)
    await pilot.pause()
    return analytics_pane_


async def figures_for(pilot: Pilot, wait_for: Waiter, period: Period,
                      currency: str | None = None) -> None:
    shown = pane(pilot.app)
    await wait_for(lambda: shown.figures is not None
                   and shown.figures.period == period
                   and not any(w.is_running for w in shown.app.workers), pilot=pilot)
    await pilot.pause()
    assert shown.currency == currency


def tile_texts(app: PayConsoleApp) -> dict[str, dict[str, str]]:
    board = app.query_one(TileBoard)
    return {code: {tile.spec.figure: tile.value for tile in row.tiles}
            for code, row in board.rows.items()}


def expected_texts(period: Period, currency: str | None = None) -> dict[str, dict[str, str]]:
    return {
        code: {spec.figure: show_value(spec, getattr(c.current, spec.figure), code)
               for spec in TILES}
        for code, c in analytics.compare(period, currency).items()
    }


async def test_tiles_show_the_ledgers_figures_per_currency(
    make_app: AppFactory, seeded: Database, wait_for: Waiter) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        shown = await show_analytics(pilot, wait_for)
        period = Period.last_days(30, NOW)
        assert shown.figures is not None and shown.figures.period == period
        texts = tile_texts(app)
        assert texts == expected_texts(period)
        usd = analytics.summary(period, "usd")["usd"]
        assert texts["usd"]["gross"] == format_amount(usd.gross, "usd")
        assert texts["usd"]["net"] == format_amount(usd.gross - usd.refunded - usd.disputed_lost,
                                                    "usd")
        assert texts["jpy"]["gross"] == "13,500 JPY"  # the 4 in history + today's 1,500
        assert texts["kwd"]["gross"] == "1.250 KWD"
        declines = app.query_one("#analytics-declines", DataTable)
        codes = analytics.decline_codes(period)
        assert [str(declines.get_row_at(i)[0]) for i in range(declines.row_count)] == [
            t.key for t in codes]
        assert "days in UTC" in str(app.query_one("#analytics-status", Label).content)


async def test_the_holds_line_shows_the_ledgers_holds(
    make_app: AppFactory, seeded: Database, wait_for: Waiter) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_analytics(pilot, wait_for)
        line = app.query_one("#analytics-holds", Label)
        compared = compare_holds(Period.last_days(30, NOW), NOW)
        assert str(line.content) == analytics_pane.describe_holds(compared)
        assert str(line.content) == (
            "Holds EUR: 0, 0.00 EUR authorized, not captured; 0, 0.00 EUR lapsing within 24 h"
            " · lapsed in the period: 1, 25.00 EUR (the period before: 0, 0.00 EUR)\n"
            "Holds USD: 2, 162.00 USD authorized, not captured; 1, 42.00 USD lapsing within"
            " 24 h · lapsed in the period: 0, 0.00 USD (the period before: 1, 9.00 USD)")
        assert line.has_class("-near")  # one lapses within 24 h
        await pilot.press("c")  # EUR only: nothing lapsing soon
        await figures_for(pilot, wait_for, Period.last_days(30, NOW), "eur")
        assert str(line.content).startswith("Holds EUR: 0, 0.00 EUR") and "USD" not in str(
            line.content)
        assert not line.has_class("-near")
        await pilot.press("t")
        await figures_for(pilot, wait_for, Period.today(NOW), "eur")
        assert str(line.content) == ("Holds: none authorized and not captured, none lapsed in"
                                     " the period")


async def test_changing_period_and_currency_recomputes(
    make_app: AppFactory, seeded: Database, wait_for: Waiter) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        shown = await show_analytics(pilot, wait_for)
        board = app.query_one(TileBoard)
        await pilot.press("w")
        await figures_for(pilot, wait_for, Period.last_days(7, NOW))
        assert tile_texts(app) == expected_texts(Period.last_days(7, NOW))
        await pilot.press("t")
        await figures_for(pilot, wait_for, Period.today(NOW))
        assert tile_texts(app) == expected_texts(Period.today(NOW))
        assert set(board.rows) == {"eur", "gbp", "jpy", "kwd", "usd"}
        await pilot.press("u")
        await figures_for(pilot, wait_for, Period.last_days(90, NOW))
        await pilot.press("c")  # all -> the first currency
        await figures_for(pilot, wait_for, Period.last_days(90, NOW), "eur")
        assert set(board.rows) == {"eur"}
        assert tile_texts(app) == expected_texts(Period.last_days(90, NOW), "eur")
        assert app.query_one(DailyVolumeChart).currency == "eur"
        await pilot.press("c", "c", "c", "c")  # gbp, jpy, kwd, usd
        await figures_for(pilot, wait_for, Period.last_days(90, NOW), "usd")
        await pilot.press("c")
        await figures_for(pilot, wait_for, Period.last_days(90, NOW), None)
        assert shown.currencies == ["eur", "gbp", "jpy", "kwd", "usd"]


async def test_a_custom_range_and_a_bad_one(make_app: AppFactory, seeded: Database,
                                           wait_for: Waiter) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_analytics(pilot, wait_for)
        await pilot.press("r")
        start = app.query_one("#analytics-from", Input)
        assert start.has_focus and start.value == "2026-10-20"  # the period shown
        start.value, app.query_one("#analytics-to", Input).value = "2026-11-01", "2026-11-10"
        await pilot.press("enter")
        custom = Period.days(date(2026, 11, 1), date(2026, 11, 10))
        await figures_for(pilot, wait_for, custom)
        assert tile_texts(app) == expected_texts(custom)
        start.value = "2026-11-31"
        start.focus()
        await pilot.press("enter")
        status = app.query_one("#analytics-status", Label)
        assert "is not a date" in str(status.content) and status.has_class("-error")
        assert pane(app).figures is not None and pane(app).figures.period == custom


async def test_figures_come_from_a_worker_thread_and_follow_each_sync(
    make_app: AppFactory, seeded: Database, monkeypatch: pytest.MonkeyPatch,
    wait_for: Waiter) -> None:
    threads: list[threading.Thread] = []

    def recording(period: Period, currency: str | None = None) -> analytics.Overview:
        threads.append(threading.current_thread())
        return analytics.overview(period, currency)

    monkeypatch.setattr(analytics_pane, "overview", recording)

    def sync() -> str:
        write_objects(seeded, payment_objects("pi_new", NOW, 99_900, "usd", "succeeded"),
                      as_of=NOW)
        return "1 new payment"

    app = make_app(jobs=[Job("sync", sync, every_seconds=3600, run_at_start=False)])
    async with app.run_test(size=SIZE) as pilot:
        await show_analytics(pilot, wait_for)
        assert threads and threading.main_thread() not in threads
        row = app.query_one(TileBoard).rows["usd"]
        before = tile_texts(app)["usd"]["payments_succeeded"]
        await pilot.press("s")
        await wait_for(lambda: tile_texts(app)["usd"]["payments_succeeded"] != before, pilot=pilot)
        assert int(tile_texts(app)["usd"]["payments_succeeded"]) == int(before) + 1
        assert app.query_one(TileBoard).rows["usd"] is row  # updated in place, not remounted
        assert len(threads) == 2 and threading.main_thread() not in threads


async def test_a_sync_while_hidden_waits_until_the_pane_is_shown(
    make_app: AppFactory, seeded: Database, monkeypatch: pytest.MonkeyPatch,
    wait_for: Waiter) -> None:
    calls: list[Period] = []

    def counting(period: Period, currency: str | None = None) -> analytics.Overview:
        calls.append(period)
        return analytics.overview(period, currency)

    monkeypatch.setattr(analytics_pane, "overview", counting)
    app = make_app(jobs=[Job("sync", lambda: "nothing new", every_seconds=3600,
                             run_at_start=False)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause(0.2)
        assert calls == []  # never shown: nothing computed
        await show_analytics(pilot, wait_for)
        assert len(calls) == 1


def test_snapshot_of_the_analytics_pane(
    make_app: AppFactory, seeded: Database, snap_compare: Any, wait_for: Waiter) -> None:
    async def shown(pilot: Pilot) -> None:
        await show_analytics(pilot, wait_for)

    assert snap_compare(make_app(), run_before=shown, terminal_size=(160, 60))
