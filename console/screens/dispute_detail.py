"""One dispute in full: the disputed payment, the deadline (local and UTC), the evidence
already saved on Stripe, and the timeline of the payment, its charge and the dispute.
Its action keys (evidence, accept) act on this dispute (console.operator_actions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.commands import DISPUTE_DETAIL, bindings
from console.screens.detail_sections import DetailScreen, Fact, facts_table, section, timeline
from console.widgets.countdown import deadline
from console.widgets.formatting import local_time, money_or_blank, status_text
from ledger.dispute_views import DisputeDetail, dispute_detail
from ledger.labels import card_label
from ledger.money import format_amount
from sync.actions_checks import EVIDENCE_FILE_FIELDS


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


class DisputeDetailScreen(DetailScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(DISPUTE_DETAIL)

    def __init__(self, detail: DisputeDetail, clock: Callable[[], float], *,
                 refusal: str | None) -> None:
        super().__init__()
        self.detail = detail
        self.clock = clock
        self.refusal = refusal  # why actions are unavailable (for the keys hint), or None

    def read_again(self) -> bool:
        detail = dispute_detail(self.detail.dispute.id)
        if detail is None:
            return False
        self.detail = detail
        return True

    def compose(self) -> ComposeResult:
        detail = self.detail
        with Vertical(id="dispute-detail-dialog") as dialog:
            dialog.border_title = f"Dispute {detail.dispute.id}"
            dialog.border_subtitle = self._keys_hint()
            with VerticalScroll(id="dispute-detail-body"):
                yield Static(facts_table(dispute_facts(detail, self.clock())),
                             id="dispute-facts")
                yield from section("Disputed payment", facts_table(payment_facts(detail)))
                yield from section("Evidence saved on Stripe", facts_table(
                    evidence_facts(detail.evidence)) if detail.evidence
                    else Text("none yet", style="dim"))
                yield from section("Timeline", timeline(
                    detail.timeline, "no events stored for this dispute or its payment"))

    def _keys_hint(self) -> str:
        if self.refusal:
            return f"esc to close · actions unavailable: {self.refusal}"
        return "v evidence · a accept · esc to close"
