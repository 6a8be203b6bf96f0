"""One payment in full: amounts, card, customer, metadata, failure, refunds, disputes and
the timeline of events that built it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.commands import PAYMENT_DETAIL, bindings
from console.panes.audit import result_text
from console.screens.detail_sections import (
    Cells,
    DetailScreen,
    Fact,
    facts_table,
    listing,
    section,
    timeline,
)
from console.widgets.countdown import deadline, duration
from console.widgets.formatting import local_time, money_or_blank, status_text
from ledger.audit import AuditRow, entries_touching
from ledger.labels import card_label
from ledger.money import format_amount
from ledger.queries import PaymentDetail, capture_by, payment_detail

HOUR = 3600


def hold_style(due: int, now: float) -> str:
    """A hold's colour, like a dispute deadline's: lapsed, within 24 h, within 3 days."""
    left = due - now
    if left < 0:
        return "bold red"
    if left < 24 * HOUR:
        return "bold yellow"
    return "yellow" if left < 72 * HOUR else ""


def status_with_hold(status: str, created: int, capture_before: int | None, now: float
                     ) -> Text:
    """The status, and for an authorization the time left to capture it ("6d 23h",
    "lapsed"), coloured by urgency."""
    text = status_text(status)
    if status == "requires_capture":
        due = capture_by(created, capture_before)
        left = duration(due - now) if due >= now else "lapsed"
        text.append(f" {left}", style=hold_style(due, now))
    return text


def hold_facts(detail: PaymentDetail, now: float) -> list[Fact]:
    """What an authorization awaiting capture still allows, and until when."""
    p = detail.payment
    if p.status != "requires_capture":
        return []
    due = capture_by(p.created, p.capture_before)
    guessed = "" if p.capture_before else " (created + 7 days: Stripe did not say)"
    return [("Capturable", format_amount(p.amount_capturable or p.amount, p.currency)),
            ("Capture by", Text(deadline(due, now) + guessed, style=hold_style(due, now)))]


def funds_text(available_on: int | None, now: float) -> str:
    """When the charge's net is (or was) available to pay out."""
    if available_on is None:
        return ""
    when = local_time(available_on)
    return f"available since {when}" if available_on <= now else f"pending until {when}"


def fee_facts(detail: PaymentDetail, now: float) -> list[Fact]:
    """Stripe's fee on the charge, what the charge left, and what the payment has left
    after its refunds and disputes (when those changed it)."""
    fees = detail.fees
    if fees is None:
        return [("Fee", Text("not synced yet", style="dim"))] if detail.payment.captured else []
    code = fees.currency
    facts: list[Fact] = [("Fee", format_amount(fees.fee, code)),
                         ("Net", format_amount(fees.net, code)),
                         ("Funds", funds_text(fees.available_on, now))]
    if fees.kept != fees.net:
        facts.append(("Net after refunds and disputes", format_amount(fees.kept, code)))
    return facts


def fee_rows(detail: PaymentDetail) -> Iterable[Cells]:
    fees = detail.fees
    for d in fees.details if fees else ():
        yield (d.description or "", d.type or "", format_amount(d.amount, d.currency))


def summary_facts(detail: PaymentDetail, now: float) -> list[Fact]:
    p = detail.payment
    return [
        ("Amount", format_amount(p.amount, p.currency)),
        ("Received", money_or_blank(p.amount_received, p.currency)),
        ("Captured", money_or_blank(p.amount_captured, p.currency)),
        *hold_facts(detail, now),
        ("Refunded", money_or_blank(p.amount_refunded, p.currency)),
        *fee_facts(detail, now),
        ("Status", status_text(p.status)),
        ("Disputed", Text("yes", style="bold red") if p.disputed else ""),
        ("Created", local_time(p.created, seconds=True)),
        ("Description", p.description or ""),
        ("Card", card_label(p.card_brand, p.card_last4)),
        ("Payment method", p.payment_method or ""),
        ("Customer", " ".join(filter(None, (p.customer, p.customer_email)))),
        ("Latest charge", p.latest_charge or ""),
        ("Mode", "live" if p.livemode else "test"),
    ]


def failure_facts(detail: PaymentDetail) -> list[Fact]:
    p = detail.payment
    return [
        ("Code", p.failure_code or ""),
        ("Decline code", p.decline_code or ""),
        ("Message", p.failure_message or ""),
    ]


def refund_rows(detail: PaymentDetail) -> Iterable[Cells]:
    for r in detail.refunds:
        yield (local_time(r.created), format_amount(r.amount, r.currency), r.status or "",
               r.reason or "", r.id)


def dispute_rows(detail: PaymentDetail) -> Iterable[Cells]:
    for d in detail.disputes:
        yield (local_time(d.created), format_amount(d.amount, d.currency),
               Text(d.status, style="bold red" if d.status.startswith("needs") else ""),
               d.reason or "", local_time(d.due_by), str(d.submission_count), d.id)


def audit_rows(entries: Iterable[AuditRow]) -> Iterable[Cells]:
    for e in entries:
        # Text, not str: a str cell is read as markup, and an error may hold brackets.
        yield (local_time(e.at, seconds=True), Text(e.operator), e.action,
               result_text(e.result), e.object_id or "", Text(e.error or ""))


class PaymentDetailScreen(DetailScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(PAYMENT_DETAIL)

    def __init__(self, detail: PaymentDetail, *, actions_refusal: str | None,
                 clock: Callable[[], float]) -> None:
        """`actions_refusal`: why operator actions are unavailable (no refund hint), or None."""
        super().__init__()
        self.detail = detail
        self.clock = clock
        self.audit = entries_touching(detail.payment.id)
        self.actions_refusal = actions_refusal

    def read_again(self) -> bool:
        detail = payment_detail(self.detail.payment.id)
        if detail is None:
            return False
        self.detail = detail
        self.audit = entries_touching(detail.payment.id)
        return True

    def compose(self) -> ComposeResult:
        detail = self.detail
        with Vertical(id="detail-dialog") as dialog:
            dialog.border_title = f"Payment {detail.payment.id}"
            dialog.border_subtitle = f"{self._action_hint()}esc to close"
            with VerticalScroll(id="detail-body"):
                yield Static(facts_table(summary_facts(detail, self.clock())), id="detail-summary")
                if any(value for _, value in failure_facts(detail)):
                    yield from section("Failure", facts_table(failure_facts(detail)))
                yield from section("Metadata", facts_table(
                    (key, str(value)) for key, value in sorted(detail.metadata.items())
                ) if detail.metadata else Text("none", style="dim"))
                if detail.fees is not None:
                    yield from section("Fees", listing(
                        ("Fee", "Type", "Amount"), fee_rows(detail),
                        "no fee"))
                yield from section("Refunds", listing(
                    ("Created", "Amount", "Status", "Reason", "Refund"),
                    refund_rows(detail), "none"))
                yield from section("Disputes", listing(
                    ("Created", "Amount", "Status", "Reason", "Evidence due", "Submitted",
                     "Dispute"), dispute_rows(detail), "none"))
                yield from section("Timeline", timeline(
                    detail.timeline, "no events stored for this payment"))
                yield from section("Operator actions", listing(
                    ("Time", "Operator", "Action", "Result", "Object", "Error"),
                    audit_rows(self.audit), "none in the audit log"))

    def _action_hint(self) -> str:
        if self.actions_refusal is not None:
            return ""
        if self.detail.payment.status == "requires_capture":
            return "c to capture · x to cancel · "
        return "r to refund · "
