"""What the Disputes pane reads: the on-call board, the counts behind the header badge,
one dispute in full, and which disputes arrived since the console opened.

Urgency is decided here, not in a widget, so the pane, the badge and the CLI agree on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ledger import lookups
from ledger.dispute_files import FileRecord, files_of
from ledger.dispute_status import (
    NEEDS_RESPONSE,
    STILL_OPEN,
    UNDER_REVIEW,
    is_closed,
    is_inquiry,
    needs_response,
)
from ledger.filters import PaymentFilter
from ledger.models import Dispute, Payment, database
from ledger.queries import (
    DisputeListing,
    DisputeRow,
    Listing,
    TimelineEntry,
    flag_as_bool,
    json_object,
    timeline_of,
)
from ledger.sql import counted, execute, marks, single_int

HOUR = 3_600
DAY = 24 * HOUR


class Urgency(StrEnum):
    """How soon a dispute needs the operator; None of these for one nobody has to answer."""

    OVERDUE = "overdue"
    WITHIN_48H = "due-48h"
    WITHIN_7D = "due-7d"
    LATER = "later"
    CLOSED = "closed"


def urgency(status: str, due_by: int | None, now: float) -> Urgency | None:
    """Overdue, due within 48 hours, within 7 days, or later; closed; None under review."""
    if is_closed(status):
        return Urgency.CLOSED
    if not needs_response(status):
        return None
    if due_by is None:
        return Urgency.LATER
    left = due_by - now
    if left < 0:
        return Urgency.OVERDUE
    if left < 2 * DAY:
        return Urgency.WITHIN_48H
    if left < 7 * DAY:
        return Urgency.WITHIN_7D
    return Urgency.LATER


@dataclass(frozen=True, slots=True)
class DisputeLine(DisputeRow):
    """A dispute with the facts of its payment an operator recognises it by."""

    customer_email: str | None
    card_brand: str | None
    card_last4: str | None


def _payment_fact(column: str) -> str:
    # A correlated lookup on the payment's primary key (or its charge's index), per row of
    # one page: the order stays on the dispute table alone, as DisputeListing's.
    return (f"(SELECT {column} FROM payment WHERE payment.id = dispute.payment "
            "OR payment.latest_charge = dispute.charge LIMIT 1)")


class DisputeBoard(Listing[DisputeLine]):
    """DisputeListing's order (needing a response by deadline, under review, closed newest
    first) with the payment's customer email and card; `include_closed=False` stops
    before the closed ones."""

    table = "dispute"
    columns = (*DisputeRow.__slots__,
               *(_payment_fact(c) for c in ("customer_email", "card_brand", "card_last4")))
    order_keys = DisputeListing.order_keys
    descending = False

    def __init__(self, filter_by: PaymentFilter | None = None, *,
                 include_closed: bool = True) -> None:
        super().__init__(filter_by)
        self.include_closed = include_closed
        if not include_closed:
            still_open = STILL_OPEN
            marks = ", ".join("?" * len(still_open))
            self._condition = self._condition.and_(f"status IN ({marks})", still_open)

    def _row(self, values: tuple[Any, ...]) -> DisputeLine:
        return _line(values)


def _line(values: tuple[Any, ...]) -> DisputeLine:
    """A DisputeLine from DisputeBoard.columns' values."""
    return DisputeLine(*flag_as_bool(values, DisputeRow.__slots__.index("has_evidence")))


@dataclass(frozen=True)
class DisputeCounts:
    needing_response: int = 0
    under_review: int = 0
    closed: int = 0


def dispute_counts() -> DisputeCounts:
    """How many disputes are in each group (one pass over a small table)."""
    needing = counted(f"status IN ({marks(NEEDS_RESPONSE)})")
    reviewed = counted(f"status IN ({marks(UNDER_REVIEW)})")
    row = execute(database,
        f"SELECT coalesce(sum({needing}), 0), coalesce(sum({reviewed}), 0), count(*) "
        "FROM dispute",
        (*NEEDS_RESPONSE, *UNDER_REVIEW),
    ).fetchone()
    return DisputeCounts(row[0], row[1], row[2] - row[0] - row[1])


@dataclass(frozen=True)
class FundsMovement:
    """One balance transaction of a dispute: funds withdrawn (negative) or reinstated."""

    id: str
    amount: int
    fee: int
    net: int
    currency: str
    created: int | None

    @property
    def kind(self) -> str:
        return "withdrawn" if self.amount < 0 else "reinstated"


def funds_movements(balance_transactions: str) -> list[FundsMovement]:
    """The dispute's stored balance transactions, oldest first (ids alone are left out)."""
    movements = [
        FundsMovement(str(txn["id"]), int(txn["amount"]), int(txn.get("fee") or 0),
                      int(txn.get("net") or 0), str(txn["currency"]).lower(),
                      txn.get("created"))
        for txn in json.loads(balance_transactions or "[]")
        if isinstance(txn, dict) and txn.get("amount") is not None and txn.get("currency")
    ]
    return sorted(movements, key=lambda movement: movement.created or 0)


@dataclass(frozen=True)
class DisputeDetail:
    """A dispute with the payment it disputes (None when not synced yet), and the events of
    both."""

    dispute: Dispute
    payment: Payment | None
    timeline: list[TimelineEntry]

    @property
    def evidence(self) -> dict[str, Any]:
        """The evidence saved on Stripe (text, and file ids), without empty fields."""
        return json_object(self.dispute.evidence)

    @property
    def files(self) -> list[FileRecord]:
        """The evidence files uploaded for it, as the ledger keeps them (offline too)."""
        return files_of(self.dispute.id)

    @property
    def funds(self) -> list[FundsMovement]:
        return funds_movements(self.dispute.balance_transactions)

    @property
    def refund_ends_it(self) -> bool:
        """An open inquiry whose charge may still be refunded: a full refund closes it."""
        return refund_ends_inquiry(self.dispute)


def refund_ends_inquiry(dispute: Dispute) -> bool:
    return (is_inquiry(dispute.status) and not is_closed(dispute.status)
            and bool(dispute.is_charge_refundable))


def dispute_of(payment: Payment) -> Dispute | None:
    """The newest dispute on a payment (a charge is disputed at most once)."""
    on_payment = Dispute.payment == payment.id
    if payment.latest_charge:
        on_payment |= Dispute.charge == payment.latest_charge
    newest: Dispute | None = (
        Dispute.select().where(on_payment).order_by(Dispute.created.desc()).first())
    return newest


def dispute_detail(dispute_id: str) -> DisputeDetail | None:
    dispute = lookups.dispute(dispute_id)
    if dispute is None:
        return None
    payment = _disputed_payment(dispute)
    timeline = timeline_of({dispute.id, dispute.payment, dispute.charge,
                            payment.id if payment else None,
                            payment.latest_charge if payment else None})
    return DisputeDetail(dispute, payment, timeline)


def _disputed_payment(dispute: Dispute) -> Payment | None:
    found = Payment.get_or_none(Payment.id == dispute.payment) if dispute.payment else None
    if found is None and dispute.charge:  # a legacy charge, or an intent not synced yet
        found = Payment.get_or_none(Payment.latest_charge == dispute.charge)
    return found


class NewDisputeWatch:
    """Disputes that reached the ledger after the watch started, each reported once.

    Upserts keep a row's rowid, so rows with a rowid above the last one seen are the new
    disputes: each check reads only those, never the whole table. The ids already
    reported guard the "once" should rowids ever be renumbered (a VACUUM).
    """

    def __init__(self) -> None:
        self._after = self._last_rowid()
        self._reported: set[str] = set()

    @staticmethod
    def _last_rowid() -> int:
        return single_int(database, "SELECT coalesce(max(rowid), 0) FROM dispute")

    def arrived(self) -> list[DisputeLine]:
        """The disputes that arrived since the previous call (or the watch's start)."""
        cursor = execute(database,
            f"SELECT rowid, {', '.join(DisputeBoard.columns)} FROM dispute "
            "WHERE rowid > ? ORDER BY rowid", (self._after,))
        new = []
        for rowid, *values in cursor:
            self._after = max(self._after, rowid)
            line = _line(tuple(values))
            if line.id not in self._reported:
                self._reported.add(line.id)
                new.append(line)
        return new
