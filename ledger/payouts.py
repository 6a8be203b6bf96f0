"""Payouts in the ledger: the Payouts pane's listing, a payout's balance transactions with
the payments, refunds and disputes behind them, and its reconciliation (the transactions'
net against the payout's amount).

A payout's transactions are what Stripe lists under `GET /v1/balance_transactions?payout=`:
the charges, refunds, dispute movements... it paid out, and its own (negative) payout
transaction, which the reconciliation leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.models import database
from ledger.money import format_amount
from ledger.queries import Listing, flag_as_bool
from ledger.records import StripeObject, balance_transaction_records
from ledger.sql import LedgerDatabase, execute
from ledger.writes import BALANCE_TRANSACTIONS

FAILED = "failed"


def store_payout_transactions(db: LedgerDatabase, payout: str, objects: Iterable[StripeObject],
                              as_of: int) -> int:
    """Upsert the transactions Stripe listed under `payout` (in the caller's transaction),
    through the one balance-transaction upsert; returns how many."""
    rows = [{**row, "payout": row["payout"] or payout} for obj in objects
            for row in balance_transaction_records(obj, as_of).balance_transactions]
    BALANCE_TRANSACTIONS.run(db, rows)
    return len(rows)


# -- the pane --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutLine:
    id: str
    created: int
    amount: int
    currency: str
    status: str
    arrival_date: int | None
    method: str | None
    automatic: bool
    failure_code: str | None
    failure_message: str | None
    balance_transaction: str | None

    @property
    def failed(self) -> bool:
        return self.status == FAILED


_PAYOUT_COLUMNS = ", ".join(PayoutLine.__slots__)


def _line(values: Sequence[Any]) -> PayoutLine:
    return PayoutLine(*flag_as_bool(tuple(values), PayoutLine.__slots__.index("automatic")))


class PayoutListing(Listing[PayoutLine]):
    """Payouts newest first (on the payout_created index)."""

    table = "payout"
    columns = PayoutLine.__slots__
    order_keys = ("created", "id")

    def _row(self, values: tuple[Any, ...]) -> PayoutLine:
        return _line(values)


def payout_line(payout_id: str) -> PayoutLine | None:
    row = execute(database, f"SELECT {_PAYOUT_COLUMNS} FROM payout WHERE id = ?",
                  (payout_id,)).fetchone()
    return _line(row) if row else None


def failed_payouts(since: int) -> list[PayoutLine]:
    """Payouts created since `since` that failed, newest first: what the console alerts on."""
    cursor = execute(
        database,
        f"SELECT {_PAYOUT_COLUMNS} FROM payout WHERE created >= ? AND status = ? "
        "ORDER BY created DESC, id DESC", (since, FAILED))
    return [_line(values) for values in cursor]


def payouts_missing_transactions(since: int, limit: int = 20) -> list[str]:
    """Automatic payouts paid since `since` whose transactions the ledger has not fetched
    (not even the payout's own, which Stripe lists with them): newest first."""
    cursor = execute(
        database,
        "SELECT id FROM payout WHERE status = 'paid' AND automatic = 1 AND created >= ? "
        "AND NOT EXISTS (SELECT 1 FROM balance_transaction bt WHERE bt.payout = payout.id) "
        "ORDER BY created DESC, id DESC LIMIT ?", (since, limit))
    return [row_id for (row_id,) in cursor]


# -- the detail ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutTransaction:
    """One balance transaction of a payout, and what is behind it in the ledger."""

    id: str
    created: int
    type: str
    reporting_category: str | None
    amount: int
    fee: int
    net: int
    currency: str
    source: str | None
    payment: str | None  # the payment the charge, refund or dispute belongs to
    customer_email: str | None


@dataclass(frozen=True)
class Reconciliation:
    """Whether the transactions' net adds up to the payout's amount."""

    payout_amount: int
    transactions_net: int
    currency: str
    counted: int  # transactions counted (the payout's own left out)

    @property
    def difference(self) -> int:
        """What the transactions are short of (negative: over) the payout's amount."""
        return self.payout_amount - self.transactions_net

    @property
    def reconciled(self) -> bool:
        return self.difference == 0


@dataclass(frozen=True)
class PayoutDetail:
    payout: PayoutLine
    transactions: Sequence[PayoutTransaction]

    @property
    def fetched(self) -> bool:
        """Whether Stripe's list of the payout's transactions is in the ledger."""
        return bool(self.transactions)

    @property
    def counted(self) -> list[PayoutTransaction]:
        """The transactions the payout paid out: all but its own."""
        return [t for t in self.transactions if t.id != self.payout.balance_transaction
                and t.type != "payout"]

    @property
    def reconciliation(self) -> Reconciliation:
        counted = self.counted
        return Reconciliation(self.payout.amount, sum(t.net for t in counted),
                              self.payout.currency, len(counted))


# The payment behind a transaction: its charge's, its refund's or its dispute's.
_TRANSACTIONS_SQL = """
SELECT bt.id, bt.created, bt.type, bt.reporting_category, bt.amount, bt.fee, bt.net,
       bt.currency, bt.source, p.id, p.customer_email
FROM balance_transaction bt
LEFT JOIN refund r ON r.id = bt.source
LEFT JOIN dispute d ON d.id = bt.source
LEFT JOIN payment p ON p.id = COALESCE(
    (SELECT c.id FROM payment c WHERE c.latest_charge = bt.source), r.payment, d.payment)
WHERE bt.payout = ?
ORDER BY bt.created, bt.id
"""


def payout_detail(payout_id: str) -> PayoutDetail | None:
    payout = payout_line(payout_id)
    if payout is None:
        return None
    cursor = execute(database, _TRANSACTIONS_SQL, (payout_id,))
    return PayoutDetail(payout, [PayoutTransaction(*values) for values in cursor])


def reconciliation_text(rec: Reconciliation) -> str:
    """The detail's and `payout show`'s reconciliation line."""
    net = format_amount(rec.transactions_net, rec.currency)
    amount = format_amount(rec.payout_amount, rec.currency)
    counted = f"{rec.counted} transaction{'s' if rec.counted != 1 else ''}"
    if rec.reconciled:
        return f"reconciled: the net of {counted} ({net}) adds up to the payout ({amount})"
    short = "short of" if rec.difference > 0 else "over"
    return (f"NOT reconciled: the net of {counted} ({net}) is "
            f"{format_amount(abs(rec.difference), rec.currency)} {short} the payout "
            f"({amount})")
