"""`payconsole status`: the ledger, its account, sync and webhook health, the last
reconcile and the counts, in text and JSON (stable keys); exit 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main
from ledger.db import open_ledger
from ledger.locations import display_url, is_postgres_url
from ledger.migrations import LATEST_VERSION
from sync.emulator import EmulatorProcess
from sync.service import SyncError, SyncService
from sync.trust import ReconcileSummary, save_last_reconcile
from tests.helpers import SQLITE_ONLY, gateway_for, new_payment
from tests.integration.fault_proxy import Fault, FaultProxy

SECRET = "whsec_statustestsecret"


@pytest.fixture
def status_args(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ledger_location: str
                ) -> list[str]:
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)  # status needs no key
    monkeypatch.delenv("PAYCONSOLE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    return ["status", "--ledger", ledger_location]


def status_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_status_of_a_synced_ledger(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, ledger_location: str,
        status_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    new_payment(stripe_client, 2500)
    open_ledger(ledger_location)
    service = SyncService(gateway_for(emulator.api_base))
    service.run_once()
    pushed = {"id": "evt_pushed", "object": "event", "type": "customer.updated",
              "created": 1_700_000_000, "data": {"object": {
                  "id": "cus_pushed", "object": "customer", "created": 1_700_000_000}}}
    service.apply_pushed(pushed)

    code, status = status_json(status_args, capsys)
    assert code == 0
    assert set(status) == {"backend", "ledger", "schema_version", "schema_latest", "account",
                           "sync", "reconcile", "webhook", "counts", "balance",
                           "leader", "team"}
    assert status["team"] is None  # no `payconsole team init` on this ledger
    shown = (("postgresql", display_url(ledger_location)) if is_postgres_url(ledger_location)
             else ("sqlite", ledger_location))
    assert (status["backend"], status["ledger"]) == shown
    assert status["schema_version"] == status["schema_latest"] == LATEST_VERSION
    assert status["account"] == {
        "id": "acct_payconsole_demo", "name": "payconsole demo", "mode": "test",
        "livemode": False, "country": "US", "default_currency": "usd",
        "label": "payconsole demo (acct_payconsole_demo, test)"}
    assert set(status["sync"]) == {"healthy", "last_success", "lag_seconds", "last_error",
                                   "last_error_at", "consecutive_failures"}
    assert status["sync"]["healthy"] and status["sync"]["last_error"] is None
    assert status["reconcile"] is None
    assert status["webhook"]["listen"] == "127.0.0.1:8787"
    assert status["webhook"]["secret_set"] is True
    assert status["webhook"]["newest_event"]["id"] == "evt_pushed"
    assert status["counts"]["payments"] == 1 and status["counts"]["disputes"] == 0
    assert status["counts"]["events"] > 1
    # 25.00 USD less the emulator's 2.9 % + 0.30 (0.725 rounded half up: 0.73), pending.
    assert (status["balance"]["available"], status["balance"]["pending"]) == (
        {"usd": 0}, {"usd": 2500 - 73 - 30})

    assert main(status_args) == 0
    text = capsys.readouterr().out
    lines = {line.split()[0]: line for line in text.splitlines()}
    leader = ["leader"] if shown[0] == "postgresql" else []
    assert list(lines) == ["ledger", *leader, "account", "sync", "reconcile", "webhook",
                           "counts", "balance"]
    assert lines["ledger"] == (f"ledger     {' '.join(shown)} "
                               f"(schema {LATEST_VERSION} of {LATEST_VERSION})")
    assert "payconsole demo (acct_payconsole_demo, test) · US · usd" in lines["account"]
    assert lines["reconcile"].split() == ["reconcile", "never"]
    assert "(secret set)" in lines["webhook"] and "evt_pushed customer.updated" in lines["webhook"]
    assert "1 payments · 0 disputes" in lines["counts"]
    assert "0.00 USD available, 23.97 USD pending (as of" in lines["balance"]
    assert SECRET not in text


def test_a_failed_sync_and_a_reconcile_are_reported(
        stripe_client: stripe.StripeClient, proxy: FaultProxy, ledger_location: str,
        status_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    open_ledger(ledger_location)
    service = SyncService(gateway_for(proxy.url))
    service.run_once()
    save_last_reconcile(ReconcileSummary(at=1_700_000_000, since=1, until=2,
                                         checked={"payments": 3}, different=2, repaired=2))
    proxy.inject(Fault(status=500, path="/v1/events"))
    with pytest.raises(SyncError):
        service.run_once()

    code, status = status_json(status_args, capsys)
    assert code == 1
    assert status["sync"]["healthy"] is False and status["sync"]["consecutive_failures"] == 1
    assert "injected fault" in status["sync"]["last_error"]
    assert status["reconcile"] == {"at": 1_700_000_000, "since": 1, "until": 2,
                                   "checked": {"payments": 3}, "missing": 0, "different": 2,
                                   "extra": 0, "repaired": 2, "drift": 2}
    assert main(status_args) == 1
    text = capsys.readouterr().out
    assert "FAILING (1 in a row)" in text and "drift 2 (missing 0, different 2" in text


@SQLITE_ONLY
def test_a_ledger_that_cannot_be_opened_exits_2(
        tmp_path: Path, status_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite only: a missing file and a file that is not a database are a file's faults."""
    assert main(status_args) == 2
    assert capsys.readouterr().err.strip() == f"payconsole: no ledger at {tmp_path}/ledger.db"
    (tmp_path / "ledger.db").write_text("not a database")
    assert main(status_args) == 2
    assert "ledger.db" in capsys.readouterr().err
