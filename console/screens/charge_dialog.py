"""Charging a customer's saved payment method off-session: the customer (prefilled, or
typed as an id or email), one of their saved methods (the default preselected), amount,
currency and description. A decline shows Stripe's decline code and message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static

from console.screens.action_form import ActionDialog, AmountValidator, FormRequest, field
from ledger.customer_views import CustomerMethods, CustomerSummary, customers_known_as
from sync.plans import ActionRefused, ChargePlan

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from sync.action_desk import ActionDesk

DEFAULT_CURRENCY = "usd"
MAX_METHODS = 100  # listed in the select; a customer rarely has more than a few


class ChargeDialog(ActionDialog):
    FIELD_ERRORS = (
        (r"payment method|is not attached", "charge-method"),
        (r"^customer|^no customer", "charge-customer"),
        (r"^charge amount", "charge-amount"),
        (r"^currency", "charge-currency"),
        (r"^description", "charge-description"),
    )

    def __init__(self, actions: ActionDesk, customer_id: str = "") -> None:
        super().__init__(actions, "Charge a saved payment method")
        self.customer_id = customer_id
        self.customer: CustomerSummary | None = None  # who the customer field names

    @classmethod
    def opened(cls, request: FormRequest) -> ChargeDialog:
        return cls(request.actions, request.target)

    def compose_fields(self) -> ComposeResult:
        yield from field("Customer (id or email)", Input(
            self.customer_id, placeholder="cus_… or an email", id="charge-customer"))
        yield Static("", id="charge-who", classes="dialog-facts", markup=False)
        yield from field("Saved payment method", Select(
            [], prompt="choose a saved method", id="charge-method"))
        with Horizontal(classes="field-row"):
            with Vertical():
                yield from field("Amount", Input(
                    placeholder="e.g. 25.00", id="charge-amount",
                    validators=[AmountValidator(self._currency)]))
            with Vertical():
                yield from field("Currency", Input(
                    DEFAULT_CURRENCY, id="charge-currency", max_length=3))
        yield from field("Description", Input(placeholder="optional", id="charge-description"))

    def on_mount(self) -> None:
        if self.customer_id:
            self.query_one("#charge-amount").focus()

    def _currency(self) -> str:
        return self.query_one("#charge-currency", Input).value

    def field_changed(self, widget: Input) -> None:
        # Run by the dialog once per value, by the time a submit reads the fields.
        super().field_changed(widget)
        if widget.id == "charge-currency":
            # The amount's decimals depend on the currency: check it again.
            amount = self.query_one("#charge-amount", Input)
            self.show_validation(amount, amount.validate(amount.value))
        elif widget.id == "charge-customer":
            self._customer_changed(widget.value)

    def _customer_changed(self, value: str) -> None:
        text = value.strip()
        found = customers_known_as(text) if text else []
        self.customer = found[0] if len(found) == 1 else None
        self.query_one("#charge-who", Static).update(_who(text, found))
        self._offer_methods()

    def _offer_methods(self) -> None:
        select: Select[str] = self.query_one("#charge-method", Select)
        if self.customer is None:
            select.set_options([])
            return
        methods = CustomerMethods(self.customer.id).page(0, MAX_METHODS)
        select.set_options(
            [(m.label + (" (default)" if m.is_default else ""), m.id) for m in methods])
        chosen = next((m for m in methods if m.is_default), None)
        if chosen is None and len(methods) == 1:
            chosen = methods[0]
        if chosen is not None:
            select.value = chosen.id

    def make_plan(self, *, repeat: bool) -> ChargePlan:
        text = self.query_one("#charge-customer", Input).value.strip()
        if self.customer is None and (not text or "@" in text):
            # An id goes to the plan, which says whether the ledger knows it.
            found = customers_known_as(text) if text else []
            raise ActionRefused(f"customer: {_who(text, found)}")
        return self.actions.plan_charge(
            self.customer.id if self.customer else text,
            self.query_one("#charge-amount", Input).value, self._currency(),
            payment_method=self.query_one("#charge-method", Select).selection,
            description=self.query_one("#charge-description", Input).value or None,
            repeat=repeat,
        )


def _who(text: str, found: list[CustomerSummary]) -> str:
    """Whom the customer field names, or why it names no one."""
    if not text:
        return "type a customer id or email"
    if not found:
        return f"no customer {text} in the ledger"
    if len(found) > 1:
        return f"several customers have the email {text}: type the customer id"
    customer = found[0]
    who = " · ".join(filter(None, (customer.name, customer.email, customer.id)))
    return f"{who} · {customer.methods} saved method(s)"
