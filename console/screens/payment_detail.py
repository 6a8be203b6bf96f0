"""One payment in full: amounts, card, customer, metadata, failure, refunds, disputes and
the timeline of events that built it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from console.panes.audit import result_text
from console.widgets.formatting import local_time, money_or_blank, status_text
from ledger.audit import AuditRow, entries_touching
from ledger.labels import card_label
from ledger.money import format_amount
from ledger.queries import PaymentDetail, payment_detail

Fact = tuple[str, str | Text]
Cells = Sequence[str | Text]


def facts_table(facts: Iterable[Fact]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for name, value in facts:
        if value:
            grid.add_row(name, value)
    return grid


def listing(headers: Sequence[str], rows: Iterable[Cells], empty: str) -> Table | Text:
    table = Table(*headers, box=None, padding=(0, 2, 0, 0), header_style="bold")
    for row in rows:
        table.add_row(*row)
    return table if table.row_count else Text(empty, style="dim")


def summary_facts(detail: PaymentDetail) -> list[Fact]:
    p = detail.payment
    return [
        ("Amount", format_amount(p.amount, p.currency)),
        ("Received", money_or_blank(p.amount_received, p.currency)),
        ("Captured", money_or_blank(p.amount_captured, p.currency)),
        ("Refunded", money_or_blank(p.amount_refunded, p.currency)),
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


def timeline_rows(detail: PaymentDetail) -> Iterable[Cells]:
    for entry in detail.timeline:
        yield (local_time(entry.created, seconds=True), entry.type, entry.received_via,
               entry.event_id)


class PaymentDetailScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="detail.close"),
        # Same id as in the Payments pane: remapping refund remaps both.
        Binding("r", "refund", "Refund", id="payments.refund"),
    ]

    def __init__(self, detail: PaymentDetail, *, actions_refusal: str | None) -> None:
        """`actions_refusal`: why operator actions are unavailable (hides `r`), or None."""
        super().__init__()
        self.detail = detail
        self.audit = entries_touching(detail.payment.id)
        self.actions_refusal = actions_refusal

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refund":
            return self.actions_refusal is None
        return True

    async def action_refund(self) -> None:
        await self.app.run_action(f"refund_payment({self.detail.payment.id!r})")

    def reload(self) -> None:
        """Read the payment again (after an action on it) and redraw."""
        detail = payment_detail(self.detail.payment.id)
        if detail is not None:
            self.detail = detail
            self.audit = entries_touching(detail.payment.id)
            self.refresh(recompose=True)

    def compose(self) -> ComposeResult:
        detail = self.detail
        with Vertical(id="detail-dialog") as dialog:
            dialog.border_title = f"Payment {detail.payment.id}"
            refund = "r to refund · " if self.actions_refusal is None else ""
            dialog.border_subtitle = f"{refund}esc to close"
            with VerticalScroll(id="detail-body"):
                yield Static(facts_table(summary_facts(detail)), id="detail-summary")
                if any(value for _, value in failure_facts(detail)):
                    yield from self._section("Failure", facts_table(failure_facts(detail)))
                yield from self._section("Metadata", facts_table(
                    (key, str(value)) for key, value in sorted(detail.metadata.items())
                ) if detail.metadata else Text("none", style="dim"))
                yield from self._section("Refunds", listing(
                    ("Created", "Amount", "Status", "Reason", "Refund"),
                    refund_rows(detail), "none"))
                yield from self._section("Disputes", listing(
                    ("Created", "Amount", "Status", "Reason", "Evidence due", "Submitted",
                     "Dispute"), dispute_rows(detail), "none"))
                yield from self._section("Timeline", listing(
                    ("Time", "Event", "Arrived via", "Event id"), timeline_rows(detail),
                    "no events stored for this payment"))
                yield from self._section("Operator actions", listing(
                    ("Time", "Operator", "Action", "Result", "Object", "Error"),
                    audit_rows(self.audit), "none in the audit log"))

    @staticmethod
    def _section(title: str, body: Table | Text) -> ComposeResult:
        yield Label(title, classes="detail-heading")
        yield Static(body, classes="detail-section")
