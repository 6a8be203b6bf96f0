"""Disputes, which localstripe lacks: Stripe's shape (ids dp_...), lifecycle and events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localstripe import resources
from localstripe.resources import Charge

from sync.emulator.apis import set_extra_api
from sync.emulator.balance import dispute_transaction
from sync.emulator.clock import clock
from sync.emulator.errors import stripe_error, unknown_parameters
from sync.emulator.events import emit
from sync.emulator.params import as_bool, as_int, choice, merge_metadata, range_filter

EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)
REASONS = (
    "bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
    "debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details",
    "insufficient_funds", "product_not_received", "product_unacceptable",
    "subscription_canceled", "unrecognized",
)
# Index-aligned: submitting evidence moves OPEN[i] to UNDER_REVIEW[i].
OPEN = ("needs_response", "warning_needs_response")
UNDER_REVIEW = ("under_review", "warning_under_review")
CLOSED = ("won", "lost", "warning_closed")
RESPONSE_WINDOW = 7 * 24 * 3600

# Stripe's test cards that succeed and are then disputed: number -> (status, reason).
TEST_CARDS = {
    "4000000000000259": ("needs_response", "fraudulent"),
    "4000000000002685": ("needs_response", "product_not_received"),
    "4000000000001976": ("warning_needs_response", "fraudulent"),
}
_VISA_REASON_CODES = {"fraudulent": "10.4", "product_not_received": "13.1",
                      "duplicate": "12.6.1", "credit_not_processed": "13.6"}


class Dispute(resources.StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Any, *, reason: str, amount: int, status: str,
                 due_by: int) -> None:
        super().__init__()
        brand = charge.payment_method_details.get("card", {}).get("brand")
        self.amount = amount
        self.balance_transactions: list[Any] = []
        self.charge = charge.id
        self.currency = charge.currency
        self.evidence: dict[str, Any] = dict.fromkeys(EVIDENCE_FIELDS)
        self.evidence_details = {"due_by": due_by, "has_evidence": False, "past_due": False,
                                 "submission_count": 0, "submission_method": None}
        # An inquiry's charge may still be refunded (which closes it); a chargeback's not.
        self.is_charge_refundable = status.startswith("warning")
        self.metadata: dict[str, str] = {}
        self.payment_intent = charge.payment_intent
        self.payment_method_details = {"type": "card", "card": {
            "brand": brand,
            "network": brand,
            "case_type": "inquiry" if status.startswith("warning") else "chargeback",
            "network_reason_code": _VISA_REASON_CODES.get(reason, "13.7"),
        }}
        self.reason = reason
        self.status = status
        self._funds_withdrawn = status == "needs_response"  # inquiries hold no funds

    @classmethod
    def _api_retrieve(cls, id: str) -> Dispute:
        dispute = resources.store.get("dispute:" + str(id))
        if dispute is None:
            raise stripe_error(404, f"No such dispute: '{id}'", code="resource_missing",
                               param="dispute")
        return dispute

    def _export(self, expand: Any = None) -> dict[str, Any]:
        obj = super()._export(expand=expand)
        due_by = self.evidence_details["due_by"]
        obj["evidence_details"]["past_due"] = self.status in OPEN and clock.time() > due_by
        return obj


def move_funds(dispute: Dispute, *, withdrawn: bool) -> None:
    """A balance transaction as Stripe adds one (sync/emulator/balance.py): the amount and
    the dispute fee out on withdrawal, both back on reinstatement. (Not a method: localstripe
    exports every public attribute of an object, methods included.)"""
    txn = dispute_transaction(dispute, withdrawn=withdrawn)
    dispute.balance_transactions = [*dispute.balance_transactions, txn]
    emit("charge.dispute.funds_withdrawn" if withdrawn else
         "charge.dispute.funds_reinstated", dispute)


def open_dispute(charge: Any, *, reason: Any = "fraudulent", amount: Any = None,
                 status: Any = "needs_response", due_by: Any = None, **kwargs: Any) -> Dispute:
    """A cardholder disputes a succeeded charge (control endpoint and dispute test cards)."""
    if kwargs:
        raise unknown_parameters(kwargs)
    if charge is None:
        raise stripe_error(400, "Missing required param: charge.", param="charge")
    charge_obj = Charge._api_retrieve(str(charge))
    if charge_obj.status != "succeeded":
        raise stripe_error(400, f"Charge {charge_obj.id} did not succeed and cannot be disputed.")
    if charge_obj.disputed:
        raise stripe_error(400, f"Charge {charge_obj.id} has already been disputed.")
    amount = charge_obj.amount if amount is None else as_int(amount, "amount", minimum=1)
    if amount > charge_obj.amount:
        raise stripe_error(400, "A dispute cannot exceed the charge amount.", param="amount")
    now = int(clock.time())
    dispute = Dispute(
        charge_obj,
        reason=choice(reason, "reason", REASONS),
        amount=amount,
        status=choice(status, "status", OPEN),
        due_by=now + RESPONSE_WINDOW if due_by in (None, "") else as_int(due_by, "due_by"),
    )
    charge_obj._dispute_id = dispute.id
    emit("charge.dispute.created", dispute)
    if dispute._funds_withdrawn:
        move_funds(dispute, withdrawn=True)
    emit("charge.updated", charge_obj)  # so a sync that follows charges sees `disputed`
    return dispute


def open_for_test_card(charge: Any) -> None:
    pm = resources.store.get("payment_method:" + str(charge.payment_method))
    rule = TEST_CARDS.get(getattr(pm, "_card_number", ""))
    if rule is not None:
        open_dispute(charge.id, status=rule[0], reason=rule[1])


def _require_open(dispute: Dispute) -> None:
    if dispute.status in CLOSED:
        raise stripe_error(400, "This dispute is already closed.")
    if dispute.status in UNDER_REVIEW:
        raise stripe_error(400, "Evidence for this dispute has already been submitted; it "
                                "cannot be changed while the dispute is under review.")


def _merge_evidence(current: dict[str, Any], update: Any) -> dict[str, Any]:
    if not isinstance(update, dict):
        raise stripe_error(400, "Invalid object", param="evidence")
    unknown = {f"evidence[{k}]": v for k, v in update.items() if k not in EVIDENCE_FIELDS}
    if unknown:
        raise unknown_parameters(unknown)
    return {**current, **{key: value or None for key, value in update.items()}}


def update_dispute(id: str, evidence: Any = None, metadata: Any = None, submit: Any = None,
                   **kwargs: Any) -> Dispute:
    """Stage evidence (submit=false) or submit it; Stripe's default is to submit."""
    if kwargs:
        raise unknown_parameters(kwargs)
    dispute = Dispute._api_retrieve(id)
    _require_open(dispute)
    if evidence is not None:
        dispute.evidence = _merge_evidence(dispute.evidence, evidence)
    if metadata is not None:
        dispute.metadata = merge_metadata(dispute.metadata, metadata)
    submitting = as_bool(submit, "submit") if submit is not None else evidence is not None
    details = dict(dispute.evidence_details)
    details["has_evidence"] = any(value is not None for value in dispute.evidence.values())
    if submitting:
        details["submission_count"] += 1
        details["submission_method"] = "manual"  # sent through the API, not by Stripe
        dispute.status = UNDER_REVIEW[OPEN.index(dispute.status)]
    dispute.evidence_details = details
    emit("charge.dispute.updated", dispute)
    return dispute


def close_dispute(id: str, **kwargs: Any) -> Dispute:
    """The merchant accepts the dispute: a chargeback is lost, an inquiry just closes."""
    if kwargs:
        raise unknown_parameters(kwargs)
    dispute = Dispute._api_retrieve(id)
    _require_open(dispute)
    dispute.status = "warning_closed" if dispute.status == "warning_needs_response" else "lost"
    emit("charge.dispute.closed", dispute)
    return dispute


def resolve_dispute(id: str, status: Any = None, **kwargs: Any) -> Dispute:
    """The bank decides (control endpoint): won, lost, or warning_closed for an inquiry."""
    if kwargs:
        raise unknown_parameters(kwargs)
    dispute = Dispute._api_retrieve(id)
    if dispute.status in CLOSED:
        raise stripe_error(400, "This dispute is already closed.")
    dispute.status = choice(status, "status", CLOSED)
    emit("charge.dispute.closed", dispute)
    if dispute.status == "won" and dispute._funds_withdrawn:
        move_funds(dispute, withdrawn=False)
    return dispute


def refundable_inquiry(charge: Any) -> Dispute | None:
    """The open inquiry on `charge` that a refund may still end, if that is its dispute."""
    if charge._dispute_id is None:
        return None
    dispute = Dispute._api_retrieve(charge._dispute_id)
    return dispute if dispute.is_charge_refundable and dispute.status in OPEN + UNDER_REVIEW \
        else None


def close_refunded_inquiry(dispute: Dispute, fully_refunded: bool) -> None:
    """A full refund ends an inquiry, with no dispute fee, as on Stripe."""
    if fully_refunded:
        dispute.status = "warning_closed"
        dispute.is_charge_refundable = False
        emit("charge.dispute.closed", dispute)


def list_disputes(charge: Any = None, payment_intent: Any = None, created: Any = None,
                  limit: Any = None, starting_after: Any = None, **kwargs: Any) -> Any:
    if kwargs:
        raise unknown_parameters(kwargs)
    filters: list[Callable[[Any], bool]] = []
    if charge is not None:
        filters.append(lambda d: d.charge == charge)
    if payment_intent is not None:
        filters.append(lambda d: d.payment_intent == payment_intent)
    if created is not None:
        filters.append(range_filter(created, "created"))
    page = resources.List("/v1/disputes", limit=limit, starting_after=starting_after)
    page._list = [obj for key, obj in resources.store.items()
                  if key.startswith("dispute:") and all(f(obj) for f in filters)]
    return page


def retrieve_dispute(id: str, **kwargs: Any) -> Dispute:
    if kwargs:
        raise unknown_parameters(kwargs)
    return Dispute._api_retrieve(id)


def install() -> None:
    set_extra_api("GET", "/v1/disputes", list_disputes)
    set_extra_api("GET", "/v1/disputes/{id}", retrieve_dispute)
    set_extra_api("POST", "/v1/disputes/{id}", update_dispute)
    set_extra_api("POST", "/v1/disputes/{id}/close", close_dispute)
