"""The analytics' stored per-day totals (ledger/daily_totals.py keeps them). Created and
filled by one migration (ledger/migrations.py)."""

from __future__ import annotations

from peewee import SQL, BigIntegerField, CompositeKey, TextField

from ledger.models import LedgerModel


def _zero() -> BigIntegerField:
    return BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])


class DailyTotal(LedgerModel):
    """What the rows of one kind (payments, failures, refunds, disputes, balance
    transactions) created on one UTC day in one currency add up to, per `label` (a card
    brand, decline code or dispute reason; '' for none). Each kind fills its own measures
    and leaves the others 0; `row_count` says whether any row is there at all."""

    kind = TextField()
    day = BigIntegerField()  # created / 86400
    currency = TextField()
    label = TextField()
    row_count = _zero()
    gross = _zero()
    payments_succeeded = _zero()
    payments_attempted = _zero()
    refunded = _zero()
    refunds = _zero()
    disputes = _zero()
    disputed_lost = _zero()
    fees = _zero()
    dispute_withdrawn = _zero()

    class Meta:
        primary_key = CompositeKey("kind", "day", "currency", "label")


TOTAL_MODELS: tuple[type[LedgerModel], ...] = (DailyTotal,)
