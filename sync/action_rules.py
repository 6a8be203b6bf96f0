"""What the ledger must say before an action is planned or sent: each rule returns what
the action works on, or raises `ActionRefused` saying why not. No network.

The rows come from `ledger.lookups`; the wording of a refusal is the sync's.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from typing import TypeVar

from ledger import dispute_files, dispute_status, dispute_views, lookups, pending
from ledger.fraud_views import FraudWarningLine, fraud_warning
from ledger.models import Customer, Dispute, Payment, PaymentMethod
from ledger.money import format_amount
from ledger.queries import capture_by, json_object
from sync import actions_checks as checks
from sync.evidence_files import PacketItem, attached_items
from sync.plans import ActionPlan, ActionRefused

P = TypeVar("P", bound=ActionPlan)


def refundable_payment(payment_id: str) -> Payment:
    payment = lookups.payment(payment_id)
    if payment is None:
        raise ActionRefused(f"no payment {payment_id} in the ledger")
    if payment.status == "requires_capture":
        raise ActionRefused(f"{payment.id} was authorized but never captured: cancel it "
                            f"instead of refunding (key x, or payconsole cancel {payment.id})")
    if payment.status != "succeeded":
        failure = f", {payment.failure_code}" if payment.failure_code else ""
        raise ActionRefused(f"{payment.id} did not succeed (status {payment.status}{failure}): "
                            "nothing was paid, so there is nothing to refund")
    if not payment.charge_as_of:
        raise ActionRefused(f"the ledger has not seen {payment.id}'s charge yet; sync first")
    if not payment.captured or payment.amount_captured <= 0:
        raise ActionRefused(f"{payment.id} was never captured: there is nothing to refund")
    if payment.disputed and not _refund_ends_inquiry(payment):
        raise ActionRefused(f"{payment.id} is disputed: Stripe refunds a disputed payment "
                            "through the dispute (accept it, or let the bank decide), not "
                            "with a refund")
    if payment.amount_captured - payment.amount_refunded <= 0:
        raise ActionRefused(f"{payment.id} is already fully refunded")
    return payment


def actionable_warning(warning_id: str) -> tuple[FraudWarningLine, Payment]:
    """An early fraud warning still worth answering with a refund, and its payment."""
    warning = fraud_warning(warning_id)
    if warning is None:
        raise ActionRefused(f"no early fraud warning {warning_id} in the ledger")
    why_not = warning.why_not_actionable
    if why_not is not None:
        raise ActionRefused(f"early fraud warning {warning.id} is no longer actionable: "
                            f"{why_not}; nothing to send")
    if warning.payment is None:
        raise ActionRefused(f"the ledger has not seen the payment of {warning.charge} yet; "
                            "sync first")
    return warning, refundable_payment(warning.payment)


def held_payment(payment_id: str, now: float) -> Payment:
    """A payment whose authorization can still be captured or cancelled."""
    payment = lookups.payment(payment_id)
    if payment is None:
        raise ActionRefused(f"no payment {payment_id} in the ledger")
    if payment.status != "requires_capture":
        raise ActionRefused(f"{payment.id} is not awaiting capture (status {payment.status}): "
                            "only an authorized, uncaptured payment can be captured or "
                            "cancelled")
    deadline = capture_by(payment.created, payment.capture_before)
    if deadline < now:
        raise ActionRefused(f"{payment.id}'s hold lapsed at {when(deadline)} (its capture-by "
                            "time): Stripe releases it on its own, and it can no longer be "
                            "captured")
    return payment


def amount_up_to(typed: str | None, limit: int, currency: str, what: str, limit_words: str
                 ) -> int:
    """The amount typed (None: all of `limit`), refused above `limit` ("the 10.00 USD
    <limit_words>")."""
    value = limit if typed is None else checks.positive_amount(typed, currency, f"{what} amount")
    if value > limit:
        raise ActionRefused(f"{what} of {format_amount(value, currency)} is more than the "
                            f"{format_amount(limit, currency)} {limit_words}")
    return value


def refund_warnings(payment: Payment, amount: int, remainder: int) -> tuple[str, ...]:
    """What a refund does to an inquiry on the payment, said in the confirmation."""
    if not _refund_ends_inquiry(payment):
        return ()
    dispute = dispute_views.dispute_of(payment)
    assert dispute is not None  # an inquiry was just found
    if amount == remainder:
        return (f"this full refund closes inquiry {dispute.id}: no chargeback, no dispute fee",)
    return (f"a partial refund leaves inquiry {dispute.id} open: only a full refund closes it",)


def _refund_ends_inquiry(payment: Payment) -> bool:
    """An inquiry (no chargeback yet) whose charge may still be refunded: that closes it."""
    dispute = dispute_views.dispute_of(payment)
    return dispute is not None and dispute_views.refund_ends_inquiry(dispute)


def live_customer(customer_id: str) -> Customer:
    customer = lookups.live_customer(customer_id)
    if customer is None:
        raise ActionRefused(f"no customer {customer_id} in the ledger")
    return customer


def known_method(payment_method_id: str) -> PaymentMethod:
    method = lookups.payment_method(payment_method_id)
    if method is None:
        raise ActionRefused(f"no payment method {payment_method_id} in the ledger")
    return method


def attached_method(payment_method_id: str) -> tuple[PaymentMethod, str]:
    """The method and the customer it is attached to."""
    method = known_method(payment_method_id)
    if not method.customer:
        raise ActionRefused(f"{method.id} is not attached to a customer")
    return method, method.customer


def method_to_charge(customer: Customer, chosen: str | None) -> PaymentMethod:
    """The method chosen, else the customer's default, else their only one."""
    if chosen:
        method = known_method(chosen)
        if method.customer != customer.id:
            raise ActionRefused(f"{method.id} is not attached to {customer.id}")
        return method
    methods = lookups.methods_of(customer.id)
    default = [m for m in methods if m.id == customer.default_payment_method]
    if default:
        return default[0]
    if len(methods) == 1:
        return methods[0]
    if not methods:
        raise ActionRefused(f"{customer.id} has no saved payment method")
    listed = ", ".join(f"{m.id} ({m.label})" for m in methods)
    raise ActionRefused(f"{customer.id} has {len(methods)} saved payment methods and no "
                        f"default: choose one of {listed}")


def open_dispute(dispute_id: str) -> Dispute:
    dispute = lookups.dispute(dispute_id)
    if dispute is None:
        raise ActionRefused(f"no dispute {dispute_id} in the ledger")
    if dispute_status.is_closed(dispute.status):
        raise ActionRefused(f"dispute {dispute.id} is closed ({dispute.status}): it can no "
                            "longer be changed")
    return dispute


def check_typed_confirmation(plan: ActionPlan, typed: str | None) -> None:
    if not plan.confirmed_by(typed):
        raise ActionRefused(f"LIVE mode: type {plan.confirmation_text} to confirm")


def check_still_current(plan: ActionPlan) -> None:
    """Refuse a plan overtaken since it was made: done already, or a newer attempt."""
    latest = pending.latest_attempt(plan.fingerprint)
    if latest is None or latest.attempt < plan.attempt:
        return
    if latest.attempt > plan.attempt:
        raise ActionRefused(f"this {plan.action} was attempted again since it was planned; "
                            "plan it again")
    if latest.status == pending.SUCCEEDED:
        done = f" ({latest.object_id})" if latest.object_id else ""
        raise ActionRefused(f"this {plan.action} already succeeded{done}", repeatable=True)


# -- warnings: allowed, but the operator should know ------------------------------------

def expiry_warnings(method: PaymentMethod, today: date) -> tuple[str, ...]:
    if method.exp_year and method.exp_month and (
            (method.exp_year, method.exp_month) < (today.year, today.month)):
        return (f"the card expired {method.exp_month:02d}/{method.exp_year}: the bank will "
                "probably decline it",)
    return ()


def detach_warnings(customer_id: str, was_default: bool, others: tuple[str, ...]
                    ) -> tuple[str, ...]:
    if not was_default:
        return ()
    if not others:
        return (f"this is {customer_id}'s default and only saved payment method: the customer "
                "is left with none",)
    return (f"this is {customer_id}'s default payment method: the customer is left with no "
            f"default; remaining: {'; '.join(others)}",)


def evidence_warnings(dispute: Dispute, submit: bool, now: float) -> tuple[str, ...]:
    warnings = []
    if dispute.status in dispute_status.UNDER_REVIEW:
        warnings.append(f"evidence was already submitted ({dispute.submission_count} time(s)) "
                        "and is under review: Stripe usually refuses changes now")
    if dispute.due_by and dispute.due_by < now:
        warnings.append(f"evidence was due {when(dispute.due_by)}")
    if submit:
        due = f" (due {when(dispute.due_by)})" if dispute.due_by else ""
        warnings.append("evidence can usually be submitted only once: after this it cannot be "
                        f"changed, and the bank decides on what was sent{due}")
    return tuple(warnings)


def attached_files(dispute: Dispute) -> dict[str, PacketItem]:
    """The files the dispute's saved evidence holds, by field, as far as the ledger knows
    them (those payconsole uploaded): they count towards the packet limits."""
    return attached_items(dispute_files.attached_files(dispute.id, json_object(dispute.evidence)))


def when(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def settle(plan: P, repeat: bool) -> P:
    """Give the plan its attempt number from what this same action did before."""
    previous = pending.latest_attempt(plan.fingerprint)
    if previous is None:
        return plan
    since = when(previous.updated_at)
    done = f" ({previous.object_id})" if previous.object_id else ""
    if previous.status == pending.FAILED:
        return replace(plan, attempt=previous.attempt + 1)
    if previous.status == pending.PENDING and not repeat:
        note = (f"resumes the unfinished attempt of {since} with its idempotency key: if "
                "Stripe got it, Stripe answers with that first result")
    elif previous.status == pending.PENDING:
        note = (f"starts over instead of resuming the unfinished attempt of {since}: if "
                "that one reached Stripe, this does it a second time")
    elif repeat:
        note = f"repeats the identical {plan.action} that succeeded at {since}{done}"
    else:
        raise ActionRefused(f"this exact {plan.action} already succeeded at {since}{done}; "
                            "to do it again, repeat it explicitly", repeatable=True)
    attempt = previous.attempt + (1 if repeat else 0)
    return replace(plan, attempt=attempt, warnings=(*plan.warnings, note))
