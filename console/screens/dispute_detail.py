"""One dispute in full: whether it is an inquiry or a chargeback, the disputed payment, the
deadline (local and UTC), the funds withdrawn and reinstated, the evidence already saved on
Stripe, the evidence files uploaded for it, and the timeline of the payment, its charge and
the dispute. Its action keys (evidence, accept; refund for an inquiry a refund ends) act on
this dispute (console.operator_actions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.commands import DISPUTE_DETAIL, bindings
from console.screens.detail_sections import (
    DetailScreen,
    Fact,
    facts_table,
    listing,
    section,
    timeline,
)
from console.widgets.countdown import deadline
from console.widgets.formatting import evidence_state, local_time, money_or_blank, status_text
from ledger import dispute_status
from ledger.dispute_files import FileRecord
from ledger.dispute_views import DisputeDetail, FundsMovement, dispute_detail
from ledger.labels import card_label
from ledger.money import format_amount
from sync.actions_checks import EVIDENCE_FILE_FIELDS
from sync.evidence_files import format_size


def kind_text(detail: DisputeDetail) -> str:
    """Inquiry or chargeback, and what that means for the money."""
    if not dispute_status.is_inquiry(detail.dispute.status):
        return "chargeback"
    meaning = "inquiry: no funds withdrawn yet"
    if detail.refund_ends_it:
        return f"{meaning}; a full refund (r) closes it with no dispute fee"
    return meaning


def dispute_facts(detail: DisputeDetail, now: float) -> list[Fact]:
    d = detail.dispute
    return [
        ("Amount", format_amount(d.amount, d.currency)),
        ("Status", status_text(d.status)),
        ("Kind", kind_text(detail)),
        ("Reason", d.reason or ""),
        ("Evidence due", deadline(d.due_by, now)),
        ("Evidence", evidence_state(d.has_evidence, d.submission_count)),
        ("Submissions", str(d.submission_count)),
        ("Submitted via", (d.submission_method or "").replace("_", " ")),
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


def evidence_facts(evidence: dict[str, Any], files: Iterable[FileRecord] = ()) -> Iterable[Fact]:
    """Each saved field; a file field names its file where the ledger knows it."""
    names = {record.id: record.filename for record in files}
    for name, value in sorted(evidence.items()):
        if name not in EVIDENCE_FILE_FIELDS:
            yield name, str(value)
        else:
            known = f"{names[value]} ({value})" if value in names else str(value)
            yield f"{name} (file)", known


FILE_HEADERS = ("Field", "File", "Type", "Size", "Pages", "Uploaded", "By", "File id")


def file_rows(files: Iterable[FileRecord]) -> Iterable[tuple[str, ...]]:
    for f in files:
        yield (f.field, f.filename, f.type.upper(), format_size(f.size),
               "" if f.pages is None else str(f.pages), local_time(f.uploaded_at, seconds=True),
               f.operator, f.id)


FUNDS_HEADERS = ("Time", "Funds", "Amount", "Fee", "Net", "Balance transaction")


def funds_rows(movements: Iterable[FundsMovement]) -> Iterable[tuple[str, ...]]:
    for m in movements:
        yield (local_time(m.created, seconds=True), m.kind,
               format_amount(m.amount, m.currency), format_amount(m.fee, m.currency),
               format_amount(m.net, m.currency), m.id)


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
                yield from section("Funds withdrawn and reinstated", listing(
                    FUNDS_HEADERS, funds_rows(detail.funds), "none: no funds moved"))
                files = detail.files
                yield from section("Evidence saved on Stripe", facts_table(
                    evidence_facts(detail.evidence, files)) if detail.evidence
                    else Text("none yet", style="dim"))
                yield from section("Evidence files uploaded", listing(
                    FILE_HEADERS, file_rows(files), "none uploaded from payconsole"))
                yield from section("Timeline", timeline(
                    detail.timeline, "no events stored for this dispute or its payment"))

    def _keys_hint(self) -> str:
        if self.refusal:
            return f"esc to close · actions unavailable: {self.refusal}"
        refund = "r refund (closes the inquiry) · " if self.detail.refund_ends_it else ""
        return f"{refund}v evidence · a accept · esc to close"
