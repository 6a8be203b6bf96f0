"""Fees and net against the emulator over HTTP with the real SDK: what the ledger shows of
a payment's fee is what the emulator charged (USD and JPY); a refund and a dispute change
what the payment kept; a balance transaction Stripe sets after the charge event is found
by a later sync; the report's fees and net after fees agree with plain SQL."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main
from ledger.analytics import Period, summary
from ledger.fees import load_balance, missing_transactions, payment_fees
from ledger.models import Payment, database
from ledger.sql import single_int
from sync.emulator import EmulatorProcess
from sync.gateway import StripeGateway
from sync.service import SyncService
from tests.helpers import CountingGateway, new_payment, sync

DAY = 86_400


def charge_transaction(client: stripe.StripeClient, intent_id: str) -> Any:
    charge = client.v1.charges.retrieve(str(Payment.get_by_id(intent_id).latest_charge))
    return client.v1.balance_transactions.retrieve(str(charge.balance_transaction))


@pytest.mark.parametrize(("amount", "currency", "fee"), [
    (1050, "usd", 30 + 30),  # 2.9 % of 10.50 = 0.3045 -> 0.30, + 0.30
    (1250, "usd", 36 + 30),  # 0.3625 -> 0.36
    (9000, "jpy", 324),  # 3.6 %, nothing fixed
    (1250, "jpy", 45),  # 45.0
])
def test_fee_and_net_are_what_the_emulator_charged(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, amount: int, currency: str,
        fee: int) -> None:
    sync(gateway)  # the backfill of nothing: the payment arrives by its events
    intent = new_payment(stripe_client, amount, currency)
    sync(gateway)
    fees = payment_fees(intent.id)
    txn = charge_transaction(stripe_client, intent.id)
    assert fees is not None
    assert (fees.transaction, fees.fee, fees.net, fees.currency) == (
        txn.id, txn.fee, txn.net, currency)
    assert (fees.fee, fees.net, fees.kept) == (fee, amount - fee, amount - fee)
    assert [(d.amount, d.type) for d in fees.details] == [(fee, "stripe_fee")]
    assert fees.status == "pending" and fees.available_on == txn.created + 2 * DAY


def test_a_backfilled_ledger_has_the_same_fees(
        stripe_client: stripe.StripeClient, gateway: StripeGateway) -> None:
    intent = new_payment(stripe_client, 4000, "eur")
    sync(gateway)  # the first sync: a backfill, balance transactions listed
    fees = payment_fees(intent.id)
    assert fees is not None and (fees.fee, fees.net) == (146, 3854)


def test_a_refund_and_a_dispute_change_what_the_payment_kept(
        stripe_client: stripe.StripeClient, gateway: StripeGateway,
        emulator: EmulatorProcess) -> None:
    sync(gateway)
    refunded = new_payment(stripe_client, 5000, "usd")
    disputed = new_payment(stripe_client, 3000, "usd")
    stripe_client.v1.refunds.create({"payment_intent": refunded.id, "amount": 1200})
    dispute = emulator.control.create_dispute(_charge_of(stripe_client, disputed.id))
    sync(gateway)

    kept = payment_fees(refunded.id)
    assert kept is not None and kept.kept == 5000 - (145 + 30) - 1200  # refunds keep the fee
    lost = payment_fees(disputed.id)
    assert lost is not None
    assert lost.kept == 3000 - (87 + 30) - 3000 - 1500  # the amount and the 15.00 fee out

    emulator.control.resolve_dispute(dispute["id"], "won")
    sync(gateway)
    won = payment_fees(disputed.id)
    assert won is not None and won.kept == 3000 - (87 + 30)  # both back

    today = Period.last_days(1, int(time.time()))
    usd = summary(today, "usd")["usd"]
    assert (usd.fees, usd.dispute_withdrawn) == (175 + 117, 0)
    assert usd.net_after_fees == 8000 - 1200 - (175 + 117)


def _charge_of(client: stripe.StripeClient, intent_id: str) -> str:
    return str(client.v1.payment_intents.retrieve(intent_id).latest_charge)


def test_a_transaction_set_after_the_charge_event_is_found_by_a_later_sync(
        stripe_client: stripe.StripeClient, gateway: StripeGateway,
        emulator: EmulatorProcess) -> None:
    sync(gateway)
    intent = new_payment(stripe_client, 2000, "usd")
    charge = _charge_of(stripe_client, intent.id)
    txn = stripe_client.v1.charges.retrieve(charge).balance_transaction
    # Not made yet, as on Stripe: the charge names none, and none names the charge.
    emulator.control.drift(charge, balance_transaction=None)
    emulator.control.drift(txn, source=None)
    sync(gateway)
    assert payment_fees(intent.id) is None
    created = Payment.get_by_id(intent.id).created
    assert missing_transactions(0, 10) == [("charge", charge, created)]  # asked again later

    emulator.control.drift(txn, source=charge)  # Stripe makes it, and sends no event
    emulator.control.drift(charge, balance_transaction=txn)
    sync(gateway)
    fees = payment_fees(intent.id)
    assert fees is not None and (fees.transaction, fees.fee) == (txn, 58 + 30)
    assert missing_transactions(0, 10) == []


def test_the_balance_is_the_emulators_and_follows_the_transactions(
        stripe_client: stripe.StripeClient, gateway: StripeGateway,
        emulator: EmulatorProcess) -> None:
    now = int(time.time())
    emulator.control.set_clock(now - 3 * DAY)  # available by now
    old = new_payment(stripe_client, 10000, "usd")
    emulator.control.set_clock(None)
    new_payment(stripe_client, 9000, "jpy")
    stripe_client.v1.refunds.create({"payment_intent": old.id, "amount": 500})
    sync(gateway)
    balance = load_balance()
    assert balance is not None
    assert balance.available == {"usd": 10000 - 320 - 500, "jpy": 0}
    assert balance.pending == {"usd": 0, "jpy": 9000 - 324}
    expected = stripe_client.v1.balance.retrieve()
    assert {f.currency: f.amount for f in expected.available} == balance.available


def test_report_json_fees_and_net_after_fees_match_plain_sql(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, emulator: EmulatorProcess,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], ledger_location: str) -> None:
    sync(gateway)
    payments = [new_payment(stripe_client, amount, currency) for amount, currency in (
        (1999, "usd"), (4550, "usd"), (12000, "jpy"), (7001, "usd"), (800, "jpy"))]
    stripe_client.v1.refunds.create({"payment_intent": payments[1].id, "amount": 550})
    stripe_client.v1.refunds.create({"payment_intent": payments[2].id})
    emulator.control.create_dispute(_charge_of(stripe_client, payments[3].id))
    won = emulator.control.create_dispute(_charge_of(stripe_client, payments[4].id))
    emulator.control.resolve_dispute(won["id"], "won")
    sync(gateway)

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["report", "--days", "1", "--format", "json",
                 "--ledger", ledger_location]) == 0
    reported = json.loads(capsys.readouterr().out)["currencies"]

    def one(sql: str, currency: str) -> int:
        return single_int(database, sql, (currency,))

    for currency in ("usd", "jpy"):
        gross = one("SELECT COALESCE(SUM(amount_captured), 0) FROM payment "
                    "WHERE status = 'succeeded' AND currency = ?", currency)
        refunded = one("SELECT COALESCE(SUM(amount), 0) FROM refund WHERE currency = ?",
                       currency)
        fees = one("SELECT COALESCE(SUM(fee), 0) FROM balance_transaction "
                   "WHERE type = 'charge' AND currency = ?", currency)
        withdrawn = one("SELECT COALESCE(-SUM(net), 0) FROM balance_transaction WHERE "
                        "reporting_category IN ('dispute', 'dispute_reversal') "
                        "AND currency = ?", currency)
        figures = reported[currency]
        assert (figures["fees"], figures["dispute_withdrawn"]) == (fees, withdrawn)
        assert figures["net_after_fees"] == gross - refunded - fees - withdrawn
    assert reported["usd"]["dispute_withdrawn"] == 7001 + 1500  # the lost one, with its fee
    assert reported["jpy"]["dispute_withdrawn"] == 0  # won: withdrawn, then reinstated
    assert reported["jpy"]["fees"] == 432 + 29  # 3.6 % of 12,000 and of 800 (28.8)


def test_exports_carry_fee_and_net_and_the_balance_transactions(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        ledger_location: str) -> None:
    paid = new_payment(stripe_client, 2500, "usd")
    stripe_client.v1.refunds.create({"payment_intent": paid.id, "amount": 500})
    sync(gateway)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    ledger = ["--ledger", ledger_location]

    assert main(["export", "payments", "--format", "jsonl", *ledger]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["id"], row["fee"], row["net"]) == (paid.id, 73 + 30, 2500 - 103)

    assert main(["export", "balance-transactions", "--format", "csv", *ledger]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted((r["type"], r["amount"], r["fee"], r["source"][:3]) for r in rows) == [
        ("charge", "2500", "103", "ch_"), ("refund", "-500", "0", "re_")]
    charge = next(r for r in rows if r["type"] == "charge")
    assert json.loads(charge["fee_details"])[0]["amount"] == 103


def test_new_charges_transactions_cost_one_list_request(
        stripe_client: stripe.StripeClient, gateway: StripeGateway,
        emulator: EmulatorProcess) -> None:
    sync(gateway)
    intents = [new_payment(stripe_client, 1000 + n, "usd") for n in range(5)]
    counting = CountingGateway("sk_test_payconsole", emulator.api_base,
                               requests_per_second=100)
    SyncService(counting).run_once()
    assert all(payment_fees(intent.id) is not None for intent in intents)
    assert counting.gets["/v1/balance_transactions"] == 1
    assert not [path for path in counting.gets if path.startswith("/v1/charges/")]
    assert counting.gets["/v1/balance"] == 1
