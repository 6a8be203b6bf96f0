"""Stripe objects (plain dicts, of any API version) to ledger rows.

Pure functions: no database, no network. Each returns the rows one object implies,
tolerating both the current shapes (fixtures3.json) and the emulator's older ones
(embedded `latest_charge`, `charges.data`, no `payment_method_details`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

Row = dict[str, Any]
StripeObject = dict[str, Any]  # as its JSON decodes


class RecordError(ValueError):
    """An object that is not shaped like the Stripe object it claims to be."""


@dataclass
class Records:
    """Rows grouped by table; `payment_charges` update the charge half of a payment row."""

    customers: list[Row] = field(default_factory=list)
    payment_methods: list[Row] = field(default_factory=list)
    payment_intents: list[Row] = field(default_factory=list)
    payment_charges: list[Row] = field(default_factory=list)
    refunds: list[Row] = field(default_factory=list)
    disputes: list[Row] = field(default_factory=list)
    balance_transactions: list[Row] = field(default_factory=list)
    payouts: list[Row] = field(default_factory=list)
    fraud_warnings: list[Row] = field(default_factory=list)

    def extend(self, other: Records) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


def _id(value: Any) -> str | None:
    """An expandable field: an id string, an embedded object, or nothing."""
    found = value.get("id") if isinstance(value, dict) else value
    return found if isinstance(found, str) else None


def _json(value: Any) -> str:
    return orjson.dumps(value or {}, option=orjson.OPT_SORT_KEYS).decode()


def _require(obj: StripeObject, *keys: str) -> None:
    missing = [key for key in keys if key not in obj]
    if missing:
        raise RecordError(f"{obj.get('object', 'object')} {obj.get('id')!r} lacks {missing}")


def customer_records(obj: StripeObject, as_of: int) -> Records:
    _require(obj, "id")
    settings = obj.get("invoice_settings") or {}
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "email": obj.get("email"),
        "name": obj.get("name"),
        "default_payment_method": _id(settings.get("default_payment_method")),
        "deleted": bool(obj.get("deleted")),
        "metadata": _json(obj.get("metadata")),
        "livemode": bool(obj.get("livemode")),
        "as_of": as_of,
    }
    return Records(customers=[row])


def payment_method_records(obj: StripeObject, as_of: int) -> Records:
    _require(obj, "id", "type")
    card = obj.get("card") or {}
    billing = obj.get("billing_details") or {}
    address = billing.get("address") or {}
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "customer": _id(obj.get("customer")),
        "type": obj["type"],
        "card_brand": card.get("brand"),
        "card_last4": card.get("last4"),
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
        "billing_name": billing.get("name"),
        "billing_email": billing.get("email"),
        "billing_postal_code": address.get("postal_code"),
        "billing_country": address.get("country"),
        "metadata": _json(obj.get("metadata")),
        "livemode": bool(obj.get("livemode")),
        "as_of": as_of,
    }
    return Records(payment_methods=[row])


def _embedded_charge(intent: StripeObject) -> StripeObject | None:
    """The latest charge when the payload carries it (old API versions, the emulator)."""
    latest = intent.get("latest_charge")
    if isinstance(latest, dict):
        return latest
    charges = (intent.get("charges") or {}).get("data") or []
    return charges[-1] if charges and isinstance(charges[-1], dict) else None


def payment_intent_records(obj: StripeObject, as_of: int) -> Records:
    _require(obj, "id", "amount", "currency", "status")
    error = obj.get("last_payment_error") or {}
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "amount": obj["amount"],
        "currency": obj["currency"].lower(),
        "status": obj["status"],
        "customer": _id(obj.get("customer")),
        "description": obj.get("description"),
        "payment_method": _id(obj.get("payment_method")),
        "amount_received": obj.get("amount_received")
        or (obj["amount"] if obj["status"] == "succeeded" else 0),
        "metadata": _json(obj.get("metadata")),
        "livemode": bool(obj.get("livemode")),
        "latest_charge": _id(obj.get("latest_charge")),
        "failure_code": error.get("code"),
        "failure_message": error.get("message"),
        "decline_code": error.get("decline_code"),
        "capture_method": obj.get("capture_method"),
        "amount_capturable": obj.get("amount_capturable") or 0,
        "cancellation_reason": obj.get("cancellation_reason"),
        "intent_as_of": as_of,
    }
    records = Records(payment_intents=[row])
    charge = _embedded_charge(obj)
    if charge is not None:
        records.extend(charge_records(charge, as_of))
    return records


def _card_facts(charge: StripeObject) -> tuple[str | None, str | None, int | None]:
    """Brand, last4, and capture_before (an uncaptured authorization's deadline)."""
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    if not card:  # old shapes: `source` or `card` carried the card
        card = charge.get("source") or charge.get("card") or {}
    return card.get("brand"), card.get("last4"), card.get("capture_before")


def charge_records(obj: StripeObject, as_of: int) -> Records:
    """The charge half of a payment row, plus any refunds the charge embeds."""
    _require(obj, "id", "amount", "currency")
    brand, last4, capture_before = _card_facts(obj)
    outcome = obj.get("outcome") or {}
    captured = bool(obj.get("captured"))
    billing = obj.get("billing_details") or {}
    row = {
        "id": _id(obj.get("payment_intent")) or obj["id"],
        "latest_charge": obj["id"],
        # Only used when the row does not exist yet (a charge seen before its intent):
        "created": obj.get("created") or as_of,
        "amount": obj["amount"],
        "currency": obj["currency"].lower(),
        "status": _legacy_charge_status(obj),
        "customer": _id(obj.get("customer")),
        "customer_email": obj.get("receipt_email") or billing.get("email"),
        # The charge facts:
        "captured": captured,
        "amount_captured": obj.get("amount_captured", obj["amount"] if captured else 0),
        "amount_refunded": obj.get("amount_refunded") or 0,
        "refunded": bool(obj.get("refunded")),
        "disputed": bool(obj.get("disputed")),
        "failure_code": obj.get("failure_code"),
        "failure_message": obj.get("failure_message"),
        "decline_code": outcome.get("reason") if obj.get("failure_code") else None,
        "card_brand": brand,
        "card_last4": last4,
        "capture_before": capture_before,
        "charge_as_of": as_of,
    }
    records = Records(payment_charges=[row])
    records.extend(_embedded_transactions([obj.get("balance_transaction")], as_of))
    embedded = (obj.get("refunds") or {}).get("data") or []
    for refund in embedded:
        if isinstance(refund, dict):
            records.extend(refund_records(refund, as_of, payment_id=row["id"]))
    return records


def _legacy_charge_status(charge: StripeObject) -> str:
    """A bare charge (no PaymentIntent) stands for a payment: its status names the outcome."""
    status = charge.get("status") or "pending"
    return "requires_payment_method" if status == "failed" else status


def refund_records(obj: StripeObject, as_of: int, *, payment_id: str | None = None) -> Records:
    _require(obj, "id", "amount", "currency")
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "payment": _id(obj.get("payment_intent")) or payment_id,
        "charge": _id(obj.get("charge")),
        "amount": obj["amount"],
        "currency": obj["currency"].lower(),
        "status": obj.get("status"),
        "reason": obj.get("reason"),
        "metadata": _json(obj.get("metadata")),
        "as_of": as_of,
    }
    records = Records(refunds=[row])
    records.extend(_embedded_transactions([obj.get("balance_transaction")], as_of))
    return records


def dispute_records(obj: StripeObject, as_of: int) -> Records:
    _require(obj, "id", "amount", "currency", "status")
    details = obj.get("evidence_details") or {}
    evidence = {k: v for k, v in (obj.get("evidence") or {}).items() if v not in (None, {}, "")}
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "payment": _id(obj.get("payment_intent")),
        "charge": _id(obj.get("charge")),
        "amount": obj["amount"],
        "currency": obj["currency"].lower(),
        "status": obj["status"],
        "reason": obj.get("reason"),
        "due_by": details.get("due_by"),
        "has_evidence": bool(details.get("has_evidence")),
        "submission_count": details.get("submission_count") or 0,
        "evidence": _json(evidence),
        "metadata": _json(obj.get("metadata")),
        "is_charge_refundable": bool(obj.get("is_charge_refundable")),
        "submission_method": details.get("submission_method"),
        "balance_transactions": orjson.dumps(
            [_funds_movement(txn) for txn in obj.get("balance_transactions") or []]).decode(),
        "as_of": as_of,
    }
    records = Records(disputes=[row])
    records.extend(_embedded_transactions(obj.get("balance_transactions") or [], as_of))
    return records


FUNDS_MOVEMENT_KEYS = ("id", "amount", "fee", "net", "currency", "created",
                       "reporting_category", "description")


def _funds_movement(txn: Any) -> Row:
    """What the ledger keeps of a dispute's balance transaction (an id when not expanded)."""
    if not isinstance(txn, dict):
        return {"id": _id(txn)}
    return {key: txn.get(key) for key in FUNDS_MOVEMENT_KEYS}


def balance_transaction_records(obj: StripeObject, as_of: int) -> Records:
    _require(obj, "id", "amount", "currency", "net", "type")
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "amount": obj["amount"],
        "currency": obj["currency"].lower(),
        "fee": obj.get("fee") or 0,
        "net": obj["net"],
        "fee_details": orjson.dumps([
            {key: detail.get(key) for key in ("amount", "currency", "description", "type")}
            for detail in obj.get("fee_details") or [] if isinstance(detail, dict)]).decode(),
        "type": obj["type"],
        "reporting_category": obj.get("reporting_category"),
        "status": obj.get("status") or "pending",
        "available_on": obj.get("available_on"),
        "source": _id(obj.get("source")),
        "payout": _id(obj.get("payout")),
        "as_of": as_of,
    }
    return Records(balance_transactions=[row])


def _embedded_transactions(values: list[Any], as_of: int) -> Records:
    """The balance transactions a charge, refund or dispute carries expanded (ids alone
    are fetched by the sync); one that is not a whole transaction is left out, not the
    object that carries it."""
    records = Records()
    for value in values:
        if isinstance(value, dict):
            try:
                records.extend(balance_transaction_records(value, as_of))
            except RecordError:
                continue
    return records


def payout_records(obj: StripeObject, as_of: int) -> Records:
    _require(obj, "id", "amount", "currency", "status")
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "amount": obj["amount"],
        "currency": obj["currency"].lower(),
        "status": obj["status"],
        "arrival_date": obj.get("arrival_date"),
        "method": obj.get("method"),
        "automatic": int(bool(obj.get("automatic"))),  # a 0/1 BIGINT column
        "failure_code": obj.get("failure_code"),
        "failure_message": obj.get("failure_message"),
        "balance_transaction": _id(obj.get("balance_transaction")),
        "as_of": as_of,
    }
    return Records(payouts=[row])
def early_fraud_warning_records(obj: StripeObject, as_of: int) -> Records:
    _require(obj, "id", "charge", "fraud_type")
    row = {
        "id": obj["id"],
        "created": obj.get("created") or as_of,
        "charge": _id(obj.get("charge")),
        "payment": _id(obj.get("payment_intent")),
        "fraud_type": obj["fraud_type"],
        "actionable": bool(obj.get("actionable")),
        "livemode": bool(obj.get("livemode")),
        "as_of": as_of,
    }
    return Records(fraud_warnings=[row])


RECORDERS = {
    "customer": customer_records,
    "payment_method": payment_method_records,
    "payment_intent": payment_intent_records,
    "charge": charge_records,
    "refund": refund_records,
    "dispute": dispute_records,
    "balance_transaction": balance_transaction_records,
    "payout": payout_records,
    "radar.early_fraud_warning": early_fraud_warning_records,
}


def records_for(obj: StripeObject, as_of: int) -> Records:
    """Rows for any Stripe object the ledger keeps; empty Records for the others."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a Stripe object, got {type(obj).__name__}")
    recorder = RECORDERS.get(obj.get("object", ""))
    return recorder(obj, as_of) if recorder else Records()
