"""The refund dialog: prefilled with what is left to refund, in the payment's currency
(JPY has no decimals, KWD three), with a reason and a note kept in the refund's metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input, Select

from console.screens.action_form import ActionDialog, FormRequest, amount_fields, field
from ledger.money import format_amount
from sync.actions_checks import REFUND_REASONS
from sync.plans import RefundPlan

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from sync.action_desk import ActionDesk


class RefundDialog(ActionDialog):
    FIELD_ERRORS = (
        (r"^refund amount|left to refund", "refund-amount"),
        (r"^refund reason", "refund-reason"),
        (r"^note", "refund-note"),
    )

    def __init__(self, actions: ActionDesk, prefill: RefundPlan) -> None:
        """`prefill`: the plan of a full refund of what is left, which opened the dialog."""
        super().__init__(actions, f"Refund {prefill.payment_id}")
        self.prefill = prefill

    @classmethod
    def opened(cls, request: FormRequest) -> RefundDialog:
        """Prefilled with a full refund of what is left; refused when nothing can be
        refunded (failed, disputed, ...)."""
        return cls(request.actions, request.actions.plan_refund(request.target))

    def compose_fields(self) -> ComposeResult:
        plan = self.prefill
        left = format_amount(plan.remainder, plan.currency)
        yield from amount_fields(f"Left to refund: {left}", plan.warnings,
                                 f"Amount in {plan.currency.upper()} (at most {left})",
                                 plan.remainder, plan.currency, "refund-amount")
        yield from field("Reason", Select(
            [(reason.replace("_", " "), reason) for reason in REFUND_REASONS],
            prompt="none", id="refund-reason"))
        yield from field("Note (kept in the refund's metadata)",
                         Input(placeholder="optional", id="refund-note"))

    def make_plan(self, *, repeat: bool) -> RefundPlan:
        return self.actions.plan_refund(
            self.prefill.payment_id, self.query_one("#refund-amount", Input).value,
            reason=self.query_one("#refund-reason", Select).selection,
            note=self.query_one("#refund-note", Input).value or None, repeat=repeat,
        )

