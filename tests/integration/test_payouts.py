"""Payouts against the emulator over HTTP: swept from the available balance, synced by
poll (events) and by backfill, reconciled to their balance transactions or shown short of
them when a transaction was altered on the server, failed and alerted, exported, and
shown by `payconsole payout show` and the console's detail (Pilot)."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from textual.widgets import Static

from console.app import PayConsoleApp
from console.cli import main
from console.context import ConsoleContext, Mode
from console.panes.payouts import PayoutsTable
from console.screens.payout_detail import PayoutDetailScreen
from ledger.payouts import PayoutListing, failed_payouts, payout_detail, reconciliation_text
from sync.actions import Actions
from sync.demo.seed import DAY, PAYOUT_HOUR, seed
from sync.demo.session import emulator_gateway
from sync.emulator import EmulatorProcess
from sync.emulator.control import EmulatorControlError
from sync.gateway import StripeGateway
from sync.service import SyncService
from tests.conftest import Waiter
from tests.helpers import new_payment, sync

SIZE = (150, 40)


@pytest.fixture
def cli_args(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, emulator: EmulatorProcess,
             ledger_location: str) -> list[str]:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_payconsole")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return ["--ledger", ledger_location, "--api-base", emulator.api_base]


@contextlib.contextmanager
def days_ago(emulator: EmulatorProcess, days: float) -> Iterator[None]:
    """The emulator's clock `days` back (a charge's funds become available 2 days after
    it), and real time again after."""
    emulator.control.set_clock(int(time.time() - days * DAY))
    try:
        yield
    finally:
        emulator.control.set_clock(None)


def usd_payments(emulator: EmulatorProcess, client: stripe.StripeClient, days: float = 3
                 ) -> list[Any]:
    """Two USD payments `days` ago, one partly refunded: 40.00 + 25.00 - 5.00 less the
    fees (1.46 and 1.03), 57.51 on the balance, available by now."""
    with days_ago(emulator, days):
        first, second = new_payment(client, 4000), new_payment(client, 2500)
        client.v1.refunds.create({"payment_intent": first.id, "amount": 500})
    return [first, second]


def only_payout(emulator: EmulatorProcess, status: str = "paid") -> dict[str, Any]:
    (payout,) = emulator.control.sweep_payouts(status)
    return payout


def show_json(cli_args: list[str], payout: str, capsys: pytest.CaptureFixture[str]
              ) -> dict[str, Any]:
    assert main(["payout", "show", payout, "--format", "json", *cli_args]) == 0
    shown: dict[str, Any] = json.loads(capsys.readouterr().out)
    return shown


def test_a_payout_arrives_by_poll_with_its_transactions_and_reconciles(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway) -> None:
    first, second = usd_payments(emulator, stripe_client)
    sync(gateway)  # the first sync backfills; the payout comes after, as events
    payout = only_payout(emulator)
    report = SyncService(gateway).run_once()
    assert report.events_new >= 3 and report.payout_transactions == 4
    detail = payout_detail(payout["id"])
    assert detail is not None
    assert (detail.payout.status, detail.payout.amount, detail.payout.currency,
            detail.payout.automatic) == ("paid", 5751, "usd", True)
    assert detail.payout.arrival_date == payout["arrival_date"]
    assert sorted(t.type for t in detail.transactions) == ["charge", "charge", "payout",
                                                           "refund"]
    assert {t.payment for t in detail.counted} == {first.id, second.id}
    rec = detail.reconciliation
    assert (rec.reconciled, rec.difference, rec.transactions_net) == (True, 0, 5751)
    # Nothing more to fetch on the next sync.
    assert SyncService(gateway).run_once().payout_transactions == 0


def test_payouts_are_backfilled_on_a_first_sync(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway) -> None:
    with days_ago(emulator, 3):
        new_payment(stripe_client, 1234, "eur")
    payout = only_payout(emulator)
    report = SyncService(gateway).run_once()
    assert report.backfilled["payouts"] == 1
    detail = payout_detail(payout["id"])
    assert detail is not None and detail.reconciliation.reconciled


def test_a_transaction_altered_on_the_server_shows_the_difference(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway, cli_args: list[str], capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    first, _ = usd_payments(emulator, stripe_client)
    payout = only_payout(emulator)
    charge = stripe_client.v1.charges.retrieve(str(first.latest_charge))
    # 31.00 less its fee of 1.46, instead of 40.00 less it
    emulator.control.alter_balance_transaction(str(charge.balance_transaction), 3100)
    sync(gateway)

    shown = show_json(cli_args, payout["id"], capsys)
    assert (shown["reconciled"], shown["difference"], shown["transactions_net"]) == (
        False, 900, 4851)
    assert shown["payout"]["amount"] == 5751 and len(shown["transactions"]) == 4
    assert main(["payout", "show", payout["id"], *cli_args]) == 0
    text = capsys.readouterr().out
    assert ("NOT reconciled: the net of 3 transactions (48.51 USD) is 9.00 USD short of the "
            "payout (57.51 USD)") in text
    detail = payout_detail(payout["id"])
    assert detail is not None
    assert reconciliation_text(detail.reconciliation) in text


async def test_the_console_detail_shows_the_difference_and_fetches_what_is_missing(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway, ledger_location: str, wait_for: Waiter) -> None:
    usd_payments(emulator, stripe_client, days=4)
    with days_ago(emulator, 3):
        new_payment(stripe_client, 700)  # 7.00 less 0.50 of fees, available a day ago
    with days_ago(emulator, 1.5):  # not paid: the sync fetches nothing
        in_transit = only_payout(emulator, "in_transit")
    short = only_payout(emulator)
    (altered,) = [t for t in gateway.get("/v1/balance_transactions",
                                         {"payout": short["id"]})["data"]
                  if t["type"] == "charge"]
    emulator.control.alter_balance_transaction(altered["id"], 650)  # net 6.00
    sync(gateway)
    waiting = payout_detail(in_transit["id"])
    assert waiting is not None and not waiting.fetched

    context = ConsoleContext(ledger_location=ledger_location, mode=Mode.TEST,
                             operator="ada", actions=Actions(gateway, "ada"))
    app = PayConsoleApp(context)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")
        table = app.query_one(PayoutsTable)
        assert [table.row_at(i).id for i in range(2)] == [short["id"], in_transit["id"]]
        await pilot.press("enter")
        line = app.screen.query_one("#payout-reconciliation", Static)
        assert str(line.content) == ("NOT reconciled: the net of 1 transaction (6.00 USD) is "
                                     "0.50 USD short of the payout (6.50 USD)")
        await pilot.press("escape", "down", "enter")
        screen = app.screen
        assert isinstance(screen, PayoutDetailScreen)
        await wait_for(lambda: screen.detail.fetched, pilot=pilot)
        assert screen.detail.reconciliation.reconciled
        assert str(screen.query_one("#payout-reconciliation", Static).content).startswith(
            "reconciled: the net of 3 transactions (57.51 USD)")


def test_a_failed_payout_is_synced_with_its_failure_and_alerted(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway, cli_args: list[str], capsys: pytest.CaptureFixture[str]
        ) -> None:
    with days_ago(emulator, 3):
        new_payment(stripe_client, 1500, "jpy")
    payout = only_payout(emulator, "in_transit")
    sync(gateway)
    assert failed_payouts(0) == []
    emulator.control.fail_payout(payout["id"], "account_closed")
    sync(gateway)
    (failed,) = failed_payouts(0)
    assert (failed.id, failed.status, failed.failure_code, failed.failure_message) == (
        payout["id"], "failed", "account_closed", "The bank account has been closed.")
    assert main(["payout", "show", payout["id"], *cli_args]) == 0
    assert "FAILED: account_closed: The bank account has been closed." in (
        capsys.readouterr().out)


def test_export_payouts_and_an_unknown_payout(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway, cli_args: list[str], capsys: pytest.CaptureFixture[str]
        ) -> None:
    with days_ago(emulator, 3):
        new_payment(stripe_client, 1000, "usd")
        new_payment(stripe_client, 2000, "eur")
    payouts = emulator.control.sweep_payouts()
    assert len(payouts) == 2
    sync(gateway)
    assert main(["export", "payouts", "--format", "jsonl", *cli_args]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(r["id"], r["amount"], r["currency"], r["status"], r["automatic"]) for r in rows} == {
        (p["id"], p["amount"], p["currency"], "paid", True) for p in payouts}
    assert main(["payout", "show", "po_missing", *cli_args]) == 2
    assert "no payout po_missing in the ledger" in capsys.readouterr().err


def test_the_demo_pays_out_once_a_day_per_currency_and_one_payout_fails(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway) -> None:
    now = int(time.time()) // DAY * DAY + 12 * 3600  # noon today (UTC)
    summary = seed(emulator_gateway(emulator.api_base), emulator.control, days=6, seed=11,
                   customers=8, payments=60, now=now)
    sync(gateway)
    payouts = PayoutListing().page(0, 100)
    assert len(payouts) == summary.payouts >= 5
    evenings = Counter((p.created, p.currency) for p in payouts)
    assert set(evenings.values()) == {1}  # one a day per currency
    assert all(p.created % DAY == PAYOUT_HOUR * 3600 for p in payouts)
    (failed,) = [p for p in payouts if p.failed]
    assert failed.failure_code == "account_closed"
    for payout in payouts:
        if payout.failed:
            continue
        arrived = payout.created + 2 * DAY <= now
        assert payout.status == ("paid" if arrived else "in_transit")
        detail = payout_detail(payout.id)
        assert detail is not None
        assert detail.fetched is arrived and (not arrived or detail.reconciliation.reconciled)


def test_the_emulator_lists_payouts_as_stripe_filters_them_and_checks_the_balance(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient) -> None:
    with days_ago(emulator, 4):
        new_payment(stripe_client, 3000, "eur")
    with days_ago(emulator, 3):
        new_payment(stripe_client, 1000, "eur")  # 10.00 less 0.59 of fees, available a day ago
    with days_ago(emulator, 1.5):
        swept = only_payout(emulator)  # the first payment only
    with pytest.raises(stripe.InvalidRequestError, match="insufficient funds") as refused:
        stripe_client.v1.payouts.create({"amount": 942, "currency": "eur"})
    assert refused.value.code == "balance_insufficient"
    manual = stripe_client.v1.payouts.create({"amount": 941, "currency": "eur"})
    assert (manual.status, manual.automatic) == ("pending", False)
    emulator.control.fail_payout(swept["id"])
    payouts = stripe_client.v1.payouts
    assert [p.id for p in payouts.list({"status": "failed"}).data] == [swept["id"]]
    assert {p.id for p in payouts.list({"created": {"gte": swept["created"]}}).data} == {
        swept["id"], manual.id}
    assert payouts.list({"created": {"lt": swept["created"]}}).data == []
    own = stripe_client.v1.balance_transactions.list({"payout": manual.id}).data
    assert [(t.type, t.amount) for t in own] == [("payout", -941)]
    with pytest.raises(stripe.InvalidRequestError, match="No such payout"):
        stripe_client.v1.balance_transactions.list({"payout": "po_missing"})
    with pytest.raises(EmulatorControlError, match="already failed"):
        emulator.control.fail_payout(swept["id"])
