"""What a reconcile compares for each kind of object: where Stripe lists it, which fields,
and the ledger row Stripe's object implies, made by the sync's own parser (ledger.records),
so that the comparison cannot drift from what the sync writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.records import Records, Row, records_for


@dataclass(frozen=True)
class Kind:
    name: str  # as the CLI, the reports and ledger.reconcile_views name it
    fields: tuple[str, ...]  # compared, as the ledger's columns are named
    expected: Callable[[Records, str], Row | None]  # the row for an object id, if parsed
    list_path: str = ""  # "" for payment methods: listed per customer
    list_params: dict[str, Any] = field(default_factory=dict)


def _row_of(table: str) -> Callable[[Records, str], Row | None]:
    def expected(records: Records, object_id: str) -> Row | None:
        rows: list[Row] = getattr(records, table)
        return next((row for row in rows if row["id"] == object_id), None)

    return expected


def _payment_row(records: Records, object_id: str) -> Row | None:
    """The PaymentIntent's half of the payment row over its latest charge's half; with
    no charge yet, only the intent's fields are compared."""
    intent = _row_of("payment_intents")(records, object_id)
    if intent is None:
        return None
    return {**(_row_of("payment_charges")(records, object_id) or {}), **intent}


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("payments",
         ("status", "amount", "amount_received", "amount_captured", "amount_refunded",
          "captured", "disputed", "currency", "customer"),
         _payment_row, "/v1/payment_intents", {"expand": ["data.latest_charge"]}),
    Kind("refunds", ("status", "amount"), _row_of("refunds"), "/v1/refunds"),
    Kind("disputes",
         ("status", "amount", "reason", "due_by", "submission_count", "has_evidence"),
         _row_of("disputes"), "/v1/disputes"),
    Kind("payouts", ("status", "amount", "currency", "arrival_date", "failure_code"),
         _row_of("payouts"), "/v1/payouts"),
    Kind("customers", ("email", "name", "default_payment_method", "deleted"),
         _row_of("customers"), "/v1/customers"),
    Kind("payment-methods", ("customer", "exp_month", "exp_year", "card_last4"),
         _row_of("payment_methods")),
    # Stripe sends no event when a pending transaction becomes available: this catches it.
    Kind("balance-transactions", ("amount", "fee", "net", "currency", "status", "payout"),
         _row_of("balance_transactions"), "/v1/balance_transactions"),
    Kind("early-fraud-warnings", ("charge", "fraud_type", "actionable"),
         _row_of("fraud_warnings"), "/v1/radar/early_fraud_warnings"),
)}


def expected_row(kind: Kind, obj: dict[str, Any], as_of: int) -> Row | None:
    """The fields of `kind` the ledger should hold for Stripe's `obj`; None when it does
    not parse (the sync would skip it too). Raises what records_for raises."""
    row = kind.expected(records_for(obj, as_of), obj["id"])
    if row is None:
        return None
    return {name: row[name] for name in kind.fields if name in row}
