"""One account per ledger: the first sync records the emulator's account; a key of another
account (a second emulator instance) or of another mode is refused with nothing written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from console.cli import main
from ledger.db import open_ledger
from sync.account import AccountUnreadable, OtherAccount, check_account
from sync.actions import Actions
from sync.emulator import EmulatorProcess
from sync.gateway import StripeGateway
from sync.plans import ActionRefused
from sync.service import SyncError, SyncService
from sync.trust import StripeAccount, load_account
from tests.helpers import API_KEY, ROOT, cli_env, gateway_for, new_payment, whole_ledger
from tests.integration.fault_proxy import Fault, FaultProxy

DEMO = StripeAccount("acct_payconsole_demo", livemode=False, name="payconsole demo",
                     country="US", default_currency="usd")


@pytest.fixture(scope="module")
def other_emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(state=None, account_id="acct_other", account_name="Other Ltd") as other:
        yield other


@pytest.fixture
def synced_ledger(stripe_client: stripe.StripeClient, emulator: EmulatorProcess,
                  tmp_path: Path, ledger_location: str, monkeypatch: pytest.MonkeyPatch
                  ) -> tuple[str, str]:
    """A ledger synced once with the session emulator's account; a payment in it. The
    CLI gets the test key and folders of its own."""
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.delenv("PAYCONSOLE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    payment = new_payment(stripe_client, 1500).id
    open_ledger(ledger_location)
    SyncService(gateway_for(emulator.api_base)).run_once()
    return ledger_location, str(payment)


def test_the_first_sync_records_the_account(synced_ledger: tuple[str, str]) -> None:
    assert load_account() == DEMO
    assert DEMO.label == "payconsole demo (acct_payconsole_demo, test)"


def test_the_account_is_asked_once_per_gateway(
        stripe_client: stripe.StripeClient, proxy: FaultProxy, ledger_location: str) -> None:
    open_ledger(ledger_location)
    service = SyncService(gateway_for(proxy.url))
    service.run_once()
    service.run_once()
    assert len(proxy.outcomes("/v1/account")) == 1


def run_cli(path: str, api_base: str, *command: str) -> int:
    """`payconsole COMMAND` on the ledger at `path`, with the test key, on `api_base`."""
    return main([*command, "--ledger", str(path), "--api-base", api_base])


def test_sync_with_another_accounts_key_writes_nothing(
        synced_ledger: tuple[str, str], other_emulator: EmulatorProcess,
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = synced_ledger
    before = whole_ledger(path)
    assert run_cli(path, other_emulator.api_base, "sync", "--once") == 2
    err = capsys.readouterr().err.strip()
    assert err == ("payconsole: this ledger belongs to payconsole demo (acct_payconsole_demo, "
                   "test), but the key is of Other Ltd (acct_other, test): refused, nothing "
                   "written (use that account's key, or another ledger: --ledger or a profile)")
    assert whole_ledger(path) == before


def test_a_live_key_on_a_test_ledger_is_refused(
        synced_ledger: tuple[str, str], emulator: EmulatorProcess) -> None:
    path, _ = synced_ledger
    before = whole_ledger(path)
    live = StripeGateway("sk_live_payconsole", emulator.api_base, max_network_retries=0)
    with pytest.raises(OtherAccount, match=r"key is of payconsole demo \(acct_payconsole_demo, "
                                           r"live\)"):
        SyncService(live).run_once()
    assert whole_ledger(path) == before


def test_operator_actions_with_another_accounts_key_are_refused(
        synced_ledger: tuple[str, str], other_emulator: EmulatorProcess,
        capsys: pytest.CaptureFixture[str]) -> None:
    path, payment = synced_ledger
    before = whole_ledger(path)
    assert run_cli(path, other_emulator.api_base, "refund", payment, "--yes") == 2
    assert "belongs to payconsole demo" in capsys.readouterr().err
    # The console's path: a plan made from the ledger, refused at execute.
    actions = Actions(gateway_for(other_emulator.api_base), "alice")
    plan = actions.plan_refund(payment)
    with pytest.raises(ActionRefused, match="key is of Other Ltd"):
        actions.execute(plan)
    assert whole_ledger(path) == before


def test_the_console_sync_stops_until_asked_and_webhooks_are_refused(
        synced_ledger: tuple[str, str], other_emulator: EmulatorProcess) -> None:
    path, _ = synced_ledger
    before = whole_ledger(path)
    other = FaultProxy(other_emulator.api_base).start()
    try:
        service = SyncService(gateway_for(other.url))
        with pytest.raises(OtherAccount):
            service.run_due()
        assert service.run_due() is None  # scheduled runs: nothing sent any more
        assert len(other.seen) == 1
        service.retry_now()  # the operator's "sync now" says it again
        with pytest.raises(OtherAccount):
            service.run_due()
        event = {"id": "evt_1", "object": "event", "type": "customer.created", "created": 1,
                 "data": {"object": {"id": "cus_1", "object": "customer", "created": 1}}}
        with pytest.raises(SyncError, match="belongs to payconsole demo"):
            service.apply_pushed(event)
    finally:
        other.stop()
    assert whole_ledger(path) == before


def test_a_key_that_may_not_read_the_account_is_refused(
        stripe_client: stripe.StripeClient, proxy: FaultProxy, ledger_location: str) -> None:
    path = ledger_location
    open_ledger(path)
    before = whole_ledger(path)
    proxy.inject(Fault(status=403, path="/v1/account", body=(
        '{"error": {"type": "invalid_request_error", "message": "The provided key does not '
        'have the required permissions for this endpoint."}}')))
    with pytest.raises(AccountUnreadable, match="give the restricted key read access"):
        SyncService(gateway_for(proxy.url)).run_once()
    assert whole_ledger(path) == before and load_account() is None


def test_check_account_compares_with_the_recorded_one(
        synced_ledger: tuple[str, str], emulator: EmulatorProcess) -> None:
    assert check_account(gateway_for(emulator.api_base)) == DEMO


def test_reconcile_with_another_accounts_key_writes_nothing(
        synced_ledger: tuple[str, str], other_emulator: EmulatorProcess,
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = synced_ledger
    before = whole_ledger(path)
    assert run_cli(path, other_emulator.api_base, "reconcile", "--repair") == 2
    assert "the key is of Other Ltd (acct_other, test)" in capsys.readouterr().err
    assert whole_ledger(path) == before


def test_the_sync_loop_stops_on_another_accounts_key(
        synced_ledger: tuple[str, str], other_emulator: EmulatorProcess, tmp_path: Path) -> None:
    """Headless `payconsole sync` (the loop, not --once) exits 2 instead of idling."""
    path, _ = synced_ledger
    before = whole_ledger(path)
    done = subprocess.run(
        [sys.executable, "-m", "console.cli", "sync", "--ledger", str(path),
         "--api-base", other_emulator.api_base],
        env=cli_env(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "the key is of Other Ltd (acct_other, test)" in done.stderr
    assert whole_ledger(path) == before
