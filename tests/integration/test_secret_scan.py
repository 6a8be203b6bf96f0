"""Secrets and authority, end to end.

A full sync, actions, exports and forced failures run with a known key and webhook secret;
then every output (stdout and stderr of each run, log files, exports, the ledger and its
WAL) is scanned for them. And a live key, or `read_only = true`, refuses every action
command before anything is sent to Stripe.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main
from console.cli_common import log_to_file
from ledger.db import open_ledger
from ledger.export import EXPORTS
from sync.emulator import ControlClient, EmulatorProcess
from sync.gateway import StripeGateway
from sync.service import SyncError, SyncService
from sync.webhook import WebhookReceiver, sign
from tests.helpers import ROOT, cli_env, make_customer_with_card, pay, whole_ledger
from tests.integration.fault_proxy import Fault, FaultProxy

CANARY = "SECRETCANARY"
KEY = f"sk_test_{CANARY}123"
HOOK_SECRET = f"whsec_{CANARY}HOOK"

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ledger_location: str,
        proxy: FaultProxy, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`payconsole ARGS` in-process through the proxy; returns (code, stdout, stderr)."""
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--ledger", ledger_location, "--api-base", proxy.url])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def seed(client: stripe.StripeClient, emulator: EmulatorProcess) -> tuple[str, str, str, str]:
    customer, method = make_customer_with_card(client, "kim@example.com")
    refundable = pay(client, customer, method, 4200).id
    disputed = pay(client, customer, method, 3000)
    dispute = ControlClient(emulator.api_base).create_dispute(disputed.latest_charge)["id"]
    return customer, method, refundable, dispute


def files_holding(folder: Path, needle: str) -> list[str]:
    return [str(path) for path in folder.rglob("*")
            if path.is_file() and needle.encode() in path.read_bytes()]


def test_no_output_or_file_ever_holds_the_key(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient, proxy: FaultProxy,
        cli: Cli, tmp_path: Path, ledger_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer, method, refundable, dispute = seed(stripe_client, emulator)
    outputs: list[str] = []

    def run(*args: str, code: int | None = 0) -> None:
        result = cli(*args)
        outputs.extend(result[1:])
        if code is not None:
            assert result[0] == code, result

    # A real process first: its own stdout and stderr, Python's own output included.
    env = cli_env(tmp_path, STRIPE_API_KEY=KEY, STRIPE_WEBHOOK_SECRET=HOOK_SECRET)
    process = subprocess.run(
        [sys.executable, "-m", "console.cli", "sync", "--once", "--ledger",
         ledger_location, "--api-base", proxy.url],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60)
    outputs += [process.stdout, process.stderr]

    run("refund", refundable, "--amount", "10.00", "--yes")
    run("charge", customer, "--amount", "7.00", "--currency", "usd", "--yes")
    run("method", "update", method, "--exp-month", "3", "--exp-year", "2033")
    run("dispute", "evidence", dispute, "--field", "product_description=A mug")
    run("refund", refundable, "--amount", "9999", "--yes", code=2)  # a refusal, audited
    # Forced failures: a server quoting the key back, in an error and in a broken answer.
    quoted = json.dumps({"error": {"type": "invalid_request_error",
                                   "message": f"Invalid API Key provided: {KEY}"}})
    proxy.inject(Fault(status=401, body=quoted, times=99))
    run("sync", "--once", code=1)
    run("refund", refundable, "--amount", "1.00", "--yes", code=None)
    proxy.clear()
    proxy.inject(Fault(status=200, body=json.dumps({"data": KEY, "has_more": True}),
                       path="/v1/events", times=99))
    run("sync", "--once", code=1)
    proxy.clear()
    run("sync", "--once")
    for kind in sorted(EXPORTS):
        run("export", kind, "--output", str(tmp_path / f"export-{kind}.jsonl"))
        run("export", kind, "--format", "csv")
    run("audit", "verify")
    run("report", code=None)

    log_text = log_secret_failures(tmp_path, ledger_location, monkeypatch)
    assert not [text for text in [*outputs, log_text] if CANARY in text]
    assert files_holding(tmp_path, CANARY) == []
    assert CANARY not in repr(whole_ledger(ledger_location))  # on a server too
    assert "sk_test_…" in "".join(outputs)  # the quoted key was there, redacted


def log_secret_failures(tmp_path: Path, ledger_location: str,
                        monkeypatch: pytest.MonkeyPatch) -> str:
    """The console's log file, at DEBUG for every library, through an exploding sync, an
    unreachable Stripe, and webhooks with bad signatures."""
    log_file = tmp_path / "data" / "payconsole.log"
    log_to_file(log_file)
    logging.getLogger().setLevel(logging.DEBUG)
    open_ledger(ledger_location)
    dead = SyncService(StripeGateway(KEY, "http://127.0.0.1:9", max_network_retries=1))
    with pytest.raises(SyncError):
        dead.run_once()
    monkeypatch.setattr(dead.gateway, "pages", explode)
    with pytest.raises(SyncError):
        dead.run_once()
    logging.getLogger("test").exception("an exception quoting %s", KEY,
                                        exc_info=RuntimeError(KEY))
    import asyncio

    asyncio.run(reject_webhooks(dead))
    logging.getLogger().handlers[0].flush()
    return log_file.read_text()


def explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"unexpected, with {KEY} and {HOOK_SECRET} in it")


async def reject_webhooks(service: SyncService) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    receiver = WebhookReceiver(HOOK_SECRET, service.apply_pushed)
    async with TestClient(TestServer(receiver.app())) as client:
        body = b'{"id": "evt_1"}'
        for signature in (f"t={int(time.time())},v1={HOOK_SECRET}",
                          sign(body, "whsec_other", int(time.time())),
                          sign(body, HOOK_SECRET, int(time.time()))):
            await client.post("/webhook", data=body, headers={"Stripe-Signature": signature})


# -- authority ---------------------------------------------------------------------------


def every_action(customer: str, method: str, payment: str, dispute: str) -> list[list[str]]:
    return [["refund", payment, "--amount", "1", "--yes"],
            ["charge", customer, "--amount", "1", "--currency", "usd", "--yes"],
            ["method", "update", method, "--exp-month", "5", "--exp-year", "2034"],
            ["method", "set-default", method],
            ["method", "detach", method, "--yes"],
            ["dispute", "evidence", dispute, "--field", "product_description=x", "--yes"],
            ["dispute", "accept", dispute, "--yes"]]


@pytest.mark.parametrize(("environment", "reason"), [
    ({"PAYCONSOLE_CONSOLE__READ_ONLY": "true"}, "read-only"),
    ({"STRIPE_API_KEY": f"sk_live_{CANARY}"}, "live actions are not allowed"),
    ({"STRIPE_API_KEY": f"rk_live_{CANARY}"}, "live actions are not allowed"),
    ({"STRIPE_API_KEY": f"sk_live_{CANARY}", "PAYCONSOLE_CONSOLE__ALLOW_LIVE_ACTIONS": "true",
      "PAYCONSOLE_CONSOLE__READ_ONLY": "true"}, "read-only"),
])
def test_live_keys_and_read_only_refuse_every_action_before_sending(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient, proxy: FaultProxy,
        cli: Cli, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str],
        reason: str) -> None:
    ids = seed(stripe_client, emulator)
    assert cli("sync", "--once")[0] == 0
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    sent = len(proxy.seen)
    for command in every_action(*ids):
        code, out, err = cli(*command)
        assert (code, out) == (2, ""), command
        assert reason in err and CANARY not in err
    assert len(proxy.seen) == sent  # not even a read: nothing reached Stripe
