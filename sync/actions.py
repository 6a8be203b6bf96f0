"""Operator actions on Stripe, for the CLI and the console dialogs alike.

Every action is two steps. `plan_*` validates against the ledger and sends nothing: it
returns a plan to show for confirmation, or raises `ActionRefused`. `execute(plan)` sends
the one write the plan stands for, with an idempotency key derived from the action, then
stores what Stripe answered, so the panes show the outcome at once (the events that follow
reach the ledger through the normal sync). Every attempt, refusal and outcome is appended
to the audit log.

One path runs every action: the pending attempt is recorded (committed) before the call,
so a second key press, a retry after a timeout, or a rerun after a crash resends the same
key and Stripe answers with the first result instead of doing it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from ledger import audit, dispute_status, pending
from ledger.audit import NewEntry
from ledger.db import database
from ledger.labels import method_label
from ledger.models import Customer, Dispute, Payment, PaymentMethod
from ledger.money import MoneyError, format_amount, normalize_currency
from sync import actions_checks as checks
from sync.apply import apply_objects
from sync.gateway import GatewayError, NotFound, StripeGateway
from sync.plans import (
    AcceptPlan,
    ActionFailed,
    ActionPlan,
    ActionRefused,
    ActionResult,
    ChargePlan,
    DetachPlan,
    EvidencePlan,
    MethodUpdatePlan,
    RefundPlan,
    SetDefaultPlan,
)
from sync.resources import OBJECT_PATHS, PAYMENT_METHODS_PATH

log = logging.getLogger(__name__)

P = TypeVar("P", bound=ActionPlan)


# What "this key may not ..." says for each action (a restricted key lacking the right).
_VERBS = {
    "refund": "create refunds",
    "charge": "create payments",
    "method.update": "update payment methods",
    "method.set_default": "update customers",
    "method.detach": "detach payment methods",
    "dispute.evidence": "update disputes",
    "dispute.accept": "close disputes",
}
_KINDS = {"pi_": "payment_intent", "ch_": "charge", "cus_": "customer", "pm_": "payment_method",
          "dp_": "dispute", "re_": "refund"}
# Fields of an object that name other objects an action on it changes.
_RELATED = {"payment_intent": ("latest_charge",), "refund": ("charge", "payment_intent"),
            "payment_method": ("customer",), "dispute": ("charge",)}


class Actions:
    """Operator actions for one operator, under one key and configuration."""

    def __init__(self, gateway: StripeGateway, operator: str, *, read_only: bool = False,
                 live: bool = False, allow_live_actions: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.gateway = gateway
        self.operator = operator
        self.read_only = read_only
        self.live = live
        self.allow_live_actions = allow_live_actions
        self._clock = clock

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

    def plan_refund(self, payment_id: str, amount: str | None = None, *,
                    reason: str | None = None, note: str | None = None,
                    repeat: bool = False) -> RefundPlan:
        """A refund of a payment (pi_ or ch_ id); `amount` as typed, default: all that is left."""
        asked = {"amount": amount, "reason": reason, "note": note}
        with self._refusals_audited("refund", payment_id, asked):
            payment = _refundable_payment(payment_id)
            remainder = payment.amount_captured - payment.amount_refunded
            value = remainder if amount is None else checks.positive_amount(
                amount, payment.currency, "refund amount")
            if value > remainder:
                raise ActionRefused(
                    f"refund of {format_amount(value, payment.currency)} is more than the "
                    f"{format_amount(remainder, payment.currency)} left to refund on {payment.id}")
            plan = RefundPlan(
                operator=self.operator, target=payment.id, live=self.live,
                charge_id=payment.latest_charge, amount=value, currency=payment.currency,
                remainder=remainder,
                reason=checks.choice(reason, checks.REFUND_REASONS, "refund reason"),
                note=checks.free_text(note, "note", checks.METADATA_VALUE_MAX) or None,
            )
            return self._settle(plan, repeat)

    # -- charging a saved payment method -----------------------------------------------

    def plan_charge(self, customer_id: str, amount: str, currency: str, *,
                    payment_method: str | None = None, description: str | None = None,
                    repeat: bool = False) -> ChargePlan:
        """An off-session payment with a saved method (default: the customer's default,
        else their only card)."""
        asked = {"amount": amount, "currency": currency, "payment_method": payment_method,
                 "description": description}
        with self._refusals_audited("charge", customer_id, asked):
            customer = Customer.get_or_none(Customer.id == customer_id)
            if customer is None or customer.deleted:
                raise ActionRefused(f"no customer {customer_id} in the ledger")
            try:
                code = normalize_currency(currency)
            except MoneyError as exc:
                raise ActionRefused(f"currency: {exc}") from None
            method = _method_to_charge(customer, payment_method)
            plan = ChargePlan(
                operator=self.operator, target=customer.id, live=self.live,
                customer_email=customer.email, payment_method_id=method.id,
                card=_card_label(method),
                amount=checks.positive_amount(amount, code, "charge amount"), currency=code,
                description=checks.free_text(description, "description",
                                             checks.DESCRIPTION_MAX) or None,
                warnings=_expiry_warnings(method, self._today()),
            )
            return self._settle(plan, repeat)

    # -- payment methods ---------------------------------------------------------------

    def plan_method_update(self, payment_method_id: str, *, exp_month: int | str | None = None,
                           exp_year: int | str | None = None, name: str | None = None,
                           email: str | None = None, postal_code: str | None = None,
                           repeat: bool = False) -> MethodUpdatePlan:
        """New expiry and billing details (None: unchanged, "": clear). No card number is
        ever taken: Stripe keeps the card, and brand and last4 stay as they are."""
        asked = {"exp_month": exp_month, "exp_year": exp_year, "name": name, "email": email,
                 "postal_code": postal_code}
        with self._refusals_audited("method.update", payment_method_id, asked):
            method = _payment_method(payment_method_id)
            expiry = checks.card_expiry(exp_month, exp_year, today=self._today(),
                                        current=(method.exp_month, method.exp_year))
            if expiry is not None and method.type != "card":
                raise ActionRefused(f"{method.id} is not a card: it has no expiry")
            plan = MethodUpdatePlan(
                operator=self.operator, target=method.id, live=self.live,
                card=_card_label(method),
                exp_month=expiry[0] if expiry else None, exp_year=expiry[1] if expiry else None,
                name=checks.free_text(name, "billing name", checks.NAME_MAX),
                email=checks.email(email, "billing email"),
                postal_code=checks.postal_code(postal_code),
            )
            if not plan.params():
                raise ActionRefused("nothing to change: give an expiry or billing details")
            return self._settle(plan, repeat)

    def plan_set_default(self, payment_method_id: str, *, repeat: bool = False) -> SetDefaultPlan:
        """Make a method its customer's default (invoice_settings.default_payment_method)."""
        with self._refusals_audited("method.set_default", payment_method_id, {}):
            method = _attached_method(payment_method_id)
            customer = Customer.get_or_none(Customer.id == method.customer)
            previous = customer.default_payment_method if customer else None
            if previous == method.id:
                raise ActionRefused(f"{method.id} is already {method.customer}'s default")
            plan = SetDefaultPlan(operator=self.operator, target=method.id, live=self.live,
                                  card=_card_label(method), customer_id=method.customer,
                                  previous_default=previous)
            return self._settle(plan, repeat)

    def plan_detach(self, payment_method_id: str, *, repeat: bool = False) -> DetachPlan:
        """Detach a method from its customer; the plan says what happens to the default."""
        with self._refusals_audited("method.detach", payment_method_id, {}):
            method = _attached_method(payment_method_id)
            customer = Customer.get_or_none(Customer.id == method.customer)
            was_default = customer is not None and customer.default_payment_method == method.id
            others = tuple(_card_label(m) + f" ({m.id})" for m in _methods_of(method.customer)
                           if m.id != method.id)
            plan = DetachPlan(operator=self.operator, target=method.id, live=self.live,
                              card=_card_label(method), customer_id=method.customer,
                              was_default=was_default, remaining=others,
                              warnings=_detach_warnings(method.customer, was_default, others))
            return self._settle(plan, repeat)

    # -- disputes ----------------------------------------------------------------------

    def plan_evidence(self, dispute_id: str, fields: Mapping[str, str], *, submit: bool = False,
                      repeat: bool = False) -> EvidencePlan:
        """Evidence text fields saved as a draft (`submit=False`) or submitted to the bank."""
        asked = {"fields": sorted(fields), "submit": submit}
        with self._refusals_audited("dispute.evidence", dispute_id, asked):
            dispute = _open_dispute(dispute_id)
            evidence = checks.evidence(fields, today=self._today())
            if not evidence and not submit:
                raise ActionRefused("no evidence fields given")
            if not evidence and not dispute.has_evidence:
                raise ActionRefused(f"nothing to submit: no evidence is saved on {dispute.id}")
            plan = EvidencePlan(
                operator=self.operator, target=dispute.id, live=self.live,
                payment_id=dispute.payment, amount=dispute.amount, currency=dispute.currency,
                due_by=dispute.due_by, evidence=tuple(sorted(evidence.items())), submit=submit,
                warnings=_evidence_warnings(dispute, submit, self._clock()),
            )
            return self._settle(plan, repeat)

    def plan_accept(self, dispute_id: str, *, repeat: bool = False) -> AcceptPlan:
        """Accept (close) a dispute: the amount is conceded; it cannot be undone."""
        with self._refusals_audited("dispute.accept", dispute_id, {}):
            dispute = _open_dispute(dispute_id)
            plan = AcceptPlan(operator=self.operator, target=dispute.id, live=self.live,
                              payment_id=dispute.payment, amount=dispute.amount,
                              currency=dispute.currency, reason=dispute.reason)
            return self._settle(plan, repeat)

    # -- the one execution path --------------------------------------------------------

    def execute(self, plan: ActionPlan, *, typed_confirmation: str | None = None
                ) -> ActionResult:
        """Send the plan's write to Stripe and store the outcome.

        Raises ActionRefused (nothing sent) or ActionFailed (Stripe refused, or its answer
        was lost). A declined charge is a result (`ok=False`), stored as a failed payment.
        """
        key = plan.idempotency_key
        with self._refusals_audited(plan.action, plan.target, plan.audit_params(), key):
            _check_typed_confirmation(plan, typed_confirmation)
            _check_still_current(plan)
        pending.record_start(plan.fingerprint, operator=self.operator, action=plan.action,
                             target=plan.target, attempt=plan.attempt, now=self._now())
        self._audit_plan(plan, "attempted")
        try:
            obj, declined = self._send(plan)
        except GatewayError as exc:
            raise self._failure(plan, exc) from None
        self._store([obj, *self._reread([*_related_ids(obj), *plan.also_refresh()])])
        result = _result(plan, obj, declined)
        pending.record_end(plan.fingerprint, attempt=plan.attempt, object_id=result.object_id,
                           status=pending.FAILED if declined else pending.SUCCEEDED,
                           now=self._now())
        self._audit_plan(plan, "failed" if declined else "succeeded",
                         object_id=result.object_id, object_status=result.status,
                         request_id=result.request_id,
                         error=None if result.ok else result.message)
        return result

    def _send(self, plan: ActionPlan) -> tuple[dict[str, Any], GatewayError | None]:
        """Stripe's answer: the object, and the card error when a charge was declined (the
        declined PaymentIntent is still an outcome to store)."""
        request = plan.request()
        try:
            return self.gateway.post(request.path, request.params,
                                     idempotency_key=plan.idempotency_key), None
        except GatewayError as exc:
            intent = exc.error.get("payment_intent")
            if not isinstance(intent, dict):
                raise
            return intent, exc

    def _failure(self, plan: ActionPlan, exc: GatewayError) -> ActionFailed:
        """Audit a call that got no object back; keep the attempt open if the outcome is
        unknown, so that running the action again reuses its key."""
        unknown = exc.retryable or exc.status is None or exc.status == 409
        if unknown:
            message = (f"{exc}; Stripe's answer was not received, so running the same action "
                       "again is safe: it reuses the idempotency key")
        else:
            message = _refusal_message(plan.action, exc)
            pending.record_end(plan.fingerprint, attempt=plan.attempt, status=pending.FAILED,
                               object_id=None, now=self._now())
            # A refusal often means the ledger was stale (say, refunded elsewhere): re-read.
            self._store(self._reread([plan.target], follow=True))
        self._audit_plan(plan, "failed", request_id=exc.request_id, error=message)
        return ActionFailed(message, code=exc.code, request_id=exc.request_id,
                            outcome_unknown=unknown)

    # -- reading back from Stripe ------------------------------------------------------

    def refresh(self, object_id: str) -> bool:
        """Re-read one object, and those hanging off it, from Stripe into the ledger (the
        CLI does before planning). False when Stripe does not know it."""
        try:
            objects = self._fetch([object_id], follow=True)
            if not objects:
                return False
            for customer in [o["id"] for o in objects if o.get("object") == "customer"]:
                params = {"customer": customer, "type": "card"}
                objects += [m for page in self.gateway.pages(PAYMENT_METHODS_PATH, params)
                            for m in page]
        except GatewayError as exc:
            raise ActionFailed(f"cannot read {object_id}: {exc}", code=exc.code,
                               request_id=exc.request_id) from None
        self._store(objects)
        return True

    def _fetch(self, ids: list[str], *, follow: bool = False) -> list[dict[str, Any]]:
        """GET each object Stripe knows; `follow`: and the objects they name (one level)."""
        objects = []
        for object_id in dict.fromkeys(ids):
            kind = next((k for prefix, k in _KINDS.items() if object_id.startswith(prefix)), None)
            if kind is None:
                continue
            try:
                objects.append(self.gateway.get(OBJECT_PATHS[kind].format(object_id)))
            except NotFound:
                continue
        if follow:
            objects += self._fetch([i for obj in objects for i in _related_ids(obj)])
        return objects

    def _reread(self, ids: list[str], *, follow: bool = False) -> list[dict[str, Any]]:
        """After a write: best effort, since the sync will bring anything missed."""
        try:
            return self._fetch(ids, follow=follow)
        except GatewayError as exc:
            log.warning("could not re-read %s after an action: %s", ", ".join(ids), exc)
            return []

    def _store(self, objects: list[dict[str, Any]]) -> None:
        with database.atomic():
            apply_objects(database, objects, int(self._clock()))

    # -- plumbing ----------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _today(self) -> date:
        return date.fromtimestamp(self._clock())

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
        audit.append(entry, now=self._clock())

    def _audit_plan(self, plan: ActionPlan, result: str, **details: Any) -> None:
        self._audit(NewEntry(operator=self.operator, action=plan.action, target=plan.target,
                             result=result, params=plan.audit_params(),
                             idempotency_key=plan.idempotency_key, **details))

    def _settle(self, plan: P, repeat: bool) -> P:
        """Give the plan its attempt number from what this same action did before."""
        previous = pending.latest_attempt(plan.fingerprint)
        if previous is None:
            return plan
        when = _when(previous.updated_at)
        done = f" ({previous.object_id})" if previous.object_id else ""
        if previous.status == pending.FAILED:
            return replace(plan, attempt=previous.attempt + 1)
        if previous.status == pending.PENDING and not repeat:
            note = (f"resumes the unfinished attempt of {when} with its idempotency key: if "
                    "Stripe got it, Stripe answers with that first result")
        elif previous.status == pending.PENDING:
            note = (f"starts over instead of resuming the unfinished attempt of {when}: if "
                    "that one reached Stripe, this does it a second time")
        elif repeat:
            note = f"repeats the identical {plan.action} that succeeded at {when}{done}"
        else:
            raise ActionRefused(f"this exact {plan.action} already succeeded at {when}{done}; "
                                "to do it again, repeat it explicitly", repeatable=True)
        attempt = previous.attempt + (1 if repeat else 0)
        return replace(plan, attempt=attempt, warnings=(*plan.warnings, note))


# -- ledger checks (no network) --------------------------------------------------------

def _find_payment(payment_id: str) -> Payment | None:
    if payment_id.startswith("ch_"):
        return Payment.get_or_none((Payment.latest_charge == payment_id)
                                   | (Payment.id == payment_id))
    return Payment.get_or_none(Payment.id == payment_id)


def _refundable_payment(payment_id: str) -> Payment:
    payment = _find_payment(payment_id)
    if payment is None:
        raise ActionRefused(f"no payment {payment_id} in the ledger")
    if payment.status == "requires_capture":
        raise ActionRefused(f"{payment.id} was authorized but never captured: cancel it "
                            "instead of refunding")
    if payment.status != "succeeded":
        failure = f", {payment.failure_code}" if payment.failure_code else ""
        raise ActionRefused(f"{payment.id} did not succeed (status {payment.status}{failure}): "
                            "nothing was paid, so there is nothing to refund")
    if not payment.charge_as_of:
        raise ActionRefused(f"the ledger has not seen {payment.id}'s charge yet; sync first")
    if not payment.captured or payment.amount_captured <= 0:
        raise ActionRefused(f"{payment.id} was never captured: there is nothing to refund")
    if payment.disputed:
        raise ActionRefused(f"{payment.id} is disputed: Stripe refunds a disputed payment "
                            "through the dispute (accept it, or let the bank decide), not "
                            "with a refund")
    if payment.amount_captured - payment.amount_refunded <= 0:
        raise ActionRefused(f"{payment.id} is already fully refunded")
    return payment


def _payment_method(payment_method_id: str) -> PaymentMethod:
    method = PaymentMethod.get_or_none(PaymentMethod.id == payment_method_id)
    if method is None:
        raise ActionRefused(f"no payment method {payment_method_id} in the ledger")
    return method


def _attached_method(payment_method_id: str) -> PaymentMethod:
    method = _payment_method(payment_method_id)
    if not method.customer:
        raise ActionRefused(f"{method.id} is not attached to a customer")
    return method


def _methods_of(customer_id: str) -> list[PaymentMethod]:
    return list(PaymentMethod.select().where(PaymentMethod.customer == customer_id)
                .order_by(PaymentMethod.created, PaymentMethod.id))


def _method_to_charge(customer: Customer, chosen: str | None) -> PaymentMethod:
    if chosen:
        method = _payment_method(chosen)
        if method.customer != customer.id:
            raise ActionRefused(f"{method.id} is not attached to {customer.id}")
        return method
    methods = _methods_of(customer.id)
    default = [m for m in methods if m.id == customer.default_payment_method]
    if default:
        return default[0]
    if len(methods) == 1:
        return methods[0]
    if not methods:
        raise ActionRefused(f"{customer.id} has no saved payment method")
    listed = ", ".join(f"{m.id} ({_card_label(m)})" for m in methods)
    raise ActionRefused(f"{customer.id} has {len(methods)} saved payment methods and no "
                        f"default: choose one of {listed}")


def _open_dispute(dispute_id: str) -> Dispute:
    dispute = Dispute.get_or_none(Dispute.id == dispute_id)
    if dispute is None:
        raise ActionRefused(f"no dispute {dispute_id} in the ledger")
    if dispute_status.is_closed(dispute.status):
        raise ActionRefused(f"dispute {dispute.id} is closed ({dispute.status}): it can no "
                            "longer be changed")
    return dispute


def _card_label(method: PaymentMethod) -> str:
    return method_label(method.type, method.card_brand, method.card_last4, method.exp_month,
                        method.exp_year)


def _expiry_warnings(method: PaymentMethod, today: date) -> tuple[str, ...]:
    if method.exp_year and method.exp_month and (
            (method.exp_year, method.exp_month) < (today.year, today.month)):
        return (f"the card expired {method.exp_month:02d}/{method.exp_year}: the bank will "
                "probably decline it",)
    return ()


def _detach_warnings(customer_id: str, was_default: bool, others: tuple[str, ...]
                     ) -> tuple[str, ...]:
    if not was_default:
        return ()
    if not others:
        return (f"this is {customer_id}'s default and only saved payment method: the customer "
                "is left with none",)
    return (f"this is {customer_id}'s default payment method: the customer is left with no "
            f"default; remaining: {'; '.join(others)}",)


def _evidence_warnings(dispute: Dispute, submit: bool, now: float) -> tuple[str, ...]:
    warnings = []
    if dispute.status in dispute_status.UNDER_REVIEW:
        warnings.append(f"evidence was already submitted ({dispute.submission_count} time(s)) "
                        "and is under review: Stripe usually refuses changes now")
    if dispute.due_by and dispute.due_by < now:
        warnings.append(f"evidence was due {_when(dispute.due_by)}")
    if submit:
        due = f" (due {_when(dispute.due_by)})" if dispute.due_by else ""
        warnings.append("evidence can usually be submitted only once: after this it cannot be "
                        f"changed, and the bank decides on what was sent{due}")
    return tuple(warnings)


def _check_typed_confirmation(plan: ActionPlan, typed: str | None) -> None:
    if not plan.confirmed_by(typed):
        raise ActionRefused(f"LIVE mode: type {plan.confirmation_text} to confirm")


def _check_still_current(plan: ActionPlan) -> None:
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


# -- Stripe's answers ------------------------------------------------------------------

def _refusal_message(action: str, exc: GatewayError) -> str:
    if exc.status in (401, 403):
        return f"this key may not {_VERBS[action]}: {str(exc).removeprefix('Stripe said: ')}"
    return str(exc)


def _related_ids(obj: Mapping[str, Any]) -> list[str]:
    ids = []
    for name in _RELATED.get(obj.get("object", ""), ()):
        value = obj.get(name)
        value = value.get("id") if isinstance(value, dict) else value
        if isinstance(value, str):
            ids.append(value)
    return ids


def _result(plan: ActionPlan, obj: Mapping[str, Any], declined: GatewayError | None
            ) -> ActionResult:
    object_id, status = obj.get("id"), obj.get("status")
    error = obj.get("last_payment_error") or {}
    base = {"action": plan.action, "target": plan.target, "object_id": object_id,
            "status": status, "idempotency_key": plan.idempotency_key}
    if declined is not None:
        decline_code = error.get("decline_code") or declined.error.get("decline_code")
        code = error.get("code") or declined.code
        detail = ", ".join(part for part in (code, decline_code) if part)
        message = error.get("message") or str(declined).removeprefix("Stripe said: ")
        return ActionResult(**base, ok=False, message=f"{object_id} declined: {message} "
                            f"({detail})", request_id=declined.request_id,
                            failure_code=code, decline_code=decline_code)
    if status == "requires_action":
        return ActionResult(**base, ok=False, message=(
            f"{object_id} requires_action: the customer must authenticate (3-D Secure) "
            "before the payment completes; nothing was charged yet"))
    if status in ("failed", "canceled"):
        reason = obj.get("failure_reason") or obj.get("cancellation_reason")
        because = f" ({reason})" if reason else ""
        return ActionResult(**base, ok=False, message=f"{object_id} {status}{because}")
    return ActionResult(**base, ok=True, message=f"{object_id} {status or 'updated'}")


def _when(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))
