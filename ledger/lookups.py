"""Single ledger rows by id, as the actions and the sync ask for them: None where the ledger
has no such row (the caller says what that means)."""

from __future__ import annotations

from ledger.models import Customer, Dispute, Payment, PaymentMethod


def payment(payment_id: str) -> Payment | None:
    """A payment by its PaymentIntent id, or by its latest charge's id (a ch_ id is also
    the id of a legacy charge with no intent)."""
    if payment_id.startswith("ch_"):
        return Payment.get_or_none((Payment.latest_charge == payment_id)
                                   | (Payment.id == payment_id))
    return Payment.get_or_none(Payment.id == payment_id)


def customer(customer_id: str | None) -> Customer | None:
    if not customer_id:
        return None
    return Customer.get_or_none(Customer.id == customer_id)


def live_customer(customer_id: str) -> Customer | None:
    """The customer, unless the ledger has none or it was deleted."""
    found = customer(customer_id)
    return None if found is None or found.deleted else found


def live_customer_ids() -> list[str]:
    """The ids of every customer not deleted."""
    return [row.id for row in Customer.select(Customer.id).where(Customer.deleted == 0)]


def payment_method(payment_method_id: str) -> PaymentMethod | None:
    return PaymentMethod.get_or_none(PaymentMethod.id == payment_method_id)


def methods_of(customer_id: str) -> list[PaymentMethod]:
    """A customer's saved payment methods, oldest first."""
    return list(PaymentMethod.select().where(PaymentMethod.customer == customer_id)
                .order_by(PaymentMethod.created, PaymentMethod.id))


def dispute(dispute_id: str) -> Dispute | None:
    return Dispute.get_or_none(Dispute.id == dispute_id)
