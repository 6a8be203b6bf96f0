"""Confirming and running operator actions: the one flow every dialog and pane uses.

- `ConfirmScreen`: a generic confirmation modal; it can make the operator type a text
  first (LIVE mode: the amount or the id).
- `run_action`: confirm a plan when it needs it, then execute it in a thread worker
  (execute talks to Stripe: never on the UI thread). Every outcome is announced to the app
  with `ActionCompleted`, which notifies and reloads what shows the ledger.
- `ActionDialog`: the form around a plan, with refusals shown on the field they concern
  and a submit that cannot send twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static

from sync.actions_checks import positive_amount
from sync.plans import ActionError, ActionPlan, ActionRefused, ActionResult

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from sync.actions import Actions

Outcome = ActionResult | ActionError
P = TypeVar("P", bound=ActionPlan)


def warning_line(warning: str) -> Static:
    return Static(f"! {warning}", classes="dialog-warning", markup=False)


def typed_matches(typed: str, expected: str) -> bool:
    """Thousands separators and surrounding blanks do not count (as `execute` checks)."""
    return typed.replace(",", "").strip() == expected.replace(",", "")


class ConfirmScreen(ModalScreen[str | None]):
    """Dismissed with what was typed ("" when nothing had to be), or None: cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="confirm.cancel"),
    ]
    AUTO_FOCUS = "#confirm-typed, #confirm-ok"  # the first there is

    def __init__(self, title: str, summary: str, *, details: Sequence[str] = (),
                 warnings: Sequence[str] = (), typed: str | None = None,
                 confirm_label: str = "Confirm", destructive: bool = True) -> None:
        super().__init__()
        self.heading = title
        self.summary = summary
        self.details = tuple(details)
        self.warnings = tuple(warnings)
        self.typed = typed
        self.confirm_label = confirm_label
        self.destructive = destructive

    def compose(self) -> ComposeResult:
        # Scrolls when taller than the screen; the buttons stay in view (docked).
        with VerticalScroll(id="confirm-dialog", classes="dialog", can_focus=False) as box:
            box.border_title = self.heading
            box.border_subtitle = "esc to cancel"
            # markup=False throughout: these lines quote ids, notes and Stripe's words.
            yield Static(self.summary, id="confirm-summary", markup=False)
            for detail in self.details:
                yield Static(detail, classes="dialog-detail", markup=False)
            for warning in self.warnings:
                yield warning_line(warning)
            if self.typed is not None:
                yield Label(f"Type {self.typed} to confirm", id="confirm-prompt", markup=False)
                yield Input(placeholder=self.typed, id="confirm-typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="confirm-ok",
                             variant="error" if self.destructive else "primary",
                             disabled=self.typed is not None)
                yield Button("Cancel", id="confirm-cancel")

    def _value(self) -> str | None:
        """What to dismiss with, or None while the typed text does not match."""
        if self.typed is None:
            return ""
        typed = self.query_one("#confirm-typed", Input).value
        return typed if typed_matches(typed, self.typed) else None

    @on(Input.Changed, "#confirm-typed")
    def _typed_changed(self) -> None:
        self.query_one("#confirm-ok", Button).disabled = self._value() is None

    @on(Input.Submitted, "#confirm-typed")
    @on(Button.Pressed, "#confirm-ok")
    def _confirm(self) -> None:
        value = self._value()
        if value is None:
            self.app.bell()
            return
        self.dismiss(value)

    @on(Button.Pressed, "#confirm-cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)


# -- running a plan ------------------------------------------------------------------------

@dataclass
class ActionCompleted(Message):
    """An action was sent (or refused when sent); the ledger may have changed."""

    plan: ActionPlan
    outcome: Outcome


def plan_or_explain(app: App[object], make_plan: Callable[[], P]) -> P | None:
    """The plan, or None after telling the operator why it was refused (nothing sent)."""
    try:
        return make_plan()
    except ActionRefused as exc:
        app.notify(str(exc), title="Refused", severity="warning", markup=False)
        app.bell()
        return None


def confirmation_for(plan: ActionPlan, details: Sequence[str] = ()) -> ConfirmScreen:
    live = "LIVE: " if plan.live else ""
    what = plan.action.replace(".", " ").replace("_", " ")  # "method.set_default"
    return ConfirmScreen(
        f"{live}Confirm {what}", plan.summary, details=details, warnings=plan.warnings,
        typed=plan.confirmation_text if plan.needs_typed_confirmation else None,
        destructive=plan.destructive,
    )


def _worker_name(plan: ActionPlan) -> str:
    return f"action {plan.fingerprint}"


def run_action(app: App[object], actions: Actions, plan: ActionPlan, *,
               details: Sequence[str] = (), on_send: Callable[[], None] | None = None,
               done: Callable[[Outcome | None], None] | None = None) -> None:
    """Confirm `plan` if it needs it (`details`: more lines for the confirmation), then
    execute it in a thread worker. `on_send` runs once it is on its way; `done` gets the
    outcome on the UI thread, or None when the operator did not confirm."""
    finish = done or (lambda _outcome: None)

    def confirmed(typed: str | None) -> None:
        if typed is None:
            finish(None)
            return
        name = _worker_name(plan)
        if any(w.name == name and not w.is_finished for w in app.workers):
            # Belt and braces: the idempotency key would make Stripe answer with the first
            # result anyway, but there is no reason to ask twice.
            _finished(app, plan, finish, ActionRefused(
                "this action is already on its way to Stripe: wait for its answer"))
            return
        if on_send is not None:
            on_send()
        app.run_worker(partial(_execute, app, actions, plan, typed or None, finish),
                       name=name, group="operator-actions", thread=True,
                       description=plan.summary)

    if plan.needs_confirmation:
        app.push_screen(confirmation_for(plan, details), confirmed)
    else:
        confirmed("")


def _execute(app: App[object], actions: Actions, plan: ActionPlan, typed: str | None,
             finish: Callable[[Outcome | None], None]) -> None:
    """In the worker thread: the network call, then back to the UI thread."""
    try:
        outcome: Outcome = actions.execute(plan, typed_confirmation=typed)
    except ActionError as exc:
        outcome = exc
    app.call_from_thread(_finished, app, plan, finish, outcome)


def _finished(app: App[object], plan: ActionPlan, finish: Callable[[Outcome | None], None],
              outcome: Outcome) -> None:
    app.post_message(ActionCompleted(plan, outcome))
    finish(outcome)


def outcome_message(outcome: Outcome) -> str:
    return outcome.message if isinstance(outcome, ActionResult) else str(outcome)


# -- the dialog around a plan ----------------------------------------------------------------

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


# Typed as a DOMNode, but a plain class at run time: Textual takes a widget's CSS type
# names from its first DOMNode base, which must stay the widget's own (e.g. LedgerPane).
_MixinBase = DOMNode if TYPE_CHECKING else object


class SendsPlans(_MixinBase):
    """Mixin (first base) for a form that sends an action plan: busy until the outcome,
    dismissed on success, Stripe's refusal shown in the form. The form provides `actions`,
    `_set_busy`, `_message` and `show_error`."""

    actions: Actions

    def send_plan(self, plan: ActionPlan) -> None:
        self._set_busy(True)
        run_action(self.app, self.actions, plan, on_send=self._sending, done=self._finished)

    def _sending(self) -> None:
        self._message("Sending to Stripe…", "-sending")

    def _finished(self, outcome: Outcome | None) -> None:
        if not self.is_attached:
            return  # closed while sending: the app's notification says how it ended
        self._set_busy(False)
        if outcome is None:
            self._message("")  # the confirmation was cancelled: nothing was sent
        elif isinstance(outcome, ActionResult) and outcome.ok:
            self.dismiss()  # type: ignore[attr-defined]
        else:
            repeatable = isinstance(outcome, ActionRefused) and outcome.repeatable
            self.show_error(outcome_message(outcome), repeatable=repeatable)

    def _set_busy(self, busy: bool) -> None:
        raise NotImplementedError

    def _message(self, text: str, kind: str = "") -> None:
        raise NotImplementedError

    def show_error(self, message: str, *, repeatable: bool = False) -> None:
        raise NotImplementedError


class ActionDialog(SendsPlans, ModalScreen[None]):
    """A form that plans an operator action; submitting confirms and sends it.

    Subclasses yield their fields (`field(...)`) from `compose_fields` and build the plan
    in `make_plan`. A refusal shows on the field its message is about (`FIELD_ERRORS`:
    a pattern searched for in the message -> field id, first match wins), else under
    the form.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="dialog.close"),
    ]

    FIELD_ERRORS: ClassVar[tuple[tuple[str, str], ...]] = ()
    SUBMIT_LABEL: ClassVar[str] = "Review"

    def __init__(self, actions: Actions, title: str) -> None:
        super().__init__()
        self.actions = actions
        self.heading = title
        self.busy = False  # from submit until the outcome (or a cancelled confirmation)
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
    def action_close(self) -> None:
        # Closing while sending is fine: the outcome still arrives as a notification.
        self.dismiss()

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


class OffersActions(_MixinBase):
    """Mixin (first base) for panes whose bindings run the app's operator actions, as
    `operator('<app action>')`: hidden (and inert) when actions are refused in this
    session, whose reason the app's action itself gives when run from the palette."""

    actions_refusal: str | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "operator":
            return self.actions_refusal is None
        return super().check_action(action, parameters)

    async def action_operator(self, action: str) -> None:
        await self.app.run_action(action)
