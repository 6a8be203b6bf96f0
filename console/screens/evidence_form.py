"""The evidence form (`v`): Stripe's evidence text fields for one dispute, prefilled with
what is saved on Stripe, checked as they are typed (by the same checks the plan makes),
and its file fields (receipt, customer_communication, ...), each chosen in a file picker
and checked there; then saved as a draft or submitted to the bank after a confirmation.

Only the text fields that differ from what is saved, and the files chosen now, are sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static, TextArea

from console.commands import EVIDENCE_FORM, bindings
from console.screens.action_form import ActionForm, FormRequest, field
from console.widgets.countdown import countdown, utc_time
from console.widgets.evidence_files import EvidenceFiles
from ledger.dispute_files import attached_files
from ledger.dispute_status import is_closed
from ledger.dispute_views import DisputeDetail, dispute_detail
from ledger.money import format_amount
from sync.actions_checks import (
    EVIDENCE_DATE_FIELDS,
    EVIDENCE_FILE_FIELDS,
    EVIDENCE_LONG_MAX,
    EVIDENCE_LONG_TEXT,
    EVIDENCE_TEXT_FIELDS,
    evidence,
)
from sync.plans import ActionRefused

if TYPE_CHECKING:
    from sync.action_desk import ActionDesk


def _most_used_first(first: tuple[str, ...], fields: tuple[str, ...]) -> tuple[str, ...]:
    return (*first, *(f for f in fields if f not in first))


# The long texts (the argument), then the short facts; most disputes use the first few.
LONG_FIELDS = _most_used_first(
    ("product_description", "refund_policy_disclosure", "cancellation_rebuttal",
     "uncategorized_text"), EVIDENCE_LONG_TEXT)
SHORT_FIELDS = _most_used_first(
    ("customer_name", "customer_email_address", "billing_address", "service_date",
     "shipping_tracking_number"),
    tuple(f for f in EVIDENCE_TEXT_FIELDS if f not in EVIDENCE_LONG_TEXT))
FORM_FIELDS = LONG_FIELDS + SHORT_FIELDS

_PLACEHOLDERS = {name: "YYYY-MM-DD" for name in EVIDENCE_DATE_FIELDS} | {
    "customer_email_address": "name@example.com", "customer_purchase_ip": "203.0.113.7"}


def field_label(name: str) -> str:
    if name in EVIDENCE_LONG_TEXT:
        return f"{name}  (up to {EVIDENCE_LONG_MAX:,} characters)"
    return name


def field_problem(name: str, text: str, today: date) -> str:
    """Why the plan would refuse this field as typed; "" when it would take it (or it is
    empty: an empty field is simply not sent)."""
    if not text.strip():
        return ""
    try:
        evidence({name: text}, today=today)
    except ActionRefused as exc:
        return str(exc)
    return ""


def field_of(message: str) -> str | None:
    """The evidence field a refusal is about, if it names one."""
    # Longest first, so that a name inside a longer one never wins.
    return next((n for n in sorted(FORM_FIELDS, key=len, reverse=True) if n in message), None)


class EvidenceForm(ActionForm):
    """Dismissed once Stripe has taken the evidence (the app notifies the outcome)."""

    # ctrl+s and ctrl+t have priority: the text fields would otherwise take the keys.
    BINDINGS: ClassVar[list[BindingType]] = bindings(EVIDENCE_FORM)

    def __init__(self, detail: DisputeDetail, actions: ActionDesk,
                 clock: Callable[[], float]) -> None:
        super().__init__(actions)
        self.detail = detail
        self.clock = clock
        self.saved = {name: str(value) for name, value in detail.evidence.items()}
        self.editors: dict[str, Input | TextArea] = {}
        self.files = EvidenceFiles(
            {name: value for name, value in self.saved.items() if name in EVIDENCE_FILE_FIELDS},
            attached_files(detail.dispute.id, detail.evidence), Path.cwd())

    @classmethod
    def opened(cls, request: FormRequest) -> EvidenceForm:
        """The form for the dispute `request.target`, unless it is closed."""
        detail = dispute_detail(request.target)
        if detail is None:
            raise ActionRefused(f"{request.target} is no longer in the ledger")
        status = detail.dispute.status
        if is_closed(status):
            raise ActionRefused(f"dispute {detail.dispute.id} is closed ({status}): its "
                                "evidence can no longer be changed")
        return cls(detail, request.actions, request.clock)

    # -- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        dispute = self.detail.dispute
        with Vertical(id="evidence-dialog", classes="dialog") as box:
            box.border_title = f"Evidence for dispute {dispute.id}"
            box.border_subtitle = "ctrl+s save draft · ctrl+t submit · esc close"
            yield Static(Text(self._about()), id="evidence-about")
            yield Static("Emptying a text field does not clear it on Stripe; a file chosen "
                         "here replaces the one saved for its field.", id="evidence-files")
            with VerticalScroll(id="evidence-fields"):
                yield self.files
                for name in LONG_FIELDS:
                    yield from field(field_label(name), self._editor(name))
                with Grid(id="evidence-facts"):
                    for name in SHORT_FIELDS:
                        with Vertical(classes="evidence-fact"):
                            yield from field(field_label(name), self._editor(name))
            yield Static("", id="evidence-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save draft", id="evidence-draft", variant="primary")
                yield Button("Submit to the bank…", id="evidence-submit", variant="error")
                yield Button("Close", id="evidence-close")

    def _about(self) -> str:
        d = self.detail.dispute
        due = (f"due {utc_time(d.due_by)} ({countdown(d.due_by, self.clock())})"
               if d.due_by else "no deadline")
        return (f"{format_amount(d.amount, d.currency)} · {d.reason or 'no reason given'} · "
                f"{d.status} · {due} · submitted {d.submission_count} time(s)")

    def _editor(self, name: str) -> Input | TextArea:
        text = self.saved.get(name, "")
        editor: Input | TextArea
        if name in EVIDENCE_LONG_TEXT:
            editor = TextArea(text, id=f"evidence-{name}", classes="evidence-long", compact=True)
        else:
            editor = Input(text, placeholder=_PLACEHOLDERS.get(name, ""), id=f"evidence-{name}",
                           compact=True)
        self.editors[name] = editor
        return editor

    # -- values and inline checks -----------------------------------------------------

    def value(self, name: str) -> str:
        editor = self.editors[name]
        return editor.text if isinstance(editor, TextArea) else editor.value

    def changed(self) -> dict[str, str]:
        """The non-empty fields that differ from what is saved on Stripe."""
        values = {name: self.value(name) for name in FORM_FIELDS}
        return {name: text for name, text in values.items()
                if text.strip() and text.strip() != self.saved.get(name, "").strip()}

    def _today(self) -> date:
        return date.fromtimestamp(self.clock())

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _check_field(self, event: Input.Changed | TextArea.Changed) -> None:
        editor_id = event.control.id or ""
        if editor_id.startswith("evidence-"):
            name = editor_id.removeprefix("evidence-")
            self._set_error(name, field_problem(name, self.value(name), self._today()))

    def _set_error(self, name: str, text: str) -> None:
        line = self.query_one(f"#evidence-{name}-error", Label)
        line.update(Text(text))  # not markup: it may quote what was typed
        line.set_class(bool(text), "-shown")

    def problems(self) -> dict[str, str]:
        """Fields the plan would refuse as they stand, with why."""
        today = self._today()
        found = {name: field_problem(name, self.value(name), today) for name in FORM_FIELDS}
        return {name: text for name, text in found.items() if text}

    # -- sending ----------------------------------------------------------------------

    @on(Button.Pressed, "#evidence-draft")
    def _draft_pressed(self) -> None:
        self.action_send(False)

    @on(Button.Pressed, "#evidence-submit")
    def _submit_pressed(self) -> None:
        self.action_send(True)

    def action_send(self, submit: bool) -> None:
        if self.busy:
            self.app.bell()  # the first press is being confirmed or sent
            return
        problems = self.problems()
        if problems:
            for name, text in problems.items():
                self._set_error(name, text)
            self.editors[next(iter(problems))].focus()
            self._message("Fix the fields marked in red first.", "-error")
            return
        fields, files = self.changed(), self.files.paths()
        if not fields and not files and not submit:
            self._message("Nothing to save: no field differs from what is saved on Stripe, "
                          "and no file is chosen.", "-error")
            return
        try:
            plan = self.actions.plan_evidence(self.detail.dispute.id, fields, submit=submit,
                                              files=files)
        except ActionRefused as exc:
            self.show_error(str(exc))
            return
        self.send_plan(plan)

    def show_error(self, message: str, *, repeatable: bool = False) -> None:
        # `repeatable` does not arise: saving evidence again is always a new request.
        name = field_of(message)
        if name is not None:
            self._set_error(name, message)
            self.editors[name].focus()
        self._message(message, "-error")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for button in ("#evidence-draft", "#evidence-submit"):
            self.query_one(button, Button).disabled = busy

    def _message(self, text: str, kind: str = "") -> None:
        line = self.query_one("#evidence-message", Static)
        line.update(Text(text))  # not markup: Stripe's messages quote ids and values
        line.set_classes(kind)

    @on(Button.Pressed, "#evidence-close")
    def _close_pressed(self) -> None:
        self.action_close()
