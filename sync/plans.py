"""What the actions API hands its callers (the CLI and the console dialogs): plans to show
for confirmation, results, and the two ways an action can end badly.

A plan is plain data, validated against the ledger: showing it sends nothing. Its
`fingerprint` identifies the operator action (who, what, on what, with which parameters);
with `attempt` it gives the idempotency key every write carries.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ledger.money import format_amount, format_major
from ledger.pending import fingerprint as action_fingerprint
from ledger.pending import idempotency_key as action_idempotency_key


class ActionError(Exception):
    """An action did not happen; `str()` is one line, safe to show."""


class ActionRefused(ActionError):
    """Refused before anything was sent to Stripe (bad input, ledger state, authority).

    `repeatable`: the identical action already succeeded, and may be repeated on purpose.
    """

    def __init__(self, message: str, *, repeatable: bool = False) -> None:
        super().__init__(message)
        self.repeatable = repeatable


class ActionFailed(ActionError):
    """Stripe refused, or its answer was lost (`outcome_unknown`: running the same action
    again is safe, it reuses the idempotency key)."""

    def __init__(self, message: str, *, code: str | None = None, request_id: str | None = None,
                 outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id
        self.outcome_unknown = outcome_unknown


class ActionWaiting(ActionError):
    """Handed to a team's sync service as request `request_id`, which has not finished it
    yet: it waits for an approval, or for the service."""

    def __init__(self, message: str, *, request_id: int) -> None:
        super().__init__(message)
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class StripeRequest:
    path: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlanCall:
    """The `plan_*` call that made a plan, as data: a team's service makes it again."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ActionPlan(ABC):
    action: ClassVar[str]
    operator: str
    target: str
    live: bool
    attempt: int = 1
    warnings: tuple[str, ...] = ()
    call: PlanCall | None = field(default=None, compare=False, repr=False)

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The canonical parameters that make this action this action (its identity)."""

    @abstractmethod
    def request(self) -> StripeRequest:
        """The one write to Stripe this action is."""

    @property
    @abstractmethod
    def summary(self) -> str:
        """One line saying what will happen, for the confirmation."""

    @property
    def confirmation_text(self) -> str:
        """What the operator types to confirm in LIVE mode: the amount, or the id."""
        return self.target

    def confirmed_by(self, typed: str | None) -> bool:
        """Whether `typed` confirms this plan in LIVE mode: thousands separators and
        surrounding blanks do not count. Plans that need no typing are always confirmed."""
        if not self.needs_typed_confirmation:
            return True
        return typed is not None and typed.replace(",", "").strip() == self.confirmation_text

    @property
    def destructive(self) -> bool:
        return True

    def audit_params(self) -> dict[str, Any]:
        return self.params()

    def also_refresh(self) -> tuple[str, ...]:
        """Objects the action changes that Stripe's response does not lead to."""
        return ()

    @property
    def needs_confirmation(self) -> bool:
        return self.destructive or self.live

    @property
    def needs_typed_confirmation(self) -> bool:
        return self.live

    @property
    def fingerprint(self) -> str:
        return action_fingerprint(self.operator, self.action, self.target, self.params())

    @property
    def idempotency_key(self) -> str:
        return action_idempotency_key(self.action, self.fingerprint, self.attempt)


def _plain_major(amount: int, currency: str) -> str:
    """An amount as an operator types it: no thousands separators."""
    return format_major(amount, currency).replace(",", "")


@dataclass(frozen=True, kw_only=True)
class RefundPlan(ActionPlan):
    action: ClassVar[str] = "refund"
    charge_id: str | None
    amount: int
    currency: str
    remainder: int  # refundable before this refund
    reason: str | None = None
    note: str | None = None

    def params(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency, "reason": self.reason,
                "note": self.note}

    @property
    def payment_id(self) -> str:
        return self.target

    def request(self) -> StripeRequest:
        params: dict[str, Any] = (
            {"payment_intent": self.payment_id} if self.payment_id.startswith("pi_")
            else {"charge": self.charge_id}
        )
        params["amount"] = self.amount
        if self.reason:
            params["reason"] = self.reason
        params["metadata"] = _metadata(self.operator, note=self.note)
        return StripeRequest("/v1/refunds", params)

    @property
    def remainder_after(self) -> int:
        return self.remainder - self.amount

    @property
    def summary(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return (f"Refund {format_amount(self.amount, self.currency)} of {self.payment_id}{why}; "
                f"{format_amount(self.remainder_after, self.currency)} will remain refundable")

    @property
    def confirmation_text(self) -> str:
        return _plain_major(self.amount, self.currency)


@dataclass(frozen=True, kw_only=True)
class ChargePlan(ActionPlan):
    action: ClassVar[str] = "charge"
    customer_email: str | None
    payment_method_id: str
    card: str  # e.g. "visa ending 4242, expires 12/2031"
    amount: int
    currency: str
    description: str | None = None

    def params(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency,
                "payment_method": self.payment_method_id, "description": self.description}

    @property
    def customer_id(self) -> str:
        return self.target

    def request(self) -> StripeRequest:
        params: dict[str, Any] = {
            "amount": self.amount, "currency": self.currency, "customer": self.customer_id,
            "payment_method": self.payment_method_id, "confirm": True, "off_session": True,
            "metadata": _metadata(self.operator),
        }
        if self.description:
            params["description"] = self.description
        return StripeRequest("/v1/payment_intents", params)

    @property
    def summary(self) -> str:
        who = self.customer_email or self.customer_id
        return (f"Charge {format_amount(self.amount, self.currency)} to {who}'s {self.card} "
                f"({self.payment_method_id}), off-session")

    @property
    def confirmation_text(self) -> str:
        return _plain_major(self.amount, self.currency)


@dataclass(frozen=True, kw_only=True)
class _MethodPlan(ActionPlan):
    card: str  # e.g. "visa ending 4242, expires 12/2031"

    @property
    def payment_method_id(self) -> str:
        return self.target


@dataclass(frozen=True, kw_only=True)
class _DisputePlan(ActionPlan):
    payment_id: str | None
    amount: int
    currency: str

    @property
    def dispute_id(self) -> str:
        return self.target


@dataclass(frozen=True, kw_only=True)
class MethodUpdatePlan(_MethodPlan):
    action: ClassVar[str] = "method.update"
    exp_month: int | None = None
    exp_year: int | None = None
    # None: unchanged; "": cleared.
    name: str | None = None
    email: str | None = None
    postal_code: str | None = None

    def params(self) -> dict[str, Any]:
        fields = {"exp_month": self.exp_month, "exp_year": self.exp_year, "name": self.name,
                  "email": self.email, "postal_code": self.postal_code}
        return {key: value for key, value in fields.items() if value is not None}

    def request(self) -> StripeRequest:
        params: dict[str, Any] = {}
        if self.exp_month is not None:
            params["card"] = {"exp_month": self.exp_month, "exp_year": self.exp_year}
        billing: dict[str, Any] = {
            key: value for key, value in (("name", self.name), ("email", self.email))
            if value is not None
        }
        if self.postal_code is not None:
            billing["address"] = {"postal_code": self.postal_code}
        if billing:
            params["billing_details"] = billing
        return StripeRequest(f"/v1/payment_methods/{self.target}", params)

    @property
    def destructive(self) -> bool:
        return False

    @property
    def summary(self) -> str:
        changes = []
        if self.exp_month is not None:
            changes.append(f"expiry {self.exp_month:02d}/{self.exp_year}")
        for label, value in (("name", self.name), ("email", self.email),
                             ("postal code", self.postal_code)):
            if value is not None:
                changes.append(f"{label} {value!r}" if value else f"clear {label}")
        return f"Update {self.card} ({self.target}): {', '.join(changes)}"


@dataclass(frozen=True, kw_only=True)
class SetDefaultPlan(_MethodPlan):
    action: ClassVar[str] = "method.set_default"
    customer_id: str
    previous_default: str | None

    def params(self) -> dict[str, Any]:
        return {"customer": self.customer_id}

    def request(self) -> StripeRequest:
        return StripeRequest(f"/v1/customers/{self.customer_id}",
                             {"invoice_settings": {"default_payment_method": self.target}})

    @property
    def destructive(self) -> bool:
        return False

    @property
    def summary(self) -> str:
        instead = f" instead of {self.previous_default}" if self.previous_default else ""
        return f"Make {self.card} ({self.target}) {self.customer_id}'s default{instead}"


@dataclass(frozen=True, kw_only=True)
class DetachPlan(_MethodPlan):
    action: ClassVar[str] = "method.detach"
    customer_id: str
    was_default: bool
    remaining: tuple[str, ...]  # the customer's other cards, described

    def params(self) -> dict[str, Any]:
        return {"customer": self.customer_id}

    def request(self) -> StripeRequest:
        return StripeRequest(f"/v1/payment_methods/{self.target}/detach", {})

    def also_refresh(self) -> tuple[str, ...]:
        return (self.customer_id,)  # its default may be cleared

    @property
    def summary(self) -> str:
        return (f"Detach {self.card} ({self.target}) from {self.customer_id}: it can no longer "
                "be charged")


@dataclass(frozen=True, kw_only=True)
class AcceptPlan(_DisputePlan):
    action: ClassVar[str] = "dispute.accept"
    reason: str | None

    def params(self) -> dict[str, Any]:
        return {}

    def request(self) -> StripeRequest:
        return StripeRequest(f"/v1/disputes/{self.target}/close", {})

    @property
    def summary(self) -> str:
        on = f" on {self.payment_id}" if self.payment_id else ""
        why = f" ({self.reason})" if self.reason else ""
        return (f"Accept dispute {self.target}{on}{why}: concedes "
                f"{format_amount(self.amount, self.currency)} to the cardholder; "
                "this cannot be undone")

    @property
    def confirmation_text(self) -> str:
        return _plain_major(self.amount, self.currency)


def _metadata(operator: str, *, note: str | None = None) -> dict[str, str]:
    """Stripe-side trace of who did it (visible in the Dashboard), and the operator's note."""
    metadata = {"payconsole_operator": operator}
    if note:
        metadata["note"] = note
    return metadata


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What Stripe made of an action. `ok` is False when the action went through but its
    object did not end well: a declined charge, one awaiting 3-D Secure, a failed refund."""

    action: str
    target: str
    ok: bool
    object_id: str | None
    status: str | None
    message: str
    idempotency_key: str
    request_id: str | None = None
    failure_code: str | None = None
    decline_code: str | None = None
