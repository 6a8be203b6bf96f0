"""The console over a small fixed ledger, driven with Pilot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from peewee import Database
from textual.command import CommandList
from textual.widgets import Static, TabbedContent

from console.cli import main
from console.commands import key_table
from console.context import ConsoleContext, Mode
from console.errors import ConfigError
from console.panes.payments import PaymentsTable
from console.screens.payment_detail import PaymentDetailScreen
from sync.health import SyncHealth, save_health
from sync.scheduler import Job
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, AppFactory, payment_objects, write_objects
from tests.helpers import PAYMENTS_NEWEST_FIRST, idle_job, label_text


async def test_payments_pane_shows_the_ledger_newest_first(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(PaymentsTable)
        assert table.has_focus
        assert table.row_count == 7
        assert [table.row_at(i).id for i in range(7)] == PAYMENTS_NEWEST_FIRST
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
    make_app: AppFactory, filled_ledger: Database, wait_for: Waiter) -> None:
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
        await wait_for(lambda: table.row_count == 8, pilot=pilot)
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


async def test_header_ages_follow_the_clock(make_app: AppFactory, wait_for: Waiter) -> None:
    now = [float(NOW)]
    app = make_app(clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        assert "last success 12s ago" in label_text(pilot, "#header-sync")
        now[0] += 60
        await wait_for(lambda: "last success 1m ago" in label_text(pilot, "#header-sync"),
                       pilot=pilot)


async def test_number_keys_switch_panes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.query_one(TabbedContent)
        await pilot.press("5")
        assert tabs.active == "events"
        assert app.query_one("#events-table").has_focus
        await pilot.press("2")
        assert tabs.active == "disputes"


async def test_the_command_palette_runs_app_actions(make_app: AppFactory, wait_for: Waiter
                                                    ) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"show events")
        results = app.screen.query_one(CommandList)
        await wait_for(lambda: results.option_count > 0, pilot=pilot)
        assert "Show Events" in str(results.get_option_at_index(0).prompt)
        await pilot.press("down", "enter", "enter")
        await wait_for(lambda: app.query_one(TabbedContent).active == "events", pilot=pilot)


async def test_events_pane_lists_events_newest_first(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        table = app.query_one("#events-table")
        assert [table.row_at(i).id for i in range(table.row_count)] == [
            "evt_4", "evt_3", "evt_2", "evt_1"]
        assert label_text(pilot, "#events-summary") == "4 events, newest first · row 1"


async def test_the_palette_shows_binding_ids_and_keys_as_remapped(
        make_app: AppFactory, wait_for: Waiter) -> None:
    app = make_app(keymap={"app.pane.events": "e,f5"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"show events")
        results = app.screen.query_one(CommandList)
        await wait_for(lambda: results.option_count > 0, pilot=pilot)
        shown = str(results.get_option_at_index(0).prompt)
        assert "e, f5 · app.pane.events · Switch to the Events pane" in shown


def test_an_unknown_binding_id_in_the_keymap_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        ConsoleContext(ledger_location=tmp_path / "ledger.db", mode=Mode.OFFLINE, operator="ops",
                       keymap={"payments.refnd": "R"})
    assert str(raised.value).startswith(
        "config: console.keymap: unknown binding id 'payments.refnd' (known: analytics.")
    assert "payments.refund" in str(raised.value)


def test_payconsole_says_so_in_one_line_and_exits_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    config = tmp_path / "config.toml"
    config.write_text('[console.keymap]\n"payments.refnd" = "R"\n')
    config.chmod(0o600)
    code = main(["--config", str(config), "--offline", "--ledger", str(tmp_path / "l.db")])
    assert code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("payconsole: config: console.keymap: unknown binding id "
                           "'payments.refnd' (known: ")


def test_the_readme_key_table_is_the_registry() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert key_table() in readme, "regenerate README.md's table from console.commands.key_table()"


def test_every_binding_comes_from_the_registry() -> None:
    console = Path(__file__).resolve().parents[2] / "console"
    declaring = [str(path.relative_to(console)) for path in console.rglob("*.py")
                 if re.search(r"Binding\([^)]*\bid=", path.read_text())]
    assert declaring == ["commands.py"]
