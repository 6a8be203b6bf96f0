"""Team mode from the command line, each role with its own URL: `team init`, an action that
waits for approval (exit 3), `approvals`, `whoami`, `operators`, `audit show`, and the
service's `payconsole sync --once` running what was asked."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import stripe

from console.cli import main
from tests.helpers import API_KEY, ROOT, TeamLedgerUrls, cli_env, new_payment, read_until

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def as_role(team: TeamLedgerUrls, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
            capsys: pytest.CaptureFixture[str]) -> Run:
    """`as_role(who, *args)`: `payconsole ARGS` connected as `who`; (code, stdout, stderr)."""
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def run(who: str, *args: str) -> tuple[int, str, str]:
        code = main([*args, "--ledger", getattr(team, who), "--api-base", team.api_base])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _synced_payment(as_role: Run, client: stripe.StripeClient, amount: int) -> str:
    intent = new_payment(client, amount)
    code, _, err = as_role("service", "sync", "--once")
    assert code == 0, err
    return str(intent.id)


def test_team_init_is_idempotent(team: TeamLedgerUrls, as_role: Run,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["team", "init", "--admin-url", team.admin, "--admin", "bob"]) == 0
    out = capsys.readouterr().out
    assert "nothing new created" in out and "bob is an admin operator" in out
    code, out, _ = as_role("bob", "operators", "list")
    assert code == 0 and "bob\tadmin\tno limits" in out


def test_a_large_refund_from_the_cli_waits_is_approved_and_runs(
        as_role: Run, stripe_client: stripe.StripeClient) -> None:
    payment_id = _synced_payment(as_role, stripe_client, 9000)
    code, out, err = as_role("alice", "refund", payment_id, "--amount", "80.00", "--yes",
                             "--wait", "0")
    assert code == 3, err
    request_id = int(out.split()[-1])
    assert "waits for the team's sync service" in err

    code, out, _ = as_role("service", "sync", "--once")
    assert code == 0 and "requests: 1 moved" in out
    code, out, _ = as_role("bob", "approvals", "list", "--format", "json")
    (waiting,) = json.loads(out)
    assert (waiting["id"], waiting["requested_by"], waiting["amount"]) == (request_id, "alice",
                                                                             8000)
    code, _, err = as_role("alice", "approvals", "approve", str(request_id))
    assert code == 2 and "nobody approves their own request" in err
    code, out, err = as_role("bob", "approvals", "approve", str(request_id), "--wait", "0")
    assert code == 3 and f"request {request_id}" in out

    code, out, _ = as_role("service", "sync", "--once")
    assert code == 0 and "requests: 2 moved" in out  # the approval judged, the refund run
    code, out, err = as_role("alice", "approvals", "list")
    assert code == 0 and out == ""
    code, out, _ = as_role("alice", "audit", "show", payment_id)
    lines = out.splitlines()
    assert [line.split("  ")[1:4] for line in lines[:4]] == [
        ["alice", "refund", "requested"], ["bob", "refund", "approved"],
        ["alice", "refund", "attempted"], ["alice", "refund", "succeeded"]]
    assert f"request {request_id}" in lines[1]


def test_whoami_and_what_an_operator_may_not_run(as_role: Run,
                                                 stripe_client: stripe.StripeClient) -> None:
    payment_id = _synced_payment(as_role, stripe_client, 3000)
    code, out, _ = as_role("alice", "status", "--format", "json")
    team_status = json.loads(out)["team"]
    assert (team_status["service_role"], team_status["connected_as"],
            team_status["awaiting_approval"]) == ("payconsole_service", "alice", 0)
    code, out, _ = as_role("alice", "whoami")
    assert code == 0
    assert out.splitlines() == ["alice: support; refund 50.00 USD, daily 120.00 USD",
                                "left today (UTC) in USD: 120.00 USD"]
    code, _, err = as_role("alice", "sync", "--once")
    assert code == 2 and "only its sync service's role runs the sync" in err
    code, _, err = as_role("carol", "refund", payment_id, "--yes")
    assert code == 2 and "carol is not an operator of this team ledger" in err
    code, _, err = as_role("alice", "approvals", "reject", "999", "--reason", "no")
    assert code == 2 and "there is no such request" in err


def test_an_admin_adds_an_operator(team: TeamLedgerUrls, as_role: Run) -> None:
    code, _, err = as_role("alice", "operators", "add", "carol", "--role", "disputes",
                           "--wait", "0")
    assert code == 3, err
    assert main(["team", "init", "--admin-url", team.admin, "--admin", "bob"]) == 0
    code, _, err = as_role("bob", "operators", "add", "carol", "--role", "disputes",
                           "--refund-limit", "25.00:eur", "--wait", "0")
    assert code == 3, err
    as_role("service", "sync", "--once")
    code, out, _ = as_role("alice", "operators", "list")
    assert "carol\tdisputes\trefund 25.00 EUR" in out.splitlines()
    code, out, _ = as_role("service", "audit", "show", "carol")
    assert "only an admin manages operators; alice is not one" in out
    code, _, err = as_role("bob", "operators", "set", "carol", "--role", "wizard")
    assert code == 2 and "unknown role wizard" in err


def test_the_service_process_runs_a_request_at_once_not_at_its_next_interval(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient, tmp_path: Path,
        as_role: Run) -> None:
    payment_id = _synced_payment(as_role, stripe_client, 4000)
    env = cli_env(tmp_path, PAYCONSOLE_SYNC__INTERVAL_SECONDS="300")
    service = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "sync", "--ledger", team.service,
         "--api-base", team.api_base], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        read_until(service, "sync: leader")
        started = time.monotonic()
        code, out, err = as_role("alice", "refund", payment_id, "--amount", "5.00", "--yes",
                                 "--wait", "30")
        took = time.monotonic() - started
    finally:
        service.terminate()
        _, service_err = service.communicate(timeout=60)
    assert code == 0, err
    assert "succeeded" in out and took < 30  # long before the next interval (300 s)
    print(f"request to outcome through the service process: {took:.2f}s")
    assert b"Traceback" not in service_err
