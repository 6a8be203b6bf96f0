"""The console over a small fixed ledger, driven with Pilot."""

from __future__ import annotations

from collections.abc import Callable

from peewee import SqliteDatabase
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Label, Static, TabbedContent

from console.context import Mode
from console.panes.payments import PaymentsTable
from console.screens.payment_detail import PaymentDetailScreen
from sync.health import SyncHealth, save_health
from sync.scheduler import Job
from tests.console.conftest import NOW, SIZE, AppFactory, payment_objects, write_objects

NEWEST_FIRST = ["pi_disputed", "pi_action", "pi_refunded", "pi_declined", "pi_kwd",
                "pi_jpy", "pi_usd"]


async def wait_until(pilot: Pilot, condition: Callable[[], bool]) -> None:
    """Let the app run until `condition` holds (a job runs in a thread), or fail."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("the app never reached the expected state")


def idle_job() -> Job:
    """A sync job that only runs when asked to."""
    return Job("sync", lambda: None, every_seconds=3600, run_at_start=False)


def label_text(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.query_one(selector, Label).content)


async def test_payments_pane_shows_the_ledger_newest_first(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(PaymentsTable)
        assert table.has_focus
        assert table.row_count == 7
        assert [table.row_at(i).id for i in range(7)] == NEWEST_FIRST
        assert table.cursor_id == "pi_disputed"
        assert label_text(pilot, "#header-count") == "7 payments"
        assert label_text(pilot, "#payments-summary").startswith("7 payments, newest first")


async def test_end_reaches_the_oldest_payment(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("pagedown", "end")
        table = app.query_one(PaymentsTable)
        assert (table.cursor, table.cursor_id) == (6, "pi_usd")
        assert label_text(pilot, "#payments-summary").endswith("row 7")
        await pilot.press("home", "down")
        assert table.cursor_id == "pi_action"


async def test_enter_opens_the_detail_with_its_timeline(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "enter")
        screen = app.screen
        assert isinstance(screen, PaymentDetailScreen)
        assert screen.detail.payment.id == "pi_refunded"
        assert [e.event_id for e in screen.detail.timeline] == [
            "evt_1", "evt_2", "evt_3", "evt_4"]
        assert len(screen.query(Static)) > 0
        await pilot.press("escape")
        assert not isinstance(app.screen, PaymentDetailScreen)


async def test_a_synced_payment_appears_on_top_and_the_cursor_stays(
    make_app: AppFactory, filled_ledger: SqliteDatabase
) -> None:
    def sync() -> str:  # what the real sync does, as far as the app can tell
        write_objects(filled_ledger, payment_objects("pi_new", NOW, 999, "usd", "succeeded"),
                      as_of=NOW)
        return "1 new payment"

    app = make_app(jobs=[Job("sync", sync, every_seconds=3600, run_at_start=False)])
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(PaymentsTable)
        await pilot.press("down", "down")
        assert (table.cursor, table.cursor_id) == (2, "pi_refunded")
        await pilot.press("s")
        await wait_until(pilot, lambda: table.row_count == 8)
        assert table.row_at(0).id == "pi_new"
        assert (table.cursor, table.cursor_id) == (3, "pi_refunded")
        assert label_text(pilot, "#header-count") == "8 payments"


async def test_q_stops_and_calls_on_exit_once(make_app: AppFactory) -> None:
    calls: list[str] = []
    app = make_app(jobs=[idle_job()], on_exit=lambda: calls.append("exit"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert calls == ["exit"]
    assert calls == ["exit"]
    assert app.return_code == 0


async def test_keys_can_be_remapped_by_binding_id(make_app: AppFactory) -> None:
    app = make_app(keymap={"payments.detail": "o", "app.pane.events": "e"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert not isinstance(app.screen, PaymentDetailScreen)
        await pilot.press("o")
        assert isinstance(app.screen, PaymentDetailScreen)
        await pilot.press("escape", "e")
        assert app.query_one(TabbedContent).active == "events"


async def test_offline_runs_no_jobs_and_says_so(make_app: AppFactory) -> None:
    ran: list[bool] = []
    job = Job("sync", lambda: ran.append(True), every_seconds=3600)
    app = make_app(mode=Mode.OFFLINE, jobs=[job])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert label_text(pilot, "#header-mode").strip() == "OFFLINE"
        assert label_text(pilot, "#header-sync").startswith("sync off")
        assert app.scheduler is None
    assert ran == []


async def test_header_shows_live_mode_and_the_last_sync_error(make_app: AppFactory) -> None:
    save_health(SyncHealth(last_success=NOW - 125, consecutive_failures=3,
                           last_error="Stripe answered 500\nTraceback ...", events_total=4))
    app = make_app(mode=Mode.LIVE, jobs=[idle_job()])
    async with app.run_test(size=SIZE) as pilot:
        assert app.query_one("#header-mode").has_class("-live")
        assert label_text(pilot, "#header-sync").startswith("sync: last success 2m ago")
        assert label_text(pilot, "#header-error") == "3 failures in a row: Stripe answered 500"


async def test_header_ages_follow_the_clock(make_app: AppFactory) -> None:
    now = [float(NOW)]
    app = make_app(clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        assert "last success 12s ago" in label_text(pilot, "#header-sync")
        now[0] += 60
        await wait_until(pilot, lambda: "last success 1m ago" in label_text(pilot, "#header-sync"))


async def test_number_keys_switch_panes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.query_one(TabbedContent)
        await pilot.press("5")
        assert tabs.active == "events"
        assert app.query_one("#events-table").has_focus
        await pilot.press("2")
        assert tabs.active == "disputes"


async def test_the_command_palette_runs_app_actions(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"show events")
        results = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: results.option_count > 0)
        assert "Show Events" in str(results.get_option_at_index(0).prompt)
        await pilot.press("down", "enter", "enter")
        await wait_until(pilot, lambda: app.query_one(TabbedContent).active == "events")


async def test_events_pane_lists_events_newest_first(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        table = app.query_one("#events-table")
        assert [table.row_at(i).id for i in range(table.row_count)] == [
            "evt_4", "evt_3", "evt_2", "evt_1"]
        assert label_text(pilot, "#events-summary") == "4 events, newest first · row 1"
