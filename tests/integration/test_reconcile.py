"""Reconcile against the emulator: drift made in the emulator (a change with no event, an
object whose event was deleted) and in the ledger (a row changed, a row deleted), found,
repaired, and gone on the next run; the CLI's exit codes and JSON; the request cost; the
scheduled job in `payconsole sync`."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main
from ledger.db import open_ledger
from ledger.models import Customer, PaymentMethod, Refund
from sync.emulator import EmulatorProcess
from sync.reconcile import ReconcileReport, reconcile
from sync.trust import load_last_reconcile
from tests.helpers import (
    ROOT,
    VISA,
    CountingGateway,
    HandEdits,
    cli_env,
    customer_with_cards,
    dump_ledger,
    gateway_for,
    pay,
    read_until,
    sync,
)


def found(report: ReconcileReport) -> dict[str, set[tuple[str, str]]]:
    return {name: {(f.kind, f.id) for f in getattr(report, name)}
            for name in ("missing", "different", "extra")}


def event_of(client: stripe.StripeClient, event_type: str, object_id: str) -> str:
    events = client.v1.events.list({"type": event_type, "limit": 100})
    return next(e.id for e in events.data if e.data.object["id"] == object_id)


def ledger_sql(location: str, sql: str, *params: Any) -> None:
    with closing(HandEdits(location)) as db:
        db.execute(sql, params)


class Account:
    """A synced ledger: a customer with two cards, a payment partly refunded and disputed,
    and a second customer."""

    def __init__(self, emulator: EmulatorProcess, client: stripe.StripeClient,
                 ledger: str) -> None:
        self.customer, (self.card, self.spare_card) = customer_with_cards(client, VISA, VISA)
        self.payment = pay(client, self.customer, self.card, 5000)
        self.refund = client.v1.refunds.create({"payment_intent": self.payment.id,
                                                "amount": 1000})
        self.dispute = emulator.control.create_dispute(self.payment.latest_charge)
        self.other, (self.other_card,) = customer_with_cards(client, VISA, email="bea@example.com")
        open_ledger(ledger)
        self.gateway = gateway_for(emulator.api_base)
        sync(self.gateway)


@pytest.fixture
def account(emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
            ledger_location: str) -> Account:
    return Account(emulator, stripe_client, ledger_location)


def test_a_synced_ledger_has_no_drift(account: Account) -> None:
    report = reconcile(account.gateway, days=3, repair=False, now=time.time())
    assert report.drift == 0, report.lines()
    assert report.checked == {"payments": 1, "refunds": 1, "disputes": 1, "payouts": 0,
                              "customers": 2, "payment-methods": 3,
                              "balance-transactions": 3, "early-fraud-warnings": 0}


def test_drift_of_each_kind_is_found_repaired_and_then_gone(
        account: Account, emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        ledger_location: str) -> None:
    control, ledger = emulator.control, ledger_location
    # In the emulator, with no event: an update; objects whose events were deleted.
    control.drift(account.customer, email="new@example.com")
    control.drift(account.dispute["id"], evidence_details={"submission_count": 2})
    late = stripe_client.v1.customers.create({"email": "late@example.com"})
    control.delete_event(event_of(stripe_client, "customer.created", late.id))
    stripe_client.v1.customers.delete(account.other)
    control.delete_event(event_of(stripe_client, "customer.deleted", account.other))
    stripe_client.v1.payment_methods.detach(account.spare_card)
    control.delete_event(event_of(stripe_client, "payment_method.detached", account.spare_card))
    sync(account.gateway)  # polls: hears of none of it
    # In the ledger: a row changed, a row deleted.
    ledger_sql(ledger, "UPDATE payment SET amount_refunded = 0 WHERE id = ?", account.payment.id)
    ledger_sql(ledger, "DELETE FROM refund WHERE id = ?", account.refund.id)

    report = reconcile(account.gateway, days=3, repair=False, now=time.time())
    assert found(report) == {
        "missing": {("customers", late.id), ("refunds", account.refund.id)},
        "different": {("customers", account.customer), ("disputes", account.dispute["id"]),
                      ("payments", account.payment.id)},
        # A deleted customer's cards are detached with it.
        "extra": {("customers", account.other), ("payment-methods", account.spare_card),
                  ("payment-methods", account.other_card)},
    }
    fields = {f.id: f.fields for f in report.different}
    assert fields[account.customer] == {"email": ("ada@example.com", "new@example.com")}
    assert fields[account.dispute["id"]] == {"submission_count": (0, 2)}
    assert fields[account.payment.id] == {"amount_refunded": (0, 1000)}
    assert Refund.get_or_none(Refund.id == account.refund.id) is None  # nothing written

    repaired = reconcile(account.gateway, days=3, repair=True, now=time.time())
    assert len(repaired.repaired) == repaired.drift == 8 and repaired.unrepaired == 0
    assert Customer.get_by_id(account.other).deleted  # marked, not dropped
    assert PaymentMethod.get_by_id(account.spare_card).customer is None
    assert Customer.get_by_id(late.id).email == "late@example.com"
    assert Refund.get_by_id(account.refund.id).amount == 1000

    again = reconcile(account.gateway, days=3, repair=False, now=time.time())
    assert again.drift == 0, again.lines()


def test_the_cli_exit_codes_and_json(account: Account, emulator: EmulatorProcess,
                                     tmp_path: Path, ledger_location: str,
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in cli_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    ledger = ledger_location
    common = ["--ledger", ledger, "--api-base", emulator.api_base]
    emulator.control.drift(account.customer, name="Ada L.")
    before = dump_ledger(ledger)

    for bad in (["--days", "0"], ["--types", "payments,invoices"], ["--format", "xml"]):
        with pytest.raises(SystemExit) as refused:
            main(["reconcile", *bad, "--repair", *common])
        assert refused.value.code == 2
    assert dump_ledger(ledger) == before
    capsys.readouterr()

    assert main(["reconcile", "--days", "3", "--format", "json", *common]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"window", "checked", "missing", "different", "extra", "repaired"}
    assert set(report["window"]) == {"since", "until"}
    assert report["different"] == [{"type": "customers", "id": account.customer,
                                     "fields": {"name": {"ledger": "ada", "stripe": "Ada L."}}}]
    assert report["repaired"] == 0 and report["checked"]["payments"] == 1
    recorded = load_last_reconcile()  # for the header and `payconsole status`, as scheduled
    assert recorded is not None and (recorded.different, recorded.repaired) == (1, 0)

    assert main(["reconcile", "--types", "customers,payment-methods", "--repair", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"different customers {account.customer}: name")
    assert "(repaired" in lines[0] and "repaired 1" in lines[-1]
    assert main(["reconcile", *common]) == 0
    assert "0 missing, 0 different, 0 extra" in capsys.readouterr().out


def test_requests_are_one_list_a_page_per_kind(emulator: EmulatorProcess,
                                               stripe_client: stripe.StripeClient,
                                               ledger_location: str) -> None:
    customers = [customer_with_cards(stripe_client, VISA, email=f"c{n}@example.com")
                 for n in range(3)]
    payments = 230
    for n in range(payments):
        customer, (card,) = customers[n % 3]
        pay(stripe_client, customer, card, 100 + n)
    open_ledger(ledger_location)
    sync(gateway_for(emulator.api_base))

    gateway = CountingGateway("sk_test_payconsole", emulator.api_base, requests_per_second=100)
    report = reconcile(gateway, days=30, repair=False, now=time.time())
    assert report.drift == 0 and report.checked["payments"] == payments
    assert gateway.gets == {"/v1/payment_intents": math.ceil(payments / 100),
                            "/v1/refunds": 1, "/v1/disputes": 1, "/v1/payouts": 1,
                            "/v1/customers": 1,
                            "/v1/payment_methods": len(customers),
                            "/v1/balance_transactions": math.ceil(payments / 100),
                            "/v1/radar/early_fraud_warnings": 1,
                            "/v1/account": 1}  # which account the key is of: once a gateway
    assert report.requests == sum(gateway.gets.values())


def test_payconsole_sync_runs_the_scheduled_reconcile(
        account: Account, emulator: EmulatorProcess, tmp_path: Path, ledger_location: str
) -> None:
    emulator.control.drift(account.customer, email="moved@example.com")
    ledger = ledger_location
    env = cli_env(tmp_path, PAYCONSOLE_SYNC__RECONCILE_EVERY="0.5",
                  PAYCONSOLE_SYNC__INTERVAL_SECONDS="60")
    process = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "sync", "--ledger", str(ledger),
         "--api-base", emulator.api_base], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        read_until(process, "reconciled", "1 different", "repaired 1")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err
    with closing(HandEdits(ledger)) as db:
        email = db.value("SELECT email FROM customer WHERE id = ?", (account.customer,))
        stored = json.loads(db.value("SELECT value FROM sync_state WHERE key = "
                                     "'last_reconcile'"))
    assert email == "moved@example.com"
    assert stored["different"] >= 1 and stored["repaired"] >= 1
