"""What a reconcile against Stripe reads from the ledger, and the one change it makes
besides the normal apply path: marking rows whose object is gone from Stripe (a deleted
customer, a detached payment method), never dropping them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from peewee import Case

from ledger.models import Customer, Dispute, Payment, PaymentMethod, Refund
from ledger.models_fraud import EarlyFraudWarning
from ledger.models_money import BalanceTransaction, Payout
from ledger.sql import chunks

# The kinds a reconcile compares, as the CLI names them.
# (Any: peewee's models are untyped, and the union of six would only say so six times.)
TABLES: dict[str, Any] = {
    "payments": Payment,
    "refunds": Refund,
    "disputes": Dispute,
    "payouts": Payout,
    "customers": Customer,
    "payment-methods": PaymentMethod,
    "balance-transactions": BalanceTransaction,
    "early-fraud-warnings": EarlyFraudWarning,
}
# Stripe deletes customers and detaches payment methods; it never deletes the others.
MARKABLE = ("customers", "payment-methods")


def ledger_rows(kind: str, ids: Iterable[str], fields: Collection[str]
                ) -> dict[str, dict[str, Any]]:
    """id -> {field: value} for the rows of `ids` the ledger has."""
    model = TABLES[kind]
    columns = [model.id, *(getattr(model, name) for name in fields)]
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(set(ids))):
        for row in model.select(*columns).where(model.id.in_(list(chunk))).dicts():
            found[row["id"]] = row
    return found


def ids_in_window(kind: str, since: int, until: int) -> set[str]:
    """The rows created in [since, until] that Stripe should still list: customers not
    deleted, payment methods still attached, payments that are PaymentIntents (a legacy
    bare charge is not in the PaymentIntents list)."""
    model = TABLES[kind]
    query = model.select(model.id).where(model.created.between(since, until))
    if model is Customer:
        query = query.where(Customer.deleted == 0)
    elif model is PaymentMethod:
        query = query.where(PaymentMethod.customer.is_null(False))
    elif model is Payment:
        query = query.where(~Payment.id.startswith("ch_"))
    return {row_id for (row_id,) in query.tuples()}


def mark_gone(kind: str, ids: Collection[str], as_of: int) -> int:
    """Mark customers deleted and payment methods detached (in the caller's transaction);
    `as_of` moves up so that no older snapshot brings them back. Returns the rows marked."""
    if kind == "customers":
        model: Any = Customer
        change: dict[Any, Any] = {Customer.deleted: True}
    elif kind == "payment-methods":
        model, change = PaymentMethod, {PaymentMethod.customer: None}
    else:
        raise ValueError(f"{kind} are never gone from Stripe: nothing to mark")
    marked = 0
    newer_as_of = Case(None, [(model.as_of > as_of, model.as_of)], as_of)
    for chunk in chunks(sorted(ids)):
        marked += (model.update({**change, model.as_of: newer_as_of})
                   .where(model.id.in_(list(chunk))).execute())
    return marked
