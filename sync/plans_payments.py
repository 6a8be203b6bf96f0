"""Plans for an authorized payment's hold: capture it (all or part), or cancel it.

Like every plan (sync.plans), plain data validated against the ledger: showing it sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ledger.money import format_amount
from sync.plans import ActionPlan, StripeRequest, _plain_major

CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


@dataclass(frozen=True, kw_only=True)
class CapturePlan(ActionPlan):
    action: ClassVar[str] = "capture"
    amount: int  # to capture; the rest of the authorization is released
    currency: str
    capturable: int
    capture_by: int

    def params(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}

    @property
    def payment_id(self) -> str:
        return self.target

    @property
    def released(self) -> int:
        return self.capturable - self.amount

    def request(self) -> StripeRequest:
        return StripeRequest(f"/v1/payment_intents/{self.target}/capture",
                             {"amount_to_capture": self.amount})

    @property
    def summary(self) -> str:
        rest = (f"; the other {format_amount(self.released, self.currency)} is released to the "
                "cardholder" if self.released else "")
        return (f"Capture {format_amount(self.amount, self.currency)} of the "
                f"{format_amount(self.capturable, self.currency)} authorized on "
                f"{self.target}{rest}")

    @property
    def confirmation_text(self) -> str:
        return _plain_major(self.amount, self.currency)


@dataclass(frozen=True, kw_only=True)
class CancelPlan(ActionPlan):
    action: ClassVar[str] = "cancel"
    amount: int  # the authorization released
    currency: str
    reason: str | None

    def params(self) -> dict[str, Any]:
        return {"reason": self.reason}

    @property
    def payment_id(self) -> str:
        return self.target

    def request(self) -> StripeRequest:
        params = {"cancellation_reason": self.reason} if self.reason else {}
        return StripeRequest(f"/v1/payment_intents/{self.target}/cancel", params)

    @property
    def summary(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return (f"Cancel {self.target}{why}: the {format_amount(self.amount, self.currency)} "
                "authorization is released and can no longer be captured")
