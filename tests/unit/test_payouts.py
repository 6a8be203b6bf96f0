"""Payouts in the ledger: Stripe's example objects stored, a payout's transactions kept
under it, the reconciliation's arithmetic, and the listing's order."""

from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger.models_money import BalanceTransaction, Payout
from ledger.payouts import (
    PayoutListing,
    Reconciliation,
    payout_detail,
    payouts_missing_transactions,
    reconciliation_text,
    store_payout_transactions,
)
from ledger.records import RecordError, records_for
from ledger.writes import write_records


def test_the_payout_fixture_and_its_transaction_are_stored(
        stripe_fixtures: dict[str, Any], ledger: SqliteDatabase) -> None:
    payout, txn = stripe_fixtures["payout"], stripe_fixtures["balance_transaction"]
    with ledger.atomic():
        write_records(ledger, records_for({**payout, "status": "paid"}, as_of=1))
        assert store_payout_transactions(ledger, payout["id"], [txn], 1) == 1
    row = Payout.get_by_id(payout["id"])
    assert (row.amount, row.currency, row.status, row.automatic, row.arrival_date) == (
        1100, "usd", "paid", 1, payout["arrival_date"])
    stored = BalanceTransaction.get_by_id(txn["id"])
    assert (stored.payout, stored.net, stored.source, stored.type) == (
        payout["id"], 100, txn["source"], "charge")
    assert payouts_missing_transactions(0) == []


def test_a_later_copy_without_payout_keeps_the_payout(
        stripe_fixtures: dict[str, Any], ledger: SqliteDatabase) -> None:
    txn = stripe_fixtures["balance_transaction"]
    with ledger.atomic():
        store_payout_transactions(ledger, "po_1", [txn], 1)
        # As the plain list of balance transactions would bring it: no payout.
        write_records(ledger, records_for({**txn, "net": 90, "fee": 10}, as_of=2))
    stored = BalanceTransaction.get_by_id(txn["id"])
    assert (stored.payout, stored.net, stored.fee) == ("po_1", 90, 10)


def test_a_transaction_without_its_required_fields_is_refused(ledger: SqliteDatabase) -> None:
    with pytest.raises(RecordError, match="lacks"):
        store_payout_transactions(ledger, "po_1", [{"id": "txn_1", "amount": 1}], 1)


@pytest.mark.parametrize(("net", "text"), [
    (5000, "reconciled: the net of 2 transactions (50.00 USD) adds up to the payout "
           "(50.00 USD)"),
    (4990, "NOT reconciled: the net of 2 transactions (49.90 USD) is 0.10 USD short of the "
           "payout (50.00 USD)"),
    (5250, "NOT reconciled: the net of 2 transactions (52.50 USD) is 2.50 USD over the "
           "payout (50.00 USD)"),
])
def test_reconciliation_says_short_or_over(net: int, text: str) -> None:
    rec = Reconciliation(payout_amount=5000, transactions_net=net, currency="usd", counted=2)
    assert rec.difference == 5000 - net and rec.reconciled is (net == 5000)
    assert reconciliation_text(rec) == text


def test_payouts_newest_first_and_paid_ones_missing_transactions(
        ledger: SqliteDatabase) -> None:
    def payout(po_id: str, created: int, status: str, automatic: bool = True) -> Any:
        return {"object": "payout", "id": po_id, "created": created, "amount": 100,
                "currency": "eur", "status": status, "automatic": automatic}

    with ledger.atomic():
        for obj in (payout("po_a", 10, "paid"), payout("po_b", 30, "in_transit"),
                    payout("po_c", 20, "paid"), payout("po_manual", 40, "paid", False)):
            write_records(ledger, records_for(obj, as_of=1))
    listing = PayoutListing()
    assert [p.id for p in listing.page(0, 10)] == ["po_manual", "po_b", "po_c", "po_a"]
    assert listing.position_of("po_c") == 2
    assert payouts_missing_transactions(0) == ["po_c", "po_a"]
    assert payouts_missing_transactions(15) == ["po_c"]
    detail = payout_detail("po_a")
    assert detail is not None and not detail.fetched and detail.reconciliation.counted == 0
