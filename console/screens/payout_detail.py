"""One payout in full: amount, status, arrival, a failure's code and message, the balance
transactions it paid out with the payments, refunds and disputes behind them, and the
reconciliation line (their net adds up to the payout, or the difference).

A paid payout's transactions are fetched by the sync; when they are not in the ledger yet
and the console may reach Stripe, the screen fetches them in a worker and redraws."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.commands import PAYOUT_DETAIL, bindings
from console.screens.detail_sections import DetailScreen, Fact, facts_table, listing, section
from console.widgets.formatting import local_time
from ledger.money import format_amount
from ledger.payouts import PayoutDetail, PayoutTransaction, payout_detail, reconciliation_text

# Fetches a payout's transactions from Stripe into the ledger (sync.payouts).
Fetch = Callable[[str], object]

TRANSACTION_HEADERS = ("Time", "Type", "Amount", "Fee", "Net", "Source", "Payment",
                       "Customer", "Balance transaction")
PAYOUT_STATUS_STYLES = {"paid": "green", "failed": "bold red", "canceled": "dim",
                        "in_transit": "yellow", "pending": "yellow"}


def payout_status_text(status: str) -> Text:
    return Text(status, style=PAYOUT_STATUS_STYLES.get(status, ""))


def payout_facts(detail: PayoutDetail) -> list[Fact]:
    p = detail.payout
    failure = Text(f"{p.failure_code or 'failed'}: {p.failure_message or ''}",
                   style="bold red") if p.failed else ""
    return [
        ("Amount", format_amount(p.amount, p.currency)),
        ("Status", payout_status_text(p.status)),
        ("Failure", failure),
        ("Arrival", local_time(p.arrival_date)),
        ("Created", local_time(p.created, seconds=True)),
        ("Kind", f"{'automatic' if p.automatic else 'manual'}, {p.method or 'standard'}"),
        ("Own transaction", p.balance_transaction or ""),
    ]


def reconciliation(detail: PayoutDetail) -> Text:
    if not detail.fetched:
        why = ("" if detail.payout.automatic
               else ": Stripe lists no transactions for a manual payout")
        return Text(f"not reconciled yet: the transactions are not in the ledger{why}",
                    style="yellow")
    rec = detail.reconciliation
    return Text(reconciliation_text(rec), style="green" if rec.reconciled else "bold red")


def transaction_rows(transactions: Iterable[PayoutTransaction]) -> Iterable[tuple[str, ...]]:
    for t in transactions:
        yield (local_time(t.created, seconds=True), t.type, format_amount(t.amount, t.currency),
               format_amount(t.fee, t.currency), format_amount(t.net, t.currency),
               t.source or "", t.payment or "", t.customer_email or "", t.id)


class PayoutDetailScreen(DetailScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(PAYOUT_DETAIL)

    def __init__(self, detail: PayoutDetail, *, fetch: Fetch | None) -> None:
        """`fetch`: how to get missing transactions from Stripe (None: offline)."""
        super().__init__()
        self.detail = detail
        self.fetch = fetch

    def read_again(self) -> bool:
        detail = payout_detail(self.detail.payout.id)
        if detail is None:
            return False
        self.detail = detail
        return True

    def on_mount(self) -> None:
        if self.fetch is not None and not self.detail.fetched and self.detail.payout.automatic:
            self._fetch_transactions(self.fetch)

    @work(thread=True, exclusive=True, group="payout-transactions")
    def _fetch_transactions(self, fetch: Fetch) -> None:
        try:
            fetch(self.detail.payout.id)
        except Exception as exc:  # shown, not raised: the detail stays as it is
            self.app.call_from_thread(self.notify, f"could not fetch the transactions: {exc}",
                                      severity="warning")
            return
        self.app.call_from_thread(self.reload)

    def compose(self) -> ComposeResult:
        detail = self.detail
        with Vertical(id="payout-detail-dialog") as dialog:
            dialog.border_title = f"Payout {detail.payout.id}"
            dialog.border_subtitle = "esc to close"
            with VerticalScroll(id="payout-detail-body"):
                yield Static(facts_table(payout_facts(detail)), id="payout-facts")
                yield Static(reconciliation(detail), id="payout-reconciliation")
                yield from section("Balance transactions", listing(
                    TRANSACTION_HEADERS, transaction_rows(detail.transactions),
                    "none in the ledger yet"))
