"""Read-side queries the panes and the CLI use: paged on indexed orders, never whole tables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from ledger import dispute_status
from ledger.daily_totals import PAYMENT_COUNT
from ledger.fees import PaymentFees, payment_fees
from ledger.filters import PaymentFilter
from ledger.models import Dispute, Event, Payment, Refund, database
from ledger.sql import execute, single_int

R = TypeVar("R")


class Listing(Generic[R]):
    """Rows of one table in a fixed order, narrowed by an optional filter, read a window at
    a time (LIMIT/OFFSET on an indexed order). `count` is the filtered count.

    The order is `order_keys`, all in one direction and ending with the unique id, so the
    rows before a given row are one row-value comparison away."""

    table: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    count_all: str | None = None  # SQL counting the unfiltered rows from totals
    order_keys: tuple[str, ...]  # a listing may take its order per instance
    descending: bool = True

    def __init__(self, filter_by: PaymentFilter | None = None) -> None:
        self.filter_by = filter_by or PaymentFilter()
        self._condition = self.filter_by.condition(self.table)
        self._counted: int | None = None  # the last count(), which a view reads first
        self._carried: int | None = None  # a count of the same rows, made just before

    def _row(self, values: tuple[Any, ...]) -> R:
        raise NotImplementedError

    def count(self) -> int:
        if self._carried is not None:  # the same rows in another order, counted just now
            self._counted, self._carried = self._carried, None
            return self._counted
        sql = f"SELECT count(*) FROM {self.table}{self._condition.where()}"
        if self.count_all and self.filter_by.is_empty():
            sql = self.count_all
        self._counted = single_int(database, sql, self._condition.params)
        return self._counted

    def page(self, offset: int, limit: int) -> list[R]:
        """Rows `offset` to `offset + limit` in the listing's order. A window in the far
        half (of the last count) is read from the other end and turned round: OFFSET walks
        every row it skips (PostgreSQL row by row), so the oldest page would otherwise
        cost the whole table."""
        total = self._counted
        if total is None or offset * 2 <= total:
            return self._window(offset, limit, self.descending)
        if offset >= total:
            return []
        from_end = self._window(max(total - offset - limit, 0), min(limit, total - offset),
                                not self.descending)
        return from_end[::-1]

    def _window(self, offset: int, limit: int, descending: bool) -> list[R]:
        direction = " DESC" if descending else ""
        order = ", ".join(key + direction for key in self.order_keys)
        cursor = execute(database,
            f"SELECT {', '.join(self.columns)} FROM {self.table}{self._condition.where()} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            (*self._condition.params, limit, offset),
        )
        return [self._row(values) for values in cursor]

    def position_of(self, row_id: str) -> int | None:
        """Offset of a row in this order, so a view can keep its cursor on it; None when
        the row is not there or the filter leaves it out."""
        keys = ", ".join(self.order_keys)
        found = self._condition.and_("id = ?", [row_id])
        row = execute(database,
            f"SELECT {keys} FROM {self.table}{found.where()}", found.params
        ).fetchone()
        if row is None:
            return None
        marks = ", ".join("?" * len(row))
        before = self._condition.and_(f"({keys}) {'>' if self.descending else '<'} ({marks})", row)
        sql = f"SELECT count(*) FROM {self.table}{before.where()}"
        return single_int(database, sql, before.params)


def flag_as_bool(values: tuple[Any, ...], index: int) -> tuple[Any, ...]:
    """A row's values with the 0/1 column at `index` as a bool (SQLite has no booleans)."""
    flagged = list(values)
    flagged[index] = bool(flagged[index])
    return tuple(flagged)


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
    capture_before: int | None  # Stripe's deadline for an uncaptured authorization


# Stripe does not always send capture_before; an online card authorization lasts 7 days.
DEFAULT_CAPTURE_WINDOW = 7 * 86400


def capture_by(created: int, capture_before: int | None) -> int:
    """When an uncaptured authorization lapses: Stripe's capture_before, else created + 7 days."""
    return capture_before if capture_before is not None else created + DEFAULT_CAPTURE_WINDOW


def capture_by_sql(table: str = "payment") -> str:
    """`capture_by` as SQL over a payment row's columns (`table` names the row), for queries
    that count or sum holds by their capture-by time."""
    return f"COALESCE({table}.capture_before, {table}.created + {DEFAULT_CAPTURE_WINDOW})"


# The statuses a hold can be in. Every query of holds states this term word for word: it is
# the condition of the partial index HELD_INDEX, which SQLite only uses when a query's WHERE
# holds the same term. (Its status index was no help: SQLite's statistics average the rows
# per status, a few hundred thousand for 'succeeded' and a handful for the rest, so the
# holds queries scanned every payment, 2.5 s at 1M.)
HELD = "status IN ('requires_capture', 'canceled')"
HELD_INDEX = f"CREATE INDEX IF NOT EXISTS payment_held ON payment (status, currency) WHERE {HELD}"


def holds_lapsing(now: float, within: int) -> int:
    """Authorizations awaiting capture whose capture-by time is in the next `within` seconds."""
    return single_int(
        database,
        f"SELECT count(*) FROM payment WHERE {HELD} AND status = 'requires_capture' "
        f"AND {capture_by_sql()} BETWEEN ? AND ?",
        (int(now), int(now) + within),
    )


@dataclass(frozen=True)
class PaymentOrder:
    """An order the Payments pane offers; each has an index that starts with its keys."""

    label: str
    keys: tuple[str, ...]
    descending: bool = True


PAYMENT_ORDERS: tuple[PaymentOrder, ...] = (
    PaymentOrder("newest first", ("created", "id")),
    PaymentOrder("oldest first", ("created", "id"), descending=False),
    # Amounts only compare within a currency (minor units differ), so currency leads.
    PaymentOrder("largest first, per currency", ("currency", "amount", "id")),
)


class PaymentListing(Listing[PaymentRow]):
    """Payments in one of PAYMENT_ORDERS (newest first unless asked)."""

    table = "payment"
    columns = PaymentRow.__slots__
    count_all = PAYMENT_COUNT
    order_keys: tuple[str, ...] = ("created", "id")

    def __init__(self, filter_by: PaymentFilter | None = None,
                 order: PaymentOrder = PAYMENT_ORDERS[0]) -> None:
        super().__init__(filter_by)
        self.order = order
        self.order_keys, self.descending = order.keys, order.descending

    def reordered(self, order: PaymentOrder) -> PaymentListing:
        """The same payments in another order; its first count is this one's (PostgreSQL
        keeps no row count: a filtered count of a million rows costs ~0.1 s)."""
        listing = PaymentListing(self.filter_by, order)
        listing._carried = self._counted
        return listing

    def _row(self, values: tuple[Any, ...]) -> PaymentRow:
        return PaymentRow(*flag_as_bool(values, PaymentRow.__slots__.index("disputed")))


@dataclass(frozen=True, slots=True)
class DisputeRow:
    id: str
    created: int
    payment: str | None
    amount: int
    currency: str
    status: str
    reason: str | None
    due_by: int | None
    has_evidence: bool
    submission_count: int


# Needing a response first, soonest deadline first; then under review; then closed,
# newest first: an order of expressions, which DISPUTE_ORDER_INDEX holds (sorting every
# dispute for a page took 100 ms at 100k disputes, a 10M-payment ledger).
def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


_DISPUTE_RANK = (
    f"CASE WHEN status IN ({_quoted(dispute_status.NEEDS_RESPONSE)}) THEN 0 "
    f"WHEN status IN ({_quoted(dispute_status.UNDER_REVIEW)}) THEN 1 ELSE 2 END"
)
_DISPUTE_WHEN = (
    f"CASE WHEN {_DISPUTE_RANK} = 0 THEN COALESCE(due_by, 9223372036854775807) "
    "ELSE -created END"
)


# SQLite uses an index on expressions when the query spells them the same; PostgreSQL
# wants each in parentheses.
DISPUTE_ORDER_INDEX = ("CREATE INDEX IF NOT EXISTS dispute_order ON dispute "
                       f"({_DISPUTE_RANK}, {_DISPUTE_WHEN}, id)")
DISPUTE_ORDER_INDEX_POSTGRES = ("CREATE INDEX IF NOT EXISTS dispute_order ON dispute "
                                f"(({_DISPUTE_RANK}), ({_DISPUTE_WHEN}), id)")


class DisputeListing(Listing[DisputeRow]):
    """Disputes for on-call: open ones first by evidence deadline."""

    table = "dispute"
    columns = DisputeRow.__slots__
    order_keys = (_DISPUTE_RANK, _DISPUTE_WHEN, "id")
    descending = False

    def _row(self, values: tuple[Any, ...]) -> DisputeRow:
        return DisputeRow(*flag_as_bool(values, -2))


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    event_id: str
    created: int
    type: str
    received_via: str


@dataclass(frozen=True)
class PaymentDetail:
    """A payment with its refunds and disputes, and the events of all of them."""

    payment: Payment
    refunds: list[Refund]
    disputes: list[Dispute]
    timeline: list[TimelineEntry]
    fees: PaymentFees | None = None  # None until its charge's balance transaction is synced

    @property
    def metadata(self) -> dict[str, Any]:
        return json_object(self.payment.metadata)


def payment_detail(payment_id: str) -> PaymentDetail | None:
    payment = Payment.get_or_none(Payment.id == payment_id)
    if payment is None:
        return None
    refunds = list(Refund.select().where(Refund.payment == payment_id).order_by(Refund.created))
    disputes = list(Dispute.select().where(Dispute.payment == payment_id))
    timeline = timeline_of({payment_id, payment.latest_charge, *(r.id for r in refunds),
                            *(d.id for d in disputes)})
    return PaymentDetail(payment, refunds, disputes, timeline, payment_fees(payment_id))


def json_object(text: str | None) -> dict[str, Any]:
    """A JSON object column (metadata, evidence) as a dict: {} when empty."""
    value = json.loads(text or "{}")
    return value if isinstance(value, dict) else {}


def timeline_of(object_ids: Iterable[str | None]) -> list[TimelineEntry]:
    """The ledger's events about any of these objects, oldest first."""
    events = (
        Event.select(Event.id, Event.created, Event.type, Event.received_via)
        .where(Event.object_id.in_(sorted({i for i in object_ids if i})))
        .order_by(Event.created, Event.id)
    )
    return [TimelineEntry(e.id, e.created, e.type, e.received_via) for e in events]
