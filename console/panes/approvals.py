"""The Approvals pane (team ledgers only): the requests waiting for a second operator, with
what their payment looks like now, and below them this operator's own recent requests and
how they ended. `a` approves and `x` rejects (with a reason) the request under the cursor;
refused here, before anything is inserted, when the operator asked for it or lacks the role
its action needs (the database and the service check it again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from peewee import DatabaseError
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Label

from console.commands import APPROVALS, bindings
from console.panes.base import LedgerPane
from console.screens.reject_dialog import RejectDialog
from console.widgets.formatting import age
from console.widgets.lazy_table import Column, LazyTable
from ledger import lookups, requests
from ledger.money import format_amount
from ledger.requests import Request

OWN_REQUESTS = 50  # the operator's recent requests shown
_OUTCOME_STYLES = {requests.SUCCEEDED: "green", requests.FAILED: "red",
                   requests.REFUSED: "yellow", requests.REJECTED: "yellow",
                   requests.EXPIRED: "dim"}


@dataclass(frozen=True)
class RequestLine:
    """A request as the pane shows it, with its target's state as the ledger has it now."""

    request: Request
    target_now: str

    @property
    def id(self) -> str:
        return str(self.request.id)


class RequestLines:
    """The rows of one of the pane's tables (a few hundred at most: read in one go)."""

    def __init__(self) -> None:
        self.lines: Sequence[RequestLine] = ()

    def count(self) -> int:
        return len(self.lines)

    def page(self, offset: int, limit: int) -> Sequence[RequestLine]:
        return self.lines[offset:offset + limit]

    def position_of(self, row_id: str) -> int | None:
        return next((i for i, line in enumerate(self.lines) if line.id == row_id), None)


def amount_text(req: Request) -> str:
    return format_amount(req.amount, req.currency) if req.amount is not None and req.currency \
        else ""


def target_now(req: Request) -> str:
    """The request's payment (or dispute) as it stands now: what the approver must see."""
    payment_id = req.seen.get("payment_id") or req.target
    payment = lookups.payment(str(payment_id)) if payment_id else None
    if payment is not None:
        state = [payment.status]
        if payment.amount_refunded:
            state.append(f"refunded {format_amount(payment.amount_refunded, payment.currency)}")
        if payment.disputed:
            state.append("disputed")
        return ", ".join(state)
    dispute = lookups.dispute(req.target)
    if dispute is not None:
        return f"dispute {dispute.status.replace('_', ' ')}"
    return ""


def describe(req: Request) -> str:
    amount = amount_text(req)
    return (f"request {req.id}: {req.requested_by} asks for {req.action} {req.target}"
            + (f" ({amount})" if amount else "") + f": {req.summary}")


def _outcome(req: Request) -> Text:
    return Text(req.status.replace("_", " "), style=_OUTCOME_STYLES.get(req.status, "bold"))


def pending_columns(clock: Callable[[], float]) -> tuple[Column, ...]:
    return (
        Column("Id", 6, lambda r: str(r.request.id), align="right"),
        Column("Requested by", 12, lambda r: r.request.requested_by),
        Column("Action", 14, lambda r: r.request.action),
        Column("Target", 24, lambda r: r.request.target),
        Column("Amount", 14, lambda r: amount_text(r.request), align="right"),
        Column("Age", 8, lambda r: age(clock() - r.request.requested_at)),
        Column("Payment now", 22, lambda r: r.target_now),
        Column("Waits because", 60, lambda r: r.request.message or ""),
    )


def own_columns(clock: Callable[[], float]) -> tuple[Column, ...]:
    return (
        Column("Id", 6, lambda r: str(r.request.id), align="right"),
        Column("Action", 14, lambda r: r.request.action),
        Column("Target", 24, lambda r: r.request.target),
        Column("Amount", 14, lambda r: amount_text(r.request), align="right"),
        Column("Status", 18, lambda r: _outcome(r.request)),
        Column("Age", 8, lambda r: age(clock() - r.request.status_at)),
        Column("Message", 60, lambda r: r.request.message or ""),
    )


class ApprovalsPane(LedgerPane):
    BINDINGS: ClassVar[list[BindingType]] = bindings(APPROVALS)

    def __init__(self, operator: str, clock: Callable[[], float], *,
                 id: str | None = None) -> None:
        """`operator`: this console's database role (who approves)."""
        super().__init__(id=id)
        self.operator = operator
        self.clock = clock
        self.pending = RequestLines()
        self.own = RequestLines()

    def compose(self) -> ComposeResult:
        yield Label("", id="approvals-summary", classes="pane-summary")
        yield LazyTable(self.pending, pending_columns(self.clock), id="approvals-table")
        yield Label("", id="approvals-own-title", classes="pane-summary")
        yield LazyTable(self.own, own_columns(self.clock), id="approvals-own-table")

    def on_mount(self) -> None:
        self._read()
        self._show_summary()

    def _read(self) -> None:
        waiting = requests.requests_in([requests.AWAITING_APPROVAL])
        self.pending.lines = [RequestLine(req, target_now(req)) for req in waiting]
        self.own.lines = [RequestLine(req, "")
                          for req in requests.requests_by(self.operator, limit=OWN_REQUESTS)]

    def reload(self) -> None:
        self._read()
        for table in self.query(LazyTable):
            table.refresh_rows()
        self._show_summary()

    def focus_content(self) -> None:
        self.query_one("#approvals-table", LazyTable).focus()

    @property
    def selected(self) -> Request | None:
        table = self.query_one("#approvals-table", LazyTable)
        row = table.row_at(table.cursor)
        return row.request if isinstance(row, RequestLine) else None

    def _show_summary(self) -> None:
        count = self.pending.count()
        waiting = ("No requests wait for approval" if not count else
                   "1 request waits for approval" if count == 1 else
                   f"{count} requests wait for approval")
        mine = sum(1 for line in self.pending.lines
                   if line.request.requested_by == self.operator)
        parts = [waiting, f"you are {self.operator}"]
        if mine:
            parts.append(f"{mine} of them yours (another operator approves those)")
        self.query_one("#approvals-summary", Label).update(" · ".join(parts))
        self.query_one("#approvals-own-title", Label).update(
            f"Your recent requests ({self.own.count()}), newest first")

    # -- deciding ------------------------------------------------------------------

    def action_decide(self, decision: str) -> None:
        """Approve or reject the request under the cursor, once it is sure it may."""
        from sync import team_rules  # its plans: imported when a request is first decided

        chosen = self.selected
        problem = (team_rules.approval_problem(self.operator, requests.request(chosen.id))
                   if chosen is not None else "choose a request waiting for approval first")
        if problem:
            self.app.notify(problem, title=f"Cannot {decision}", severity="warning",
                            markup=False)
            self.app.bell()
            return
        assert chosen is not None
        if decision == requests.REJECT:
            self.app.push_screen(RejectDialog(describe(chosen)),
                                 partial(self._rejected, chosen.id))
        else:
            self._send(chosen.id, requests.APPROVE, "")

    def _rejected(self, request_id: int, reason: str | None) -> None:
        if reason is not None:
            self._send(request_id, requests.REJECT, reason)

    def _send(self, request_id: int, decision: str, reason: str) -> None:
        self.run_worker(partial(self._insert, request_id, decision, reason), thread=True,
                        group="approvals", description=f"{decision} request {request_id}")

    def _insert(self, request_id: int, decision: str, reason: str) -> None:
        """In a worker thread: the one write, then back to the UI thread."""
        try:
            requests.insert_approval(request_id, decision, reason)
        except DatabaseError as exc:
            message = f"request {request_id}: {str(exc).splitlines()[0]}"
            self.app.call_from_thread(self.app.notify, message, title=f"Cannot {decision}",
                                      severity="error", markup=False)
            return
        done = ("approved: the team's sync service runs it" if decision == requests.APPROVE
                else "rejected: the team's sync service closes it")
        self.app.call_from_thread(self._decided, f"request {request_id} {done}")

    def _decided(self, message: str) -> None:
        self.app.notify(message, title="Approvals", markup=False)
        self.reload()
