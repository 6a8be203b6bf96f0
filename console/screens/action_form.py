"""The base of every operator action form, and the generic dialog most of them are.

- `ActionForm`: a modal that plans an action from what is typed and sends the plan through
  console.sending (confirmation, worker, outcome): busy until the outcome, dismissed on
  success, a refusal shown in the form. console.operator_actions opens it with
  `ActionForm.opened(request)`.
- `ActionDialog`: fields (`field(...)`), a Review button, refusals shown on the field they
  concern, a "do it again on purpose" box when Stripe already did the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static

from console.commands import DIALOG, bindings
from console.screens.confirm import warning_line
from console.sending import Outcome, confirm_and_send, outcome_message
from ledger.money import format_major
from sync.actions_checks import positive_amount
from sync.plans import ActionPlan, ActionRefused, ActionResult, ActionWaiting

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from sync.action_desk import ActionDesk


@dataclass(frozen=True)
class FormRequest:
    """What a form is opened with: the session's actions, what it acts on (an id, "" when
    the operator chooses it in the form, or the row it edits) and the app's clock."""

    actions: ActionDesk
    target: Any
    clock: Callable[[], float]


class AmountValidator(Validator):
    """Live feedback on an amount, by the same check the plan makes (in `currency()`)."""

    def __init__(self, currency: Callable[[], str]) -> None:
        super().__init__()
        self.currency = currency

    def validate(self, value: str) -> ValidationResult:
        try:
            positive_amount(value, self.currency())
        except ActionRefused as exc:
            return self.failure(str(exc))
        return self.success()


def field(label: str, widget: Widget) -> ComposeResult:
    """A labelled form field with the line its errors show on (`#<widget id>-error`)."""
    yield Label(label, classes="field-label")
    yield widget
    yield Label("", id=f"{widget.id}-error", classes="field-error", markup=False)


def amount_fields(facts: str, warnings: tuple[str, ...], label: str, prefill: int,
                  currency: str, field_id: str) -> ComposeResult:
    """What a dialog about an amount opens with: its facts, the plan's warnings, and the
    amount field prefilled (in the currency's own decimals) and checked as it is typed."""
    yield Static(facts, classes="dialog-facts", markup=False)
    for warning in warnings:
        yield warning_line(warning)
    yield from field(label, Input(format_major(prefill, currency), id=field_id,
                                  validators=[AmountValidator(lambda: currency)]))


class ActionForm(ModalScreen[None]):
    """Subclasses provide `opened`, `_set_busy`, `_message` and `show_error`."""

    def __init__(self, actions: ActionDesk) -> None:
        super().__init__()
        self.actions = actions
        self.busy = False  # from a send until its outcome (or a cancelled confirmation)

    @classmethod
    def opened(cls, request: FormRequest) -> Self:
        """The form for `request`; ActionRefused when there is nothing it could do."""
        raise NotImplementedError

    def send_plan(self, plan: ActionPlan) -> None:
        self._set_busy(True)
        confirm_and_send(self.app, self.actions, plan, on_send=self._sending,
                         done=self._finished)

    def _sending(self) -> None:
        self._message("Sending to Stripe…", "-sending")

    def _finished(self, outcome: Outcome | None) -> None:
        if not self.is_attached:
            return  # closed while sending: the app's notification says how it ended
        self._set_busy(False)
        if outcome is None:
            self._message("")  # the confirmation was cancelled: nothing was sent
        elif (isinstance(outcome, ActionResult) and outcome.ok) or isinstance(
                outcome, ActionWaiting):
            self.dismiss()  # done, or a team request sent: its outcome arrives as a toast
        else:
            repeatable = isinstance(outcome, ActionRefused) and outcome.repeatable
            self.show_error(outcome_message(outcome), repeatable=repeatable)

    def action_close(self) -> None:
        # Closing while sending is fine: the outcome still arrives as a notification.
        self.dismiss()

    def _set_busy(self, busy: bool) -> None:
        raise NotImplementedError

    def _message(self, text: str, kind: str = "") -> None:
        raise NotImplementedError

    def show_error(self, message: str, *, repeatable: bool = False) -> None:
        raise NotImplementedError


class ActionDialog(ActionForm):
    """A form that plans an operator action; submitting confirms and sends it.

    Subclasses yield their fields (`field(...)`) from `compose_fields` and build the plan
    in `make_plan`. A refusal shows on the field its message is about (`FIELD_ERRORS`:
    a pattern searched for in the message -> field id, first match wins), else under
    the form.
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(DIALOG)

    FIELD_ERRORS: ClassVar[tuple[tuple[str, str], ...]] = ()
    SUBMIT_LABEL: ClassVar[str] = "Review"

    def __init__(self, actions: ActionDesk, title: str) -> None:
        super().__init__(actions)
        self.heading = title
        # The value of each Input the dialog has acted on (checked it, updated what depends
        # on it). Each Input's Changed message travels through its own queues and may come
        # after a submit: the submit acts on the values not seen yet, and a Changed for a
        # value already seen (or since replaced) is ignored, so it cannot clear a refusal.
        self._seen: dict[str | None, str] = {}

    def compose(self) -> ComposeResult:
        # The form scrolls when it is taller than the screen (a short terminal, refusals
        # shown): the buttons are docked at its bottom, so they stay in view.
        with VerticalScroll(classes="dialog action-dialog", can_focus=False) as box:
            box.border_title = self.heading
            box.border_subtitle = "enter to review · esc to close"
            yield from self.compose_fields()
            yield Checkbox("Do it again on purpose", id="dialog-repeat")
            yield Static("", id="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.SUBMIT_LABEL, id="dialog-submit", variant="primary")
                yield Button("Close", id="dialog-close")

    def compose_fields(self) -> ComposeResult:
        raise NotImplementedError

    def make_plan(self, *, repeat: bool) -> ActionPlan:
        raise NotImplementedError

    @on(Button.Pressed, "#dialog-close")
    def _close_pressed(self) -> None:
        self.action_close()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.value == event.input.value:  # else a later Changed is on its way
            self._take_value(event.input)

    def _take_value(self, widget: Input) -> None:
        """Act on the value of `widget` unless it already has (once per value)."""
        if self._seen.get(widget.id) != widget.value:
            self._seen[widget.id] = widget.value
            self.field_changed(widget)

    def field_changed(self, widget: Input) -> None:
        """A field has a new value: check it. Subclasses extend this to update what
        depends on the field (it may run at a submit, before the field's Changed)."""
        self.show_validation(widget, widget.validate(widget.value))

    def show_validation(self, widget: Input, result: ValidationResult | None) -> None:
        """Live feedback under a field: its first failure, once something is typed."""
        if result is not None:
            failures = result.failure_descriptions if widget.value else []
            self._set_error(widget.id, failures[0] if failures else "")

    @on(Input.Submitted)
    @on(Button.Pressed, "#dialog-submit")
    def action_submit(self) -> None:
        if self.busy:
            self.app.bell()  # the first press is being confirmed or sent
            return
        fields = list(self.query(Input))
        for widget in fields:  # a value whose Changed has not come yet (typed, pasted)
            self._take_value(widget)
        invalid = [i for i in fields if not i.is_valid]
        if invalid:
            invalid[0].focus()
            self.app.bell()
            return
        self._clear_errors()
        try:
            plan = self.make_plan(repeat=self.query_one("#dialog-repeat", Checkbox).value)
        except ActionRefused as exc:
            self.show_error(str(exc), repeatable=exc.repeatable)
            return
        self.send_plan(plan)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#dialog-submit", Button).disabled = busy

    # -- showing refusals --------------------------------------------------------------

    def show_error(self, message: str, *, repeatable: bool = False) -> None:
        field_id = next((f for pattern, f in self.FIELD_ERRORS if re.search(pattern, message)),
                        None)
        if field_id is None:
            self._message(message, "-error")
            shown = "#dialog-message"
        else:
            self._set_error(field_id, message)
            self.query_one(f"#{field_id}").focus()
            shown = f"#{field_id}-error"
        # In view once laid out, should the form be scrolled (a short terminal).
        self.call_after_refresh(self.query_one(shown).scroll_visible, animate=False)
        if repeatable:
            self.query_one("#dialog-repeat").display = True

    def _set_error(self, field_id: str | None, text: str) -> None:
        line = self.query_one(f"#{field_id}-error", Label)
        line.update(text)
        line.set_class(bool(text), "-shown")

    def _clear_errors(self) -> None:
        for line in self.query(".field-error").results(Label):
            line.update("")
            line.remove_class("-shown")
        self._message("")

    def _message(self, text: str, kind: str = "") -> None:
        line = self.query_one("#dialog-message", Static)
        line.update(text)
        line.set_classes(kind)


