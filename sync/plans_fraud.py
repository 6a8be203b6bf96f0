"""The plan for the standard answer to an early fraud warning: refund what is left of the
payment, reason `fraudulent`, before the warning becomes a dispute (Stripe then marks the
warning no longer actionable).

Like every plan (sync.plans), plain data validated against the ledger: showing it sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ledger.money import format_amount
from sync.plans import ActionPlan, StripeRequest, _metadata, _plain_major


@dataclass(frozen=True, kw_only=True)
class FraudRefundPlan(ActionPlan):
    action: ClassVar[str] = "efw.refund"
    payment_id: str
    charge_id: str | None
    fraud_type: str
    amount: int  # all that is left to refund
    currency: str

    @property
    def warning_id(self) -> str:
        return self.target

    def params(self) -> dict[str, Any]:
        return {"payment": self.payment_id, "amount": self.amount, "currency": self.currency}

    def request(self) -> StripeRequest:
        paid_by: dict[str, Any] = (
            {"payment_intent": self.payment_id} if self.payment_id.startswith("pi_")
            else {"charge": self.charge_id})
        metadata = {**_metadata(self.operator), "early_fraud_warning": self.target}
        return StripeRequest("/v1/refunds", {**paid_by, "amount": self.amount,
                                             "reason": "fraudulent", "metadata": metadata})

    def also_refresh(self) -> tuple[str, ...]:
        return (self.target,)  # Stripe marks the warning no longer actionable

    @property
    def summary(self) -> str:
        return (f"Refund {format_amount(self.amount, self.currency)} of {self.payment_id} "
                f"(fraudulent), all that is left, answering early fraud warning {self.target} "
                f"({self.fraud_type.replace('_', ' ')}) before it becomes a dispute")

    @property
    def confirmation_text(self) -> str:
        return _plain_major(self.amount, self.currency)

