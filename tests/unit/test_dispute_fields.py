"""The dispute fields schema v5 added (is_charge_refundable, submission_method,
balance_transactions) parse from Stripe's shapes, and every status Stripe sends is tagged
and sorted as on-call needs it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger import dispute_status
from ledger.dialect import dialect_of
from ledger.dispute_views import DisputeBoard, dispute_detail, funds_movements
from ledger.models import Dispute
from ledger.records import records_for
from ledger.writes import write_records
from tests.helpers import query_plan

WITHDRAWAL = {"id": "txn_out", "object": "balance_transaction", "amount": -1000, "fee": 1500,
              "net": -2500, "currency": "usd", "created": 100, "type": "adjustment",
              "reporting_category": "dispute", "description": "Chargeback withdrawal",
              "fee_details": [{"amount": 1500, "type": "stripe_fee"}]}
REINSTATEMENT = {**WITHDRAWAL, "id": "txn_back", "amount": 1000, "fee": -1500, "net": 2500,
                 "created": 200, "reporting_category": "dispute_reversal"}


def store(ledger: SqliteDatabase, obj: dict[str, Any], as_of: int = 1) -> Dispute:
    with ledger.atomic():
        write_records(ledger, records_for(obj, as_of=as_of))
    found: Dispute = Dispute.get_by_id(obj["id"])
    return found


def dispute(did: str, status: str, created: int, **fields: Any) -> dict[str, Any]:
    return {"object": "dispute", "id": did, "charge": f"ch_{did}", "amount": 1000,
            "currency": "usd", "status": status, "created": created, **fields}


def test_the_fixture_inquiry_parses_into_the_new_fields(
        stripe_fixtures: dict[str, Any], ledger: SqliteDatabase) -> None:
    obj = stripe_fixtures["dispute"]
    row = store(ledger, obj)
    assert (row.status, row.is_charge_refundable) == ("warning_needs_response", True)
    # The fixture sends no submission_method and no balance transaction yet (an inquiry).
    assert (row.submission_method, json.loads(row.balance_transactions)) == (None, [])
    assert dispute_status.is_inquiry(row.status)


def test_balance_transactions_and_submission_method_are_kept(ledger: SqliteDatabase) -> None:
    row = store(ledger, dispute(
        "dp_won", "won", 50, is_charge_refundable=False,
        evidence_details={"submission_method": "manual", "submission_count": 1},
        balance_transactions=[REINSTATEMENT, WITHDRAWAL, "txn_not_expanded"]))
    assert (row.is_charge_refundable, row.submission_method) == (False, "manual")
    movements = funds_movements(row.balance_transactions)
    # Oldest first; an id alone says nothing about money and is left out.
    assert [(m.id, m.kind, m.amount, m.fee, m.net) for m in movements] == [
        ("txn_out", "withdrawn", -1000, 1500, -2500),
        ("txn_back", "reinstated", 1000, -1500, 2500)]
    assert json.loads(row.balance_transactions)[2] == {"id": "txn_not_expanded"}


def test_a_newer_snapshot_replaces_the_funds_and_refundability(ledger: SqliteDatabase) -> None:
    store(ledger, dispute("dp_1", "warning_needs_response", 50, is_charge_refundable=True))
    row = store(ledger, dispute("dp_1", "needs_response", 50, is_charge_refundable=False,
                                balance_transactions=[WITHDRAWAL]), as_of=2)
    assert row.is_charge_refundable is False
    assert [m.id for m in funds_movements(row.balance_transactions)] == ["txn_out"]


@pytest.mark.parametrize(("status", "shown"), [
    ("warning_needs_response", "inquiry needs_response"),
    ("warning_under_review", "inquiry under_review"),
    ("warning_closed", "inquiry closed"),
    ("needs_response", "needs_response"),
    ("under_review", "under_review"),
    ("won", "won"), ("lost", "lost"), ("prevented", "prevented"),
])
def test_every_status_is_tagged_and_fits_the_status_column(status: str, shown: str) -> None:
    assert status in dispute_status.ALL
    assert dispute_status.tagged(status) == shown
    assert len(shown) <= 22


def test_every_status_sorts_into_its_group(ledger: SqliteDatabase) -> None:
    statuses = ["prevented", "warning_closed", "under_review", "won", "warning_needs_response",
                "lost", "warning_under_review", "needs_response"]
    for n, status in enumerate(statuses):
        store(ledger, dispute(f"dp_{status}", status, 100 + n,
                              evidence_details={"due_by": 10_000 - n}))
    board = [line.status for line in DisputeBoard().page(0, 20)]
    # Needing a response by deadline, under review, then closed newest first.
    assert board == ["needs_response", "warning_needs_response", "warning_under_review",
                     "under_review", "lost", "won", "warning_closed", "prevented"]


def test_refund_ends_only_an_open_refundable_inquiry(ledger: SqliteDatabase) -> None:
    cases = {"dp_a": ("warning_needs_response", True), "dp_b": ("warning_needs_response", False),
             "dp_c": ("warning_closed", True), "dp_d": ("needs_response", True)}
    for did, (status, refundable) in cases.items():
        store(ledger, dispute(did, status, 1, is_charge_refundable=refundable))
    ends = {did: detail.refund_ends_it for did in cases
            if (detail := dispute_detail(did)) is not None}
    assert ends == {"dp_a": True, "dp_b": False, "dp_c": False, "dp_d": False}


def test_the_board_reads_a_page_in_index_order(ledger: SqliteDatabase) -> None:
    """Its order of expressions is an index: a page reads its rows, not a sort of all."""
    sql = (f"SELECT id FROM dispute ORDER BY {', '.join(DisputeBoard.order_keys)} "
           "LIMIT 256 OFFSET 0")
    plan = query_plan(sql)
    if dialect_of(ledger).is_postgres:
        assert "Index Scan using dispute_order" in plan, plan
        assert "Sort" not in plan, plan
    else:
        assert "USING INDEX dispute_order" in plan and "TEMP B-TREE" not in plan, plan
