"""Stripe's fees and what is kept: a payment's balance transactions, the ones the sync
still has to fetch, and the account balance (a state record, as Stripe last said it).

A payment's charge transaction is the one whose `source` is the payment's latest charge;
its refunds' and disputes' transactions have the refund or the dispute as source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ledger.models import database
from ledger.money import format_amount
from ledger.sql import execute
from ledger.state import load_record, save_record

# Stripe's types of a payment's own transaction (`payment` for some payment methods), and
# the reporting categories of what a dispute withdraws and reinstates.
CHARGE_TYPES_SQL = "('charge', 'payment')"
DISPUTE_CATEGORIES_SQL = "('dispute', 'dispute_reversal')"


@dataclass(frozen=True)
class FeeDetail:
    amount: int
    currency: str
    description: str | None
    type: str | None


@dataclass(frozen=True)
class PaymentFees:
    """A payment's charge transaction, and the net of all of its transactions so far."""

    transaction: str
    amount: int
    currency: str
    fee: int
    net: int
    details: tuple[FeeDetail, ...]
    status: str
    available_on: int | None
    kept: int  # charge net + refunds' and disputes' nets (dispute fees included)


def _details(stored: str) -> tuple[FeeDetail, ...]:
    return tuple(FeeDetail(int(d.get("amount") or 0), str(d.get("currency") or ""),
                           d.get("description"), d.get("type"))
                 for d in json.loads(stored or "[]"))


def payment_fees(payment_id: str) -> PaymentFees | None:
    """None until the payment's charge transaction is in the ledger."""
    row = execute(database, (
        "SELECT bt.id, bt.amount, bt.currency, bt.fee, bt.net, bt.fee_details, bt.status, "
        "bt.available_on FROM payment JOIN balance_transaction bt "
        f"ON bt.source = payment.latest_charge AND bt.type IN {CHARGE_TYPES_SQL} "
        "WHERE payment.id = ? ORDER BY bt.created, bt.id LIMIT 1"), (payment_id,)).fetchone()
    if row is None:
        return None
    txn, amount, currency, fee, net, details, status, available_on = row
    others = execute(database, (
        "SELECT COALESCE(SUM(net), 0) FROM balance_transaction WHERE source IN "
        "(SELECT id FROM refund WHERE payment = ? UNION ALL SELECT id FROM dispute "
        "WHERE payment = ?)"), (payment_id, payment_id)).fetchone()[0]
    return PaymentFees(txn, amount, currency, fee, net, _details(details), status,
                       available_on, net + int(others))


def missing_transactions(since: int, limit: int) -> list[tuple[str, str, int]]:
    """(kind, id, created) of captured charges and succeeded refunds created since `since` whose
    balance transaction the ledger lacks, newest first, at most `limit`: Stripe sets a
    charge's after the charge event, so the sync asks again. Disputes carry theirs."""
    lacking = "NOT EXISTS (SELECT 1 FROM balance_transaction bt WHERE bt.source = {})"
    rows = execute(database, (
        "SELECT kind, id, created FROM ("
        "SELECT 'charge' AS kind, latest_charge AS id, created FROM payment "
        "WHERE created >= ? AND status = 'succeeded' AND captured = ? "
        f"AND latest_charge IS NOT NULL AND {lacking.format('payment.latest_charge')} "
        "UNION ALL SELECT 'refund' AS kind, id, created FROM refund "
        "WHERE created >= ? AND COALESCE(status, 'succeeded') = 'succeeded' "
        f"AND {lacking.format('refund.id')}"
        ") missing ORDER BY created DESC, id DESC LIMIT ?"), (since, True, since, limit))
    return [(kind, object_id, created) for kind, object_id, created in rows]


# -- the balance ---------------------------------------------------------------------------

BALANCE_KEY = "balance"


@dataclass
class Balance:
    """Available and pending amounts per currency (minor units), as of a fetch or event."""

    available: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    as_of: int = 0

    def currencies(self) -> list[str]:
        return sorted(self.available.keys() | self.pending.keys())


def _amounts(funds: Any) -> dict[str, int]:
    return {f["currency"].lower(): f["amount"] for f in funds or []
            if isinstance(f, dict) and isinstance(f.get("currency"), str)
            and isinstance(f.get("amount"), int)}


def balance_of(obj: dict[str, Any], as_of: int) -> Balance:
    """A Stripe balance object (GET /v1/balance, or a balance.available event's)."""
    return Balance(_amounts(obj.get("available")), _amounts(obj.get("pending")), as_of)


def save_balance(balance: Balance) -> None:
    """Kept unless an older snapshot arrives after a newer one."""
    stored = load_balance()
    if stored is None or balance.as_of >= stored.as_of:
        save_record(BALANCE_KEY, balance)


def load_balance() -> Balance | None:
    return load_record(BALANCE_KEY, Balance)


def describe_balance(balance: Balance | None, currency: str | None = None) -> str:
    """'1234.56 USD available, 78.90 USD pending · 900 JPY available, 0 JPY pending' (of
    one currency when one is given)."""
    if balance is None:
        return "not synced yet"
    parts = [f"{format_amount(balance.available.get(code, 0), code)} available, "
             f"{format_amount(balance.pending.get(code, 0), code)} pending"
             for code in balance.currencies() if currency in (None, code)]
    return " · ".join(parts) or "none"
