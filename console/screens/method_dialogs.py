"""The dialog editing a saved card's expiry and billing details. No card number is ever
entered: Stripe keeps the card, brand and last4 stay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from console.screens.action_form import ActionDialog, FormRequest, field
from ledger.customer_views import MethodRow
from sync.plans import MethodUpdatePlan

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from sync.action_desk import ActionDesk

_DIGITS = r"[0-9]*"


class MethodEditDialog(ActionDialog):
    FIELD_ERRORS = (
        (r"^expiry month|^give both", "method-exp-month"),
        (r"^expiry", "method-exp-year"),  # the year, or the month and year together
        (r"^billing name", "method-name"),
        (r"^billing email", "method-email"),
        (r"^postal code", "method-postal-code"),
    )

    def __init__(self, actions: ActionDesk, method: MethodRow) -> None:
        super().__init__(actions, f"Edit {method.label}")
        self.method = method

    @classmethod
    def opened(cls, request: FormRequest) -> MethodEditDialog:
        return cls(request.actions, request.target)

    def compose_fields(self) -> ComposeResult:
        m = self.method
        yield Static(f"{m.id}: brand and last4 stay as they are; only what Stripe lets "
                     "change can be changed here", classes="dialog-facts", markup=False)
        with Horizontal(classes="field-row"):
            with Vertical():
                yield from field("Expiry month", Input(
                    _text(m.exp_month), id="method-exp-month", max_length=2, restrict=_DIGITS))
            with Vertical():
                yield from field("Expiry year", Input(
                    _text(m.exp_year), id="method-exp-year", max_length=4, restrict=_DIGITS))
        yield from field("Billing name", Input(_text(m.billing_name), id="method-name"))
        yield from field("Billing email", Input(_text(m.billing_email), id="method-email"))
        yield from field("Postal code", Input(_text(m.billing_postal_code),
                                              id="method-postal-code"))

    def make_plan(self, *, repeat: bool) -> MethodUpdatePlan:
        m = self.method
        return self.actions.plan_method_update(
            m.id, exp_month=self._changed("method-exp-month", m.exp_month),
            exp_year=self._changed("method-exp-year", m.exp_year),
            name=self._changed("method-name", m.billing_name),
            email=self._changed("method-email", m.billing_email),
            postal_code=self._changed("method-postal-code", m.billing_postal_code),
            repeat=repeat,
        )

    def _changed(self, field_id: str, current: object) -> str | None:
        """What was typed, or None where it is what the ledger has ("" clears a field)."""
        typed = self.query_one(f"#{field_id}", Input).value.strip()
        return None if typed == _text(current) else typed


def _text(value: object) -> str:
    return "" if value is None else str(value)

