"""The confirmation of an action plan: what will happen, its warnings, and in LIVE mode the
amount or id to type (by the plan's own rule, `plan.confirmed_by`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from console.commands import CONFIRM, bindings
from sync.plans import ActionPlan


def warning_line(warning: str) -> Static:
    return Static(f"! {warning}", classes="dialog-warning", markup=False)


class ConfirmScreen(ModalScreen[str | None]):
    """Dismissed with what was typed ("" when nothing had to be), or None: cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(CONFIRM)
    AUTO_FOCUS = "#confirm-typed, #confirm-ok"  # the first there is

    def __init__(self, plan: ActionPlan, details: Sequence[str] = ()) -> None:
        """`details`: lines beside the plan's summary and warnings."""
        super().__init__()
        self.plan = plan
        live = "LIVE: " if plan.live else ""
        what = plan.action.replace(".", " ").replace("_", " ")  # "method.set_default"
        self.heading = f"{live}Confirm {what}"
        self.summary = plan.summary
        self.details = tuple(details)
        self.warnings = plan.warnings
        self.typed = plan.confirmation_text if plan.needs_typed_confirmation else None

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
                yield Button("Confirm", id="confirm-ok",
                             variant="error" if self.plan.destructive else "primary",
                             disabled=self.typed is not None)
                yield Button("Cancel", id="confirm-cancel")

    def _value(self) -> str | None:
        """What to dismiss with, or None while the typed text does not confirm the plan."""
        if self.typed is None:
            return ""
        typed = self.query_one("#confirm-typed", Input).value
        return typed if self.plan.confirmed_by(typed) else None

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
