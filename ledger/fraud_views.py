"""What the Fraud warnings pane, `payconsole efw` and the fraudulent refund read: early fraud
warnings with the facts of their payment (customer, amount, what is left to refund), the
actionable ones first, newest first; and the figures analytics adds for them.

Whether a warning can still be acted on is decided here (in SQL for the order and the
counts, in words for the refusal): Stripe's `actionable`, and the ledger's own word on its
payment (fully refunded or disputed since), so the pane, the CLI and the refusal agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ledger.models import database
from ledger.money import normalize_currency
from ledger.queries import Listing
from ledger.rollups import Span
from ledger.sql import counted, execute

# The payment a warning is about: its PaymentIntent, else the payment whose latest charge it
# names (a correlated lookup per row of one page; the order stays on the warning table).
_PAYMENT = ("(SELECT {column} FROM payment WHERE payment.id = early_fraud_warning.payment "
            "OR payment.latest_charge = early_fraud_warning.charge LIMIT 1)")
_PAYMENT_FACTS = ("id", "customer_email", "amount", "currency", "amount_captured",
                  "amount_refunded", "disputed")
# Stripe's `actionable`, unless the ledger has seen the payment disputed or fully refunded
# since (FraudWarningLine.why_not_actionable says the same in words).
ACTIONABLE = "(" + counted(
    "actionable = 1 AND NOT EXISTS (SELECT 1 FROM payment WHERE "
    "(payment.id = early_fraud_warning.payment OR payment.latest_charge = "
    "early_fraud_warning.charge) AND (payment.disputed = 1 OR (payment.amount_captured > 0 "
    "AND payment.amount_refunded >= payment.amount_captured)))") + ")"


@dataclass(frozen=True, slots=True)
class FraudWarningLine:
    id: str
    created: int
    charge: str
    fraud_type: str
    stripe_actionable: bool  # as Stripe last said
    payment: str | None  # None: the payment is not in the ledger yet
    customer_email: str | None
    amount: int | None
    currency: str | None
    amount_captured: int
    amount_refunded: int
    disputed: bool

    @property
    def remaining(self) -> int:
        """What is left to refund on the payment."""
        return max(self.amount_captured - self.amount_refunded, 0)

    @property
    def why_not_actionable(self) -> str | None:
        """Why nothing is left to do about this warning, or None while something is."""
        if self.disputed:
            return "its payment is disputed: the chargeback it warned of came"
        if self.payment is not None and self.amount_captured and not self.remaining:
            return "its payment is already fully refunded"
        if not self.stripe_actionable:
            return "Stripe says it is no longer actionable (refunded or disputed)"
        return None

    @property
    def actionable(self) -> bool:
        return self.why_not_actionable is None


class FraudWarningBoard(Listing[FraudWarningLine]):
    """Every warning, actionable ones first, newest first (a small table: the order is
    computed, not indexed)."""

    table = "early_fraud_warning"
    columns: ClassVar[tuple[str, ...]] = (
        "id", "created", "charge", "fraud_type", "actionable",
        # aliased: a second `id` among the output columns would make ORDER BY id ambiguous
        *(f"{_PAYMENT.format(column=c)} AS payment_{c}" for c in _PAYMENT_FACTS))
    order_keys = (ACTIONABLE, "created", "id")

    def __init__(self, *, actionable_only: bool = False) -> None:
        super().__init__()
        if actionable_only:
            self._condition = self._condition.and_(f"{ACTIONABLE} = ?", [1])

    def _row(self, values: tuple[Any, ...]) -> FraudWarningLine:
        return _line(values)

    def every_row(self) -> list[FraudWarningLine]:
        """All of them in order, for the CLI: a page at a time."""
        rows: list[FraudWarningLine] = []
        while page := self.page(len(rows), 500):
            rows += page
        return rows


def _line(values: tuple[Any, ...]) -> FraudWarningLine:
    (warning_id, created, charge, fraud_type, actionable, payment, email, amount, currency,
     captured, refunded, disputed) = values
    return FraudWarningLine(warning_id, created, charge, fraud_type, bool(actionable), payment,
                            email, amount, currency, captured or 0, refunded or 0,
                            bool(disputed))


def fraud_warning(warning_id: str) -> FraudWarningLine | None:
    cursor = execute(database, f"SELECT {', '.join(FraudWarningBoard.columns)} "
                     "FROM early_fraud_warning WHERE id = ?", (warning_id,))
    values = cursor.fetchone()
    return _line(tuple(values)) if values is not None else None


@dataclass(frozen=True)
class FraudWarningCounts:
    total: int = 0
    actionable: int = 0


def fraud_warning_counts() -> FraudWarningCounts:
    row = execute(database, f"SELECT count(*), coalesce(sum({ACTIONABLE}), 0) "
                  "FROM early_fraud_warning").fetchone()
    return FraudWarningCounts(row[0], row[1])


def fraud_warning_figures(period: Span, currency: str | None) -> dict[str, tuple[int, int]]:
    """Per currency of their payments: warnings created in the period, and how many of those
    payments are fully refunded by now. Warnings whose payment the ledger has not seen have
    no currency yet and are left out."""
    sql = (
        "SELECT payment.currency, count(*), sum("
        + counted("payment.amount_captured > 0 AND "
                  "payment.amount_refunded >= payment.amount_captured")
        + ") "
        "FROM early_fraud_warning JOIN payment ON payment.id = early_fraud_warning.payment "
        "OR payment.latest_charge = early_fraud_warning.charge "
        "WHERE early_fraud_warning.created >= ? AND early_fraud_warning.created < ?")
    params: list[Any] = [period.start, period.end]
    if currency is not None:
        sql += " AND payment.currency = ?"
        params.append(normalize_currency(currency))
    sql += " GROUP BY payment.currency"
    return {code: (count, refunded) for code, count, refunded
            in execute(database, sql, params)}
