"""Refunds: never more than what is left on the charge, reasons, events."""

from __future__ import annotations

from typing import Any

from localstripe import resources
from localstripe.resources import Charge, PaymentIntent, Refund

from sync.emulator.disputes import close_refunded_inquiry, refundable_inquiry
from sync.emulator.errors import stripe_error
from sync.emulator.events import emit
from sync.emulator.money import display_amount
from sync.emulator.params import as_int, choice

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _refund_init(original: Any) -> Any:
    def __init__(self: Any, *, reason: Any = None, **kwargs: Any) -> None:
        if reason is not None:
            choice(reason, "reason", REASONS)
        original(self, **kwargs)
        self.reason = reason
        charge = resources.store["charge:" + self.charge]
        self.payment_intent = self.payment_intent or charge.payment_intent
        charge._refund_ids.append(self.id)

    return __init__


def _charge_to_refund(charge: Any, payment_intent: Any) -> Any:
    if charge is not None:
        return Charge._api_retrieve(str(charge))
    if payment_intent is None:
        raise stripe_error(400, "One of the following params should be provided for this "
                                "request: payment_intent or charge.")
    intent = PaymentIntent._api_retrieve(str(payment_intent))
    if intent.latest_charge is None:
        raise stripe_error(400, f"This PaymentIntent ({intent.id}) does not have a successful "
                                "charge to refund.", param="payment_intent")
    return intent.latest_charge


def _refund_amount(charge: Any, amount: Any) -> int:
    """The amount to refund: all that is left when not given, refused when too much."""
    if charge.disputed and refundable_inquiry(charge) is None:
        raise stripe_error(400, f"Charge {charge.id} has been disputed and cannot be refunded.",
                           code="charge_disputed")
    remaining = charge.amount - charge.amount_refunded
    if remaining <= 0:
        raise stripe_error(400, f"Charge {charge.id} has already been refunded.",
                           code="charge_already_refunded")
    if amount is None:
        return remaining
    requested = as_int(amount, "amount", minimum=1)
    if requested > remaining:
        raise stripe_error(
            400,
            f"Refund amount ({display_amount(requested, charge.currency)}) is greater than "
            f"unrefunded amount on charge ({display_amount(remaining, charge.currency)})",
            code="amount_too_large",
            param="amount",
        )
    return requested


def _api_create(cls: Any, charge: Any = None, payment_intent: Any = None, amount: Any = None,
                **data: Any) -> Any:
    charge_obj = _charge_to_refund(charge, payment_intent)
    amount = _refund_amount(charge_obj, amount)
    inquiry = refundable_inquiry(charge_obj)
    refund = cls(charge=charge, payment_intent=payment_intent, amount=amount, **data)
    emit("refund.created", refund)
    emit("charge.refunded", charge_obj)
    if inquiry is not None:
        close_refunded_inquiry(inquiry, charge_obj.amount_refunded >= charge_obj.amount)
    return refund


def install() -> None:
    Refund.__init__ = _refund_init(Refund.__init__)
    Refund._api_create = classmethod(_api_create)
