"""Planning operator actions: what the CLI and the console dialogs call first.

`ActionDesk.plan_*` validates against the ledger and sends nothing: it returns a plan to
show for confirmation, or raises `ActionRefused` (audited). Each plan remembers the call
that made it (`plan.call`), so the sync service of a team ledger can make the same plan
again, as the operator who asked, before it runs it (sync/team_service.py). Who runs a plan
is the subclass: `Actions` sends it to Stripe itself (sync/actions.py); `RequestedActions`
asks the team's sync service to (sync/team_actions.py).
"""

from __future__ import annotations

import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from ledger import audit, lookups
from ledger.audit import NewEntry
from ledger.money import MoneyError, normalize_currency
from ledger.queries import capture_by
from sync import action_rules as rules
from sync import actions_checks as checks
from sync import evidence_files
from sync.plans import (
    AcceptPlan,
    ActionPlan,
    ActionRefused,
    ActionResult,
    ChargePlan,
    DetachPlan,
    MethodUpdatePlan,
    PlanCall,
    RefundPlan,
    SetDefaultPlan,
)
from sync.plans_evidence import EvidencePlan
from sync.plans_fraud import FraudRefundPlan
from sync.plans_payments import CANCEL_REASONS, CancelPlan, CapturePlan

if TYPE_CHECKING:
    from sync.gateway import StripeGateway

Args = ParamSpec("Args")
Plan = TypeVar("Plan", bound=ActionPlan)
# The plan_* methods a recorded call may name (a request's call is data from a client).
REPLAYABLE: set[str] = set()


def replayable(method: Callable[Concatenate[Any, Args], Plan]
               ) -> Callable[Concatenate[Any, Args], Plan]:
    """Record on each plan the call that made it."""
    REPLAYABLE.add(method.__name__)

    def plan(desk: Any, /, *args: Args.args, **kwargs: Args.kwargs) -> Plan:
        made = method(desk, *args, **kwargs)
        return replace(made, call=PlanCall(method.__name__, tuple(args), dict(kwargs)))

    functools.update_wrapper(plan, method)
    return plan


@dataclass(eq=False)  # one per console or CLI run: compared by identity
class ActionDesk(ABC):
    """Operator actions for one operator, under one configuration."""

    operator: str
    _: KW_ONLY
    read_only: bool = False
    live: bool = False
    allow_live_actions: bool = False
    clock: Callable[[], float] = field(default=time.time, repr=False)
    # The team request this desk works for (the service's): linked from every audit entry.
    request_id: int | None = None
    # -- authority -------------------------------------------------------------------

    def refusal(self) -> str | None:
        """Why every action is refused under this configuration (the UI hides them), or None."""
        if self.read_only:
            return "this console is read-only ([console] read_only = true)"
        if self.live and not self.allow_live_actions:
            return ("this is a live key and live actions are not allowed (set [console] "
                    "allow_live_actions = true to allow them)")
        return None

    def _authorize(self) -> None:
        reason = self.refusal()
        if reason:
            raise ActionRefused(reason)


    # -- refunds -----------------------------------------------------------------------

    @replayable
    def plan_refund(self, payment_id: str, amount: str | None = None, *,
                    reason: str | None = None, note: str | None = None,
                    repeat: bool = False) -> RefundPlan:
        """A refund of a payment (pi_ or ch_ id); `amount` as typed, default: all that is left."""
        asked = {"amount": amount, "reason": reason, "note": note}
        with self._refusals_audited("refund", payment_id, asked):
            payment = rules.refundable_payment(payment_id)
            remainder = payment.amount_captured - payment.amount_refunded
            value = rules.amount_up_to(amount, remainder, payment.currency, "refund",
                                       f"left to refund on {payment.id}")
            plan = RefundPlan(
                operator=self.operator, target=payment.id, live=self.live,
                charge_id=payment.latest_charge, amount=value, currency=payment.currency,
                remainder=remainder,
                reason=checks.choice(reason, checks.REFUND_REASONS, "refund reason"),
                note=checks.free_text(note, "note", checks.METADATA_VALUE_MAX) or None,
                warnings=rules.refund_warnings(payment, value, remainder),
            )
            return rules.settle(plan, repeat)

    @replayable
    def plan_fraud_refund(self, warning_id: str, *, repeat: bool = False) -> FraudRefundPlan:
        """Answer an early fraud warning: refund what is left of its payment, fraudulent."""
        with self._refusals_audited("efw.refund", warning_id, {}):
            warning, payment = rules.actionable_warning(warning_id)
            plan = FraudRefundPlan(
                operator=self.operator, target=warning.id, live=self.live,
                payment_id=payment.id, charge_id=payment.latest_charge,
                fraud_type=warning.fraud_type, currency=payment.currency,
                amount=payment.amount_captured - payment.amount_refunded)
            return rules.settle(plan, repeat)

    # -- authorizations: capture or cancel the hold -----------------------------------

    @replayable
    def plan_capture(self, payment_id: str, amount: str | None = None, *,
                     repeat: bool = False) -> CapturePlan:
        """Capture an authorized payment; `amount` as typed, default: all that is capturable.
        Stripe releases the rest of the authorization."""
        with self._refusals_audited("capture", payment_id, {"amount": amount}):
            payment = rules.held_payment(payment_id, self.clock())
            capturable = payment.amount_capturable or payment.amount
            value = rules.amount_up_to(amount, capturable, payment.currency, "capture",
                                       f"capturable on {payment.id}")
            plan = CapturePlan(operator=self.operator, target=payment.id, live=self.live,
                               amount=value, currency=payment.currency, capturable=capturable,
                               capture_by=capture_by(payment.created, payment.capture_before))
            return rules.settle(plan, repeat)

    @replayable
    def plan_cancel(self, payment_id: str, *, reason: str | None = None,
                    repeat: bool = False) -> CancelPlan:
        """Cancel an authorized payment: its whole hold is released."""
        with self._refusals_audited("cancel", payment_id, {"reason": reason}):
            payment = rules.held_payment(payment_id, self.clock())
            plan = CancelPlan(operator=self.operator, target=payment.id, live=self.live,
                              amount=payment.amount_capturable or payment.amount,
                              currency=payment.currency,
                              reason=checks.choice(reason, CANCEL_REASONS, "cancel reason"))
            return rules.settle(plan, repeat)

    # -- charging a saved payment method -----------------------------------------------

    @replayable
    def plan_charge(self, customer_id: str, amount: str, currency: str, *,
                    payment_method: str | None = None, description: str | None = None,
                    repeat: bool = False) -> ChargePlan:
        """An off-session payment with a saved method (default: the customer's default,
        else their only card)."""
        asked = {"amount": amount, "currency": currency, "payment_method": payment_method,
                 "description": description}
        with self._refusals_audited("charge", customer_id, asked):
            customer = rules.live_customer(customer_id)
            try:
                code = normalize_currency(currency)
            except MoneyError as exc:
                raise ActionRefused(f"currency: {exc}") from None
            method = rules.method_to_charge(customer, payment_method)
            plan = ChargePlan(
                operator=self.operator, target=customer.id, live=self.live,
                customer_email=customer.email, payment_method_id=method.id,
                card=method.label,
                amount=checks.positive_amount(amount, code, "charge amount"), currency=code,
                description=checks.free_text(description, "description",
                                             checks.DESCRIPTION_MAX) or None,
                warnings=rules.expiry_warnings(method, self._today()),
            )
            return rules.settle(plan, repeat)

    # -- payment methods ---------------------------------------------------------------

    @replayable
    def plan_method_update(self, payment_method_id: str, *, exp_month: int | str | None = None,
                           exp_year: int | str | None = None, name: str | None = None,
                           email: str | None = None, postal_code: str | None = None,
                           repeat: bool = False) -> MethodUpdatePlan:
        """New expiry and billing details (None: unchanged, "": clear). No card number is
        ever taken: Stripe keeps the card, and brand and last4 stay as they are."""
        asked = {"exp_month": exp_month, "exp_year": exp_year, "name": name, "email": email,
                 "postal_code": postal_code}
        with self._refusals_audited("method.update", payment_method_id, asked):
            method = rules.known_method(payment_method_id)
            expiry = checks.card_expiry(exp_month, exp_year, today=self._today(),
                                        current=(method.exp_month, method.exp_year))
            if expiry is not None and method.type != "card":
                raise ActionRefused(f"{method.id} is not a card: it has no expiry")
            plan = MethodUpdatePlan(
                operator=self.operator, target=method.id, live=self.live,
                card=method.label,
                exp_month=expiry[0] if expiry else None, exp_year=expiry[1] if expiry else None,
                name=checks.free_text(name, "billing name", checks.NAME_MAX),
                email=checks.email(email, "billing email"),
                postal_code=checks.postal_code(postal_code),
            )
            if not plan.params():
                raise ActionRefused("nothing to change: give an expiry or billing details")
            return rules.settle(plan, repeat)

    @replayable
    def plan_set_default(self, payment_method_id: str, *, repeat: bool = False) -> SetDefaultPlan:
        """Make a method its customer's default (invoice_settings.default_payment_method)."""
        with self._refusals_audited("method.set_default", payment_method_id, {}):
            method, customer_id = rules.attached_method(payment_method_id)
            customer = lookups.customer(customer_id)
            previous = customer.default_payment_method if customer else None
            if previous == method.id:
                raise ActionRefused(f"{method.id} is already {customer_id}'s default")
            plan = SetDefaultPlan(operator=self.operator, target=method.id, live=self.live,
                                  card=method.label, customer_id=customer_id,
                                  previous_default=previous)
            return rules.settle(plan, repeat)

    @replayable
    def plan_detach(self, payment_method_id: str, *, repeat: bool = False) -> DetachPlan:
        """Detach a method from its customer; the plan says what happens to the default."""
        with self._refusals_audited("method.detach", payment_method_id, {}):
            method, customer_id = rules.attached_method(payment_method_id)
            customer = lookups.customer(customer_id)
            was_default = customer is not None and customer.default_payment_method == method.id
            others = tuple(f"{m.label} ({m.id})" for m in lookups.methods_of(customer_id)
                           if m.id != method.id)
            plan = DetachPlan(operator=self.operator, target=method.id, live=self.live,
                              card=method.label, customer_id=customer_id,
                              was_default=was_default, remaining=others,
                              warnings=rules.detach_warnings(customer_id, was_default, others))
            return rules.settle(plan, repeat)

    # -- disputes ----------------------------------------------------------------------

    @replayable
    def plan_evidence(self, dispute_id: str, fields: Mapping[str, str], *, submit: bool = False,
                      files: Mapping[str, str] | None = None, repeat: bool = False
                      ) -> EvidencePlan:
        """Evidence text fields and files (field -> path) saved as a draft (`submit=False`)
        or submitted to the bank. The files are read and checked now, uploaded by execute."""
        asked = {"fields": sorted(fields), "files": sorted(files or {}), "submit": submit}
        with self._refusals_audited("dispute.evidence", dispute_id, asked):
            dispute = rules.open_dispute(dispute_id)
            evidence = checks.evidence(fields, today=self._today())
            attached = rules.attached_files(dispute)
            given = evidence_files.inspect_all(files or {}, attached)
            packet = evidence_files.packet(given, attached)
            if not evidence and not given and not submit:
                raise ActionRefused("no evidence fields or files given")
            if not evidence and not given and not dispute.has_evidence:
                raise ActionRefused(f"nothing to submit: no evidence is saved on {dispute.id}")
            plan = EvidencePlan(
                operator=self.operator, target=dispute.id, live=self.live,
                payment_id=dispute.payment, amount=dispute.amount, currency=dispute.currency,
                due_by=dispute.due_by, evidence=tuple(sorted(evidence.items())), submit=submit,
                files=given, packet=packet.summary if packet.items else None,
                warnings=rules.evidence_warnings(dispute, submit, self.clock()),
            )
            return rules.settle(plan, repeat)

    @replayable
    def plan_accept(self, dispute_id: str, *, repeat: bool = False) -> AcceptPlan:
        """Accept (close) a dispute: the amount is conceded; it cannot be undone."""
        with self._refusals_audited("dispute.accept", dispute_id, {}):
            dispute = rules.open_dispute(dispute_id)
            plan = AcceptPlan(operator=self.operator, target=dispute.id, live=self.live,
                              payment_id=dispute.payment, amount=dispute.amount,
                              currency=dispute.currency, reason=dispute.reason)
            return rules.settle(plan, repeat)


    # -- what the subclass does with a plan ------------------------------------------

    @abstractmethod
    def execute(self, plan: ActionPlan, *, typed_confirmation: str | None = None
                ) -> ActionResult:
        """Carry the plan out; raises ActionRefused (nothing sent) or ActionFailed."""

    @abstractmethod
    def refresh(self, object_id: str) -> bool:
        """Bring one object up to date in the ledger before planning on it."""

    @property
    def stripe_gateway(self) -> StripeGateway | None:
        """What this desk reads Stripe through; None: it never calls Stripe."""
        return None

    def refusal_for(self, action: str) -> str | None:
        """Why this operator may not do `action` (the UI hides it), or None."""
        return self.refusal()

    # -- plumbing ----------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _today(self) -> date:
        return date.fromtimestamp(self.clock())

    @contextmanager
    def _refusals_audited(self, action: str, target: str, params: Mapping[str, Any],
                          key: str | None = None) -> Iterator[None]:
        """Check authority, and log any refusal (from the body too) before it propagates."""
        try:
            self._authorize()
            yield
        except ActionRefused as exc:
            self._audit(NewEntry(operator=self.operator, action=action, target=target,
                                 result="refused", params=params, idempotency_key=key,
                                 error=str(exc)))
            raise

    def _audit(self, entry: NewEntry) -> None:
        if self.request_id is not None:
            entry = replace(entry, params={**entry.params, "request": self.request_id})
        audit.append(entry, now=self.clock())

    def _audit_plan(self, plan: ActionPlan, result: str, **details: Any) -> None:
        self._audit(NewEntry(operator=self.operator, action=plan.action, target=plan.target,
                             result=result, params=plan.audit_params(),
                             idempotency_key=plan.idempotency_key, **details))
