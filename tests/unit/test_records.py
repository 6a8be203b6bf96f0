"""Stripe's own example objects (current API version) parse and store."""

from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger.fees import balance_of
from ledger.models import Customer, Dispute, Payment, PaymentMethod, Refund
from ledger.models_fraud import EarlyFraudWarning
from ledger.models_money import BalanceTransaction, Payout
from ledger.records import RecordError, records_for
from ledger.writes import write_records

STORED = ["customer", "payment_method", "payment_intent", "charge", "refund", "dispute",
          "balance_transaction", "payout", "radar.early_fraud_warning"]


@pytest.mark.parametrize("name", STORED)
def test_every_stored_fixture_parses_and_stores(
    name: str, stripe_fixtures: dict[str, Any], ledger: SqliteDatabase
) -> None:
    obj = stripe_fixtures[name]
    records = records_for(obj, as_of=obj["created"])
    assert records, f"{name} produced no rows"
    with ledger.atomic():
        write_records(ledger, records)
    model = {
        "customer": Customer,
        "payment_method": PaymentMethod,
        "payment_intent": Payment,
        "charge": Payment,
        "refund": Refund,
        "dispute": Dispute,
        "balance_transaction": BalanceTransaction,
        "payout": Payout,
        "radar.early_fraud_warning": EarlyFraudWarning,
    }[name]
    key = obj.get("payment_intent") or obj["id"] if name == "charge" else obj["id"]
    assert model.get_by_id(key).created == obj["created"]


def test_charge_fixture_fills_the_card_and_money_facts(
    stripe_fixtures: dict[str, Any], ledger: SqliteDatabase
) -> None:
    charge = stripe_fixtures["charge"]
    write_records(ledger, records_for(charge, as_of=charge["created"]))
    row = Payment.get_by_id(charge["id"])
    assert (row.card_brand, row.amount, row.currency) == ("visa", charge["amount"], "usd")
    assert row.latest_charge == charge["id"]


def test_dispute_fixture_keeps_deadline_and_status(
    stripe_fixtures: dict[str, Any], ledger: SqliteDatabase
) -> None:
    dispute = stripe_fixtures["dispute"]
    write_records(ledger, records_for(dispute, as_of=1))
    row = Dispute.get_by_id(dispute["id"])
    assert row.due_by == dispute["evidence_details"]["due_by"]
    assert row.status == "warning_needs_response"


def test_balance_transaction_and_balance_fixtures(
    stripe_fixtures: dict[str, Any], ledger: SqliteDatabase
) -> None:
    txn = stripe_fixtures["balance_transaction"]
    write_records(ledger, records_for(txn, as_of=1))
    row = BalanceTransaction.get_by_id(txn["id"])
    assert (row.amount, row.fee, row.net, row.type, row.source, row.status) == (
        100, 0, 100, "charge", txn["source"], "available")
    assert row.fee_details == "[]" and row.payout is None
    balance = balance_of(stripe_fixtures["balance"], as_of=5)
    assert (balance.available, balance.pending, balance.as_of) == ({"usd": 0}, {"usd": 0}, 5)
    assert balance_of({"available": [{"currency": "usd"}, "x"]}, 1).available == {}


def test_an_older_balance_transaction_snapshot_changes_nothing(
    stripe_fixtures: dict[str, Any], ledger: SqliteDatabase
) -> None:
    txn = stripe_fixtures["balance_transaction"]
    write_records(ledger, records_for(txn, as_of=10))
    write_records(ledger, records_for({**txn, "status": "pending", "fee": 5, "net": 95}, 9))
    row = BalanceTransaction.get_by_id(txn["id"])
    assert (row.status, row.fee, row.as_of) == ("available", 0, 10)
    write_records(ledger, records_for({**txn, "payout": {"id": "po_1"}}, as_of=11))
    assert BalanceTransaction.get_by_id(txn["id"]).payout == "po_1"
def test_a_fraud_warning_without_its_intent_finds_its_payment_by_charge(
    stripe_fixtures: dict[str, Any], ledger: SqliteDatabase
) -> None:
    charge, warning = stripe_fixtures["charge"], stripe_fixtures["radar.early_fraud_warning"]
    assert "payment_intent" not in warning  # Stripe's example names the charge alone
    with ledger.atomic():
        write_records(ledger, records_for(charge, as_of=1))
        write_records(ledger, records_for({**warning, "charge": charge["id"]}, as_of=1))
    row = EarlyFraudWarning.get_by_id(warning["id"])
    assert (row.payment, row.fraud_type, row.actionable) == (charge["id"], "misc", True)


def test_unknown_objects_produce_no_rows(stripe_fixtures: dict[str, Any]) -> None:
    assert not records_for(stripe_fixtures["plan"], as_of=1)


def test_an_object_missing_required_fields_is_refused() -> None:
    with pytest.raises(RecordError, match="lacks"):
        records_for({"object": "payment_intent", "id": "pi_1"}, as_of=1)
