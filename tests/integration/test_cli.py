"""The headless CLI against the emulator: `sync --once`, then `export`, in-process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main

pytestmark = pytest.mark.integration

REQUIRED_PAYMENT_FIELDS = {
    "id", "created", "amount", "currency", "status", "amount_refunded", "customer",
    "customer_email", "card_brand", "card_last4", "failure_code",
}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ledger_location: str,
            emulator: Any) -> list[str]:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_payconsole")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return ["--ledger", ledger_location, "--api-base", emulator.api_base]


def seed_payment(client: stripe.StripeClient) -> str:
    customer = client.v1.customers.create({"email": "gus@example.com"})
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 1,
                                  "exp_year": 2032, "cvc": "123"}})
    client.v1.payment_methods.attach(method.id, {"customer": customer.id})
    intent = client.v1.payment_intents.create({
        "amount": 4999, "currency": "eur", "customer": customer.id,
        "payment_method": method.id, "confirm": True, "off_session": True})
    return intent.id


def test_sync_once_then_export_jsonl_and_csv(
    stripe_client: stripe.StripeClient, cli_env: list[str],
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    intent_id = seed_payment(stripe_client)
    assert main(["sync", "--once", *cli_env]) == 0
    assert "backfilled" in capsys.readouterr().out

    assert main(["export", "payments", "--format", "jsonl", *cli_env]) == 0
    lines = capsys.readouterr().out.splitlines()
    payment = json.loads(lines[0])
    assert payment.keys() >= REQUIRED_PAYMENT_FIELDS
    assert (payment["id"], payment["amount"], payment["currency"]) == (intent_id, 4999, "eur")
    assert payment["customer_email"] == "gus@example.com" and payment["card_last4"] == "4242"

    out = tmp_path / "payments.csv"
    assert main(["export", "payments", "--format", "csv", "--output", str(out), *cli_env]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["id"] == intent_id and rows[0]["amount"] == "4999"

    for kind in ("customers", "payment-methods", "refunds", "events"):
        assert main(["export", kind, *cli_env]) == 0
    assert capsys.readouterr().out.count("\n") >= 3  # a customer, a card, the events


def test_sync_once_against_a_dead_server_exits_1(
    cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    dead = [*cli_env[:2], "--api-base", "http://127.0.0.1:9"]
    assert main(["sync", "--once", *dead]) == 1
    err = capsys.readouterr().err
    assert "cannot reach Stripe" in err and "sk_test_payconsole" not in err


def test_offline_export_and_help_never_import_stripe_or_the_emulator(
    stripe_client: stripe.StripeClient, cli_env: list[str], tmp_path: Path
) -> None:
    seed_payment(stripe_client)
    assert main(["sync", "--once", *cli_env]) == 0  # a ledger to open
    ledger = ["--ledger", cli_env[1]]
    script = textwrap.dedent(f"""
        import contextlib, io, sys
        import console.cli as cli
        cli.run_app = lambda context: 0  # the console itself is not what this is about
        for argv in (["--help"], ["export", "payments", *{ledger!r}],
                     ["--offline", *{ledger!r}]):
            with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
                assert cli.main(argv) == 0, argv
            loaded = {{"stripe", "localstripe", "sync.emulator", "sync.demo"}} & set(sys.modules)
            assert not loaded, f"{{argv}} imported {{sorted(loaded)}}"
    """)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
