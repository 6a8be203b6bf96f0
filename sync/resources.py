"""Where each kind of Stripe object the ledger keeps lives in the API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resource:
    name: str  # as shown in reports
    list_path: str
    # Lists that cannot be filtered server-side in every Stripe-compatible API keep
    # everything; the others keep the backfill window.
    windowed: bool = True


BACKFILL_RESOURCES: tuple[Resource, ...] = (
    Resource("customers", "/v1/customers", windowed=False),
    Resource("payment_intents", "/v1/payment_intents"),
    Resource("charges", "/v1/charges"),
    Resource("refunds", "/v1/refunds"),
    Resource("disputes", "/v1/disputes"),
    Resource("balance_transactions", "/v1/balance_transactions"),
    Resource("payouts", "/v1/payouts"),
    Resource("early_fraud_warnings", "/v1/radar/early_fraud_warnings"),
)

# Payment methods can only be listed per customer.
PAYMENT_METHODS_PATH = "/v1/payment_methods"

OBJECT_PATHS: dict[str, str] = {
    "customer": "/v1/customers/{}",
    "payment_intent": "/v1/payment_intents/{}",
    "charge": "/v1/charges/{}",
    "refund": "/v1/refunds/{}",
    "dispute": "/v1/disputes/{}",
    "payment_method": "/v1/payment_methods/{}",
    "balance_transaction": "/v1/balance_transactions/{}",
    "payout": "/v1/payouts/{}",
    "radar.early_fraud_warning": "/v1/radar/early_fraud_warnings/{}",
}


def created_of(obj: Mapping[str, Any]) -> int:
    """An object's `created`, 0 when missing or not a number (a malformed listing)."""
    created = obj.get("created")
    return created if isinstance(created, int) and not isinstance(created, bool) else 0


def newest_first(page: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a listing page runs newest first (real Stripe) or oldest first (the emulator)."""
    return len(page) > 1 and created_of(page[0]) > created_of(page[-1])
