"""Dispute deadline alerts with a fixed clock: each threshold alerts once, in order, and never
again (after a restart, or from a second console or cron job); a jump past several alerts
once; the command gets one JSON object and its failures are reported, not raised; the
config's durations; `payconsole alerts --once`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from console.cli import main
from console.config import load_settings
from console.errors import ConfigError
from ledger.db import open_ledger
from ledger.deadline_alerts import (
    OpenDeadline,
    alerted_open_count,
    claim_new_crossings,
    crossings,
    parse_threshold,
)
from sync.alert_command import run_alert_command
from sync.deadline_alerts import AlertSettings, send_deadline_alerts
from tests.helpers import dispute, fill

HOUR = 3600
THRESHOLDS = (72 * HOUR, 24 * HOUR, 4 * HOUR)
DUE = 1_800_000_000


@pytest.fixture
def open_dispute(ledger: SqliteDatabase) -> None:
    """dp_a needs a response by DUE; dp_closed is lost and never alerts."""
    fill(ledger, [
        {**dispute("dp_a", "pi_a", DUE - 7 * 86_400, 4200, "usd", "needs_response",
                   "fraudulent"), "evidence_details": {"due_by": DUE}},
        {**dispute("dp_closed", "pi_b", DUE - 7 * 86_400, 900, "usd", "lost", "general"),
         "evidence_details": {"due_by": DUE}},
    ])


def claimed_at(hours_left: float) -> list[tuple[str, int]]:
    now = int(DUE - hours_left * HOUR)
    return [(c.dispute.id, c.threshold) for c in claim_new_crossings(now, THRESHOLDS)]


def test_durations() -> None:
    assert [parse_threshold(t) for t in ("72h", "3d", "90m", " 4 h ")] == [
        259_200, 259_200, 5_400, 14_400]
    for bad in ("0h", "4", "4 hours", "-4h", "", "1.5h"):
        with pytest.raises(ValueError, match="not a duration"):
            parse_threshold(bad)


def test_the_decision_at_each_threshold() -> None:
    deadline = OpenDeadline("dp_a", DUE, 4200, "usd", "fraudulent")

    def at(hours_left: float, alerted: set[tuple[str, int]]) -> list[int]:
        return [c.threshold for c in crossings([deadline], THRESHOLDS, alerted,
                                               int(DUE - hours_left * HOUR))]

    assert at(73, set()) == []
    assert at(72, set()) == [72 * HOUR]  # exactly at the threshold counts
    assert at(30, {("dp_a", 72 * HOUR)}) == []
    assert at(24, {("dp_a", 72 * HOUR)}) == [24 * HOUR]
    assert at(4, {("dp_a", 72 * HOUR), ("dp_a", 24 * HOUR)}) == [4 * HOUR]
    assert at(1, {("dp_a", t) for t in THRESHOLDS}) == []
    assert at(-1, set()) == []  # overdue: the pane shows it, no alert
    (jump,) = crossings([deadline], THRESHOLDS, set(), DUE - 3 * HOUR)
    assert (jump.threshold, jump.covers) == (4 * HOUR, (4 * HOUR, 24 * HOUR, 72 * HOUR))
    assert jump.payload() == {"dispute": "dp_a", "amount": 4200, "currency": "usd",
                              "reason": "fraudulent", "due_by": DUE, "hours_left": 3.0,
                              "threshold": "4h"}


def test_each_threshold_alerts_once_even_after_a_restart(
        open_dispute: None, ledger_location: str) -> None:
    assert claimed_at(80) == []
    assert claimed_at(71.5) == [("dp_a", 72 * HOUR)]
    assert claimed_at(71) == []  # the same console, a minute later
    open_ledger(ledger_location)  # a restart, or a second console on the ledger
    assert claimed_at(70) == []
    assert claimed_at(23) == [("dp_a", 24 * HOUR)]
    assert claimed_at(3.5) == [("dp_a", 4 * HOUR)]
    assert claimed_at(2) == []
    assert alerted_open_count(DUE - 2 * HOUR) == 1
    assert alerted_open_count(DUE + 1) == 0  # overdue now: no longer counted


def test_a_jump_past_every_threshold_alerts_once(open_dispute: None) -> None:
    assert claimed_at(3) == [("dp_a", 4 * HOUR)]
    assert claimed_at(2) == []


def write_script(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "alert.py"
    script.write_text(body)
    return [sys.executable, str(script)]


RECORDER = """import json, os, sys
alert = json.load(sys.stdin)
alert["saw_key"] = "STRIPE_API_KEY" in os.environ
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(alert) + "\\n")
"""


def test_the_command_receives_the_alert_as_json(
        open_dispute: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_notforthecommand")
    received = tmp_path / "received.jsonl"
    command = (*write_script(tmp_path, RECORDER), str(received))
    settings = AlertSettings(THRESHOLDS, command)
    (sent,) = send_deadline_alerts(settings, DUE - 20 * HOUR)
    assert sent.command_failure is None
    assert send_deadline_alerts(settings, DUE - 19 * HOUR) == []
    (line,) = received.read_text().splitlines()
    assert json.loads(line) == {"dispute": "dp_a", "amount": 4200, "currency": "usd",
                                "reason": "fraudulent", "due_by": DUE, "hours_left": 20.0,
                                "threshold": "24h", "saw_key": False}


def test_a_failing_command_is_reported_and_the_alert_still_counts(
        open_dispute: None, tmp_path: Path) -> None:
    failing = write_script(tmp_path, "import sys; print('no display', file=sys.stderr); "
                                     "sys.exit(3)")
    (sent,) = send_deadline_alerts(AlertSettings(THRESHOLDS, tuple(failing)), DUE - HOUR)
    assert sent.command_failure is not None
    assert "exited with 3: no display" in sent.command_failure
    assert claimed_at(0.5) == []
    slow = write_script(tmp_path, "import time; time.sleep(5)")
    assert "did not finish within 0.5s" in str(run_alert_command(slow, {}, timeout=0.5))
    assert "could not run" in str(run_alert_command(["/nonexistent/notify"], {}))


def test_config_defaults_and_bad_durations(tmp_path: Path) -> None:
    assert load_settings().alerts.thresholds() == THRESHOLDS
    config = tmp_path / "c.toml"
    config.write_text('[alerts]\ndispute_due_within = ["2d", "soon"]\n')
    with pytest.raises(ConfigError, match=r"alerts\.dispute_due_within: 'soon' is not a "
                                          "duration"):
        load_settings(str(config))


def test_alerts_once_prints_and_runs_the_command(
        open_dispute: None, cli: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    received = tmp_path / "received.jsonl"
    config = tmp_path / "alerts.toml"
    command = [*write_script(tmp_path, RECORDER), str(received)]
    config.write_text(f"[alerts]\ncommand = {json.dumps(command)}\n")
    monkeypatch.setattr("time.time", lambda: DUE - 10 * HOUR)
    assert main(["alerts", "--once", "--config", str(config), *cli]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dp_a: 42.00 USD fraudulent, evidence due") and "within 24h" in out
    assert len(received.read_text().splitlines()) == 1
    assert main(["alerts", "--once", "--config", str(config), *cli]) == 0
    assert capsys.readouterr().out == ""
