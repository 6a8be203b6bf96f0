"""One dispute in full: the disputed payment, the deadline (local and UTC), the evidence
already saved on Stripe, and the timeline of the payment, its charge and the dispute.

Its action keys do not act here: the screen closes and names the action, and the
Disputes pane (which opened it) runs it on this dispute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from console.screens.payment_detail import Cells, Fact, facts_table, listing
from console.widgets.countdown import deadline
from console.widgets.formatting import local_time, money_or_blank, status_text
from ledger.dispute_views import DisputeDetail
from ledger.labels import card_label
from ledger.money import format_amount
from sync.actions_checks import EVIDENCE_FILE_FIELDS

EVIDENCE = "evidence"
ACCEPT = "accept"


def evidence_state(has_evidence: bool, submission_count: int) -> str:
    """ "yes (2)" once submitted, "draft" when saved but not submitted, else "no"."""
    if submission_count:
        return f"yes ({submission_count})"
    return "draft" if has_evidence else "no"


def dispute_facts(detail: DisputeDetail, now: float) -> list[Fact]:
    d = detail.dispute
    return [
        ("Amount", format_amount(d.amount, d.currency)),
        ("Status", status_text(d.status)),
        ("Reason", d.reason or ""),
        ("Evidence due", deadline(d.due_by, now)),
        ("Evidence", evidence_state(d.has_evidence, d.submission_count)),
        ("Submissions", str(d.submission_count)),
        ("Opened", local_time(d.created, seconds=True)),
        ("Charge", d.charge or ""),
    ]


def payment_facts(detail: DisputeDetail) -> list[Fact]:
    p = detail.payment
    if p is None:
        return [("Payment", f"{detail.dispute.payment or detail.dispute.charge or '?'} "
                            "(not in the ledger yet)")]
    return [
        ("Payment", p.id),
        ("Amount", format_amount(p.amount, p.currency)),
        ("Refunded", money_or_blank(p.amount_refunded, p.currency)),
        ("Status", status_text(p.status)),
        ("Card", card_label(p.card_brand, p.card_last4)),
        ("Customer", " ".join(filter(None, (p.customer, p.customer_email)))),
        ("Description", p.description or ""),
        ("Paid", local_time(p.created, seconds=True)),
    ]


def evidence_facts(evidence: dict[str, Any]) -> Iterable[Fact]:
    for name, value in sorted(evidence.items()):
        kind = " (file)" if name in EVIDENCE_FILE_FIELDS else ""
        yield f"{name}{kind}", str(value)


def timeline_rows(detail: DisputeDetail) -> Iterable[Cells]:
    for entry in detail.timeline:
        yield (local_time(entry.created, seconds=True), entry.type, entry.received_via,
               entry.event_id)


class DisputeDetailScreen(ModalScreen[str | None]):
    """Dismissed with EVIDENCE or ACCEPT when the operator asks for that action, else None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="detail.close"),
        Binding("v", "follow_up('evidence')", "Evidence", id="disputes.evidence"),
        Binding("a", "follow_up('accept')", "Accept", id="disputes.accept"),
    ]

    def __init__(self, detail: DisputeDetail, clock: Callable[[], float], *,
                 refusal: str | None) -> None:
        super().__init__()
        self.detail = detail
        self.clock = clock
        self.refusal = refusal  # why actions are unavailable, or None

    def compose(self) -> ComposeResult:
        detail = self.detail
        with Vertical(id="dispute-detail-dialog") as dialog:
            dialog.border_title = f"Dispute {detail.dispute.id}"
            dialog.border_subtitle = self._keys_hint()
            with VerticalScroll(id="dispute-detail-body"):
                yield Static(facts_table(dispute_facts(detail, self.clock())),
                             id="dispute-facts")
                yield from self._section("Disputed payment", facts_table(payment_facts(detail)))
                yield from self._section("Evidence saved on Stripe", facts_table(
                    evidence_facts(detail.evidence)) if detail.evidence
                    else Text("none yet", style="dim"))
                yield from self._section("Timeline", listing(
                    ("Time", "Event", "Arrived via", "Event id"), timeline_rows(detail),
                    "no events stored for this dispute or its payment"))

    def _keys_hint(self) -> str:
        if self.refusal:
            return f"esc to close · actions unavailable: {self.refusal}"
        return "v evidence · a accept · esc to close"

    @staticmethod
    def _section(title: str, body: Any) -> ComposeResult:
        yield Label(title, classes="detail-heading")
        yield Static(body, classes="detail-section")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.refusal is None if action == "follow_up" else True

    def action_follow_up(self, action: str) -> None:
        self.dismiss(action)
