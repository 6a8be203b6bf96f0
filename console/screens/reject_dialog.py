"""The small dialog that asks why a request is rejected (the reason goes to the requester
and the audit log); dismissed with the reason, or None: nothing is rejected."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from console.commands import REJECT_DIALOG, bindings


class RejectDialog(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(REJECT_DIALOG)
    AUTO_FOCUS = "#reject-reason"

    def __init__(self, summary: str) -> None:
        """`summary`: the request, as the pane shows it."""
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="reject-dialog", classes="dialog") as box:
            box.border_title = "Reject a request"
            box.border_subtitle = "enter to reject · esc to cancel"
            yield Static(self.summary, id="reject-summary", markup=False)
            yield Label("Reason (the requester sees it)", classes="field-label")
            yield Input(placeholder="e.g. not our customer", id="reject-reason")
            yield Label("", id="reject-reason-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject", id="reject-ok", variant="error")
                yield Button("Cancel", id="reject-cancel")

    @on(Input.Submitted, "#reject-reason")
    @on(Button.Pressed, "#reject-ok")
    def _reject(self) -> None:
        reason = self.query_one("#reject-reason", Input).value.strip()
        if not reason:
            error = self.query_one("#reject-reason-error", Label)
            error.update("say why: the requester sees the reason")
            error.add_class("-shown")
            self.app.bell()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#reject-cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
