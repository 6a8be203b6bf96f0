"""Deadline alerts in the console with Pilot, on the fixed ledger and a frozen clock: a
dispute within a threshold alerts at once (toast, bell, header badge) and, with a command
set, runs it off the UI thread; the next console on the same ledger does not alert again."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from sync.deadline_alerts import AlertSettings
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, write_objects
from tests.helpers import OPERATOR, label_text, notes_of

HOUR = 3600
THRESHOLDS = (72 * HOUR, 24 * HOUR, 4 * HOUR)


@pytest.fixture
def due_soon(filled_ledger: SqliteDatabase) -> None:
    write_objects(filled_ledger, [
        {"object": "dispute", "id": "dp_soon", "charge": "ch_usd", "payment_intent": "pi_usd",
         "created": NOW - 86400, "amount": 1250, "currency": "usd", "status": "needs_response",
         "reason": "product_not_received", "evidence_details": {"due_by": NOW + 3 * HOUR}}],
        as_of=NOW - 60)


def console(ledger_location: str, settings: AlertSettings) -> PayConsoleApp:
    context = ConsoleContext(ledger_location=ledger_location, mode=Mode.TEST,
                             operator=OPERATOR, alerts=settings)
    return PayConsoleApp(context, clock=lambda: NOW)


async def test_a_dispute_near_its_deadline_alerts_once(
        due_soon: None, tmp_path: Path, ledger_location: str,
        monkeypatch: pytest.MonkeyPatch, wait_for: Waiter) -> None:
    received = tmp_path / "received.json"
    command = (sys.executable, "-c", f"import sys; open({str(received)!r}, 'w').write("
               "sys.stdin.read())")
    app = console(ledger_location, AlertSettings(THRESHOLDS, command))
    notes = notes_of(app, monkeypatch)
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: bool(notes), pilot=pilot)
        await pilot.pause()
        assert label_text(pilot, "#header-deadlines") == (
            " ⏰ 1 dispute near the evidence deadline ")
    assert notes == ["dp_soon: 12.50 USD product_not_received, evidence due 2026-11-18 "
                     "14:06 UTC, 3 h left (within 4h)"]
    assert bells == [1]
    assert '"dispute": "dp_soon"' in received.read_text()

    again = console(ledger_location, AlertSettings(THRESHOLDS, command))
    later = notes_of(again, monkeypatch)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        assert label_text(pilot, "#header-deadlines") != ""  # the badge stays
    assert later == []


async def test_a_failing_command_is_shown(due_soon: None, ledger_location: str,
                                          monkeypatch: pytest.MonkeyPatch,
                                          wait_for: Waiter) -> None:
    app = console(ledger_location, AlertSettings(THRESHOLDS, ("/nonexistent/notify",)))
    notes = notes_of(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: len(notes) == 2, pilot=pilot)
    assert notes[1].startswith("alert command /nonexistent/notify could not run")


async def test_an_offline_review_never_alerts(due_soon: None, ledger_location: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    context = ConsoleContext(ledger_location=ledger_location, mode=Mode.OFFLINE,
                             operator=OPERATOR, alerts=AlertSettings(THRESHOLDS))
    app = PayConsoleApp(context, clock=lambda: NOW)
    notes = notes_of(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        assert app.deadline_alerter is None
    assert notes == []
