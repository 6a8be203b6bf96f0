"""Read-side queries the panes and the CLI use: paged on indexed orders, never whole tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ledger.db import database
from ledger.models import Dispute, Event, Payment, Refund


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: str
    created: int
    amount: int
    currency: str
    status: str
    customer_email: str | None
    card_brand: str | None
    card_last4: str | None
    amount_refunded: int
    disputed: bool
    failure_code: str | None


_PAYMENT_ROW_COLUMNS = ", ".join(PaymentRow.__slots__)


class PaymentListing:
    """Payments newest first, read a window at a time (LIMIT/OFFSET on an index)."""

    def count(self) -> int:
        return database.execute_sql("SELECT count(*) FROM payment").fetchone()[0]

    def page(self, offset: int, limit: int) -> list[PaymentRow]:
        cursor = database.execute_sql(
            f"SELECT {_PAYMENT_ROW_COLUMNS} FROM payment "
            "ORDER BY created DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [PaymentRow(*row[:-2], bool(row[-2]), row[-1]) for row in cursor]

    def position_of(self, payment_id: str) -> int | None:
        """Offset of a payment in this order, so a view can keep its cursor on it."""
        row = database.execute_sql(
            "SELECT created FROM payment WHERE id = ?", (payment_id,)
        ).fetchone()
        if row is None:
            return None
        return database.execute_sql(
            "SELECT count(*) FROM payment WHERE created > ? OR (created = ? AND id > ?)",
            (row[0], row[0], payment_id),
        ).fetchone()[0]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    event_id: str
    created: int
    type: str
    received_via: str


@dataclass
class PaymentDetail:
    payment: Payment
    refunds: list[Refund] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def metadata(self) -> dict[str, Any]:
        return json.loads(self.payment.metadata or "{}")


def payment_detail(payment_id: str) -> PaymentDetail | None:
    payment = Payment.get_or_none(Payment.id == payment_id)
    if payment is None:
        return None
    refunds = list(Refund.select().where(Refund.payment == payment_id).order_by(Refund.created))
    disputes = list(Dispute.select().where(Dispute.payment == payment_id))
    related = {payment_id, payment.latest_charge, *(r.id for r in refunds),
               *(d.id for d in disputes)} - {None}
    events = (
        Event.select(Event.id, Event.created, Event.type, Event.received_via)
        .where(Event.object_id.in_(sorted(related)))
        .order_by(Event.created, Event.id)
    )
    timeline = [TimelineEntry(e.id, e.created, e.type, e.received_via) for e in events]
    return PaymentDetail(payment, refunds, disputes, timeline)
