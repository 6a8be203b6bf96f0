"""The dialogs of an authorized payment's hold: capture all or part of it (prefilled with
all that is capturable; Stripe releases the rest), or cancel it with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from console.screens.action_form import ActionDialog, FormRequest, amount_fields, field
from console.screens.confirm import warning_line
from ledger.money import format_amount
from sync.action_rules import when
from sync.plans_payments import CANCEL_REASONS, CancelPlan, CapturePlan

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from sync.action_desk import ActionDesk


class CaptureDialog(ActionDialog):
    FIELD_ERRORS = ((r"^capture amount|capturable", "capture-amount"),)

    def __init__(self, actions: ActionDesk, prefill: CapturePlan) -> None:
        """`prefill`: the plan of a full capture, which opened the dialog."""
        super().__init__(actions, f"Capture {prefill.payment_id}")
        self.prefill = prefill

    @classmethod
    def opened(cls, request: FormRequest) -> CaptureDialog:
        """Prefilled with a full capture; refused when nothing can be captured."""
        return cls(request.actions, request.actions.plan_capture(request.target))

    def compose_fields(self) -> ComposeResult:
        plan = self.prefill
        capturable = format_amount(plan.capturable, plan.currency)
        yield from amount_fields(
            f"Capturable: {capturable}, capture by {when(plan.capture_by)}", plan.warnings,
            f"Amount in {plan.currency.upper()} (at most {capturable}; the rest is released)",
            plan.capturable, plan.currency, "capture-amount")

    def make_plan(self, *, repeat: bool) -> CapturePlan:
        return self.actions.plan_capture(
            self.prefill.payment_id, self.query_one("#capture-amount", Input).value,
            repeat=repeat)


class CancelDialog(ActionDialog):
    FIELD_ERRORS = ((r"^cancel reason", "cancel-reason"),)

    def __init__(self, actions: ActionDesk, prefill: CancelPlan) -> None:
        super().__init__(actions, f"Cancel {prefill.payment_id}")
        self.prefill = prefill

    @classmethod
    def opened(cls, request: FormRequest) -> CancelDialog:
        return cls(request.actions, request.actions.plan_cancel(request.target))

    def compose_fields(self) -> ComposeResult:
        plan = self.prefill
        yield Static(f"Releases the {format_amount(plan.amount, plan.currency)} authorization",
                     classes="dialog-facts")
        for warning in plan.warnings:
            yield warning_line(warning)
        yield from field("Reason", Select(
            [(reason.replace("_", " "), reason) for reason in CANCEL_REASONS],
            prompt="none", id="cancel-reason"))

    def make_plan(self, *, repeat: bool) -> CancelPlan:
        return self.actions.plan_cancel(
            self.prefill.payment_id, reason=self.query_one("#cancel-reason", Select).selection,
            repeat=repeat)
