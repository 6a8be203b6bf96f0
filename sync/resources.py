"""Where each kind of Stripe object the ledger keeps lives in the API."""

from __future__ import annotations

from dataclasses import dataclass


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
}
