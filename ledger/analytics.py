"""Payment analytics: SQL aggregates per currency over a period of UTC days.

Day boundary: UTC midnight (`DAY_BOUNDARY`). A ledger timestamp is unix seconds, so a
row's day is `created / 86400`; the same ledger gives the same figures on any machine.
Periods are half-open, `[start, end)`.

Definitions (every figure is per currency; amounts are integer minor units):
- A payment belongs to the period of its `created` (when the PaymentIntent was created).
- succeeded: `status = 'succeeded'`.
- failed: not succeeded and its latest charge attempt failed (`failure_code` is set: a
  decline, a blocked or an errored charge), whatever the status it was left in.
- attempted: succeeded + failed. Payments still in progress (requires_action, processing,
  requires_capture, requires_payment_method with no failed charge) and those canceled
  before any charge are not attempts: they have no outcome yet.
- gross: what succeeded payments captured (`amount_captured`, or `amount_received` for a
  PaymentIntent whose charge the ledger has not seen yet).
- refunded: refunds created in the period (by the refund's own `created`), except failed
  or canceled ones.
- disputes: disputes opened in the period; disputed_lost: the amount of those now lost.
  They are dated by opening, when Stripe withdrew the funds: the ledger keeps no date
  for a dispute's closing.
- early_fraud_warnings: warnings created in the period, in their payment's currency;
  efw_refunded_share: the share of those whose payment is fully refunded by now.
- net = gross - refunded - disputed_lost.
- fees: Stripe's processing fees on the charge balance transactions created in the period.
- dispute_withdrawn: what disputes took out of the balance in the period, their amounts
  and dispute fees, less what won disputes reinstated (by the transactions' `created`).
- net_after_fees = gross - refunded - fees - dispute_withdrawn.
- success_rate = succeeded / attempted; refund_rate = refunded / gross (a share of
  volume); dispute_rate = disputes / succeeded (the card networks' count ratio).
  Each is None when its divisor is 0.

For a period of whole UTC days (every period the pane and `payconsole report` ask for)
the figures come from the per-day totals ledger/daily_totals.py keeps, so their cost does
not grow with the payments of a day; early fraud warnings and holds (ledger/
analytics_holds.py) are read from their rows. Any other period scans the rows: the
day-leading covering indexes of schema version 3 (ledger/migrations.py), aggregated per
(day, currency) in index order, so SQLite never sorts the rows themselves. Either way,
totals are summed in SQL over those per-day groups (ledger/rollups.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from ledger.daily_totals import BALANCE, DISPUTES, FAILURES, PAYMENTS, REFUNDS
from ledger.fraud_views import fraud_warning_figures
from ledger.rollups import BY_DAY, BY_KEY, DAY, TOTAL, Row, Source, merge, rollup, tally

DAY_BOUNDARY = "UTC"


def _seconds(value: datetime | int) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value.isoformat()} has no timezone; give an aware datetime")
        return int(value.timestamp())
    return int(value)


def _now_seconds(now: datetime | int | None) -> int:
    return _seconds(datetime.now(UTC) if now is None else now)


def day_of(seconds: int) -> date:
    """The UTC calendar day a ledger timestamp falls on."""
    return date(1970, 1, 1) + timedelta(days=seconds // DAY)


def midnight(day: date) -> int:
    """Unix seconds of UTC midnight starting `day`."""
    return (day - date(1970, 1, 1)).days * DAY


@dataclass(frozen=True, slots=True)
class Period:
    """`[start, end)` in unix seconds; built from whole UTC days by the helpers."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts ({self.start} >= {self.end})")

    @classmethod
    def between(cls, start: datetime | int, end: datetime | int) -> Period:
        """A custom range from aware datetimes or unix seconds."""
        return cls(_seconds(start), _seconds(end))

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """The UTC days `first` to `last`, both included."""
        return cls(midnight(first), midnight(last) + DAY)

    @classmethod
    def last_days(cls, count: int, now: datetime | int | None = None) -> Period:
        """The `count` UTC days ending with today (so today, still going, is included)."""
        if count < 1:
            raise ValueError(f"a period needs at least one day, not {count}")
        today = day_of(_now_seconds(now))
        return cls.days(today - timedelta(days=count - 1), today)

    @classmethod
    def today(cls, now: datetime | int | None = None) -> Period:
        return cls.last_days(1, now)

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(2 * self.start - self.end, self.start)

    def dates(self) -> list[date]:
        """Every UTC day the period touches, in order."""
        first, last = self.start // DAY, (self.end - 1) // DAY
        return [day_of(day * DAY) for day in range(first, last + 1)]


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Volume:
    """Payments and refunds: what a period and each of its days both have."""

    gross: int = 0
    refunded: int = 0
    refunds: int = 0
    payments_succeeded: int = 0
    payments_attempted: int = 0

    @property
    def success_rate(self) -> float | None:
        return _rate(self.payments_succeeded, self.payments_attempted)


@dataclass(frozen=True, slots=True)
class Figures(_Volume):
    """One currency's figures over a period (see the module docstring for definitions)."""

    currency: str
    disputes: int = field(default=0, kw_only=True)
    disputed_lost: int = field(default=0, kw_only=True)
    fees: int = field(default=0, kw_only=True)
    dispute_withdrawn: int = field(default=0, kw_only=True)
    early_fraud_warnings: int = field(default=0, kw_only=True)  # created in the period
    efw_refunded: int = field(default=0, kw_only=True)  # of those, payments fully refunded

    @property
    def efw_refunded_share(self) -> float | None:
        return _rate(self.efw_refunded, self.early_fraud_warnings)

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.disputed_lost

    @property
    def net_after_fees(self) -> int:
        return self.gross - self.refunded - self.fees - self.dispute_withdrawn

    @property
    def average_payment(self) -> int | None:
        """Gross per successful payment, in minor units rounded half up."""
        count = self.payments_succeeded
        return (2 * self.gross + count) // (2 * count) if count else None

    @property
    def refund_rate(self) -> float | None:
        return _rate(self.refunded, self.gross)

    @property
    def dispute_rate(self) -> float | None:
        return _rate(self.disputes, self.payments_succeeded)


@dataclass(frozen=True, slots=True)
class Day(_Volume):
    """One currency's payments and refunds on one UTC day."""

    date: date


# -- the card networks' dispute monitoring -------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    network: str
    rate: float


# The networks' monitoring programs also need a minimum count of disputes a month (about
# 100), which the ratio alone does not show; the pane marks the ratio.
VISA_DISPUTE_THRESHOLD = Threshold("Visa", 0.009)
MASTERCARD_DISPUTE_THRESHOLD = Threshold("Mastercard", 0.015)
DISPUTE_THRESHOLDS = (VISA_DISPUTE_THRESHOLD, MASTERCARD_DISPUTE_THRESHOLD)
NEAR_THRESHOLD = 0.75  # a rate at 75% of a threshold is near it


class Standing(Enum):
    OK = "ok"
    NEAR = "near"
    OVER = "over"


def dispute_standing(rate: float | None, threshold: Threshold) -> Standing:
    """Whether a dispute rate is clear of, near, or at/over a network's threshold."""
    if rate is None or rate < NEAR_THRESHOLD * threshold.rate:
        return Standing.OK
    return Standing.OVER if rate >= threshold.rate else Standing.NEAR


# -- figures from the per-day groups (ledger/rollups.py) ------------------------------


def _figures(parts: Iterable[tuple[Source, list[Row]]], period: Period,
             currency: str | None) -> dict[str, Figures]:
    merged = merge(parts, width=1)
    figures = {code: Figures(code, **values) for (code,), values in merged.items()}
    for code, (warnings, refunded) in fraud_warning_figures(period, currency).items():
        figures[code] = replace(figures.get(code, Figures(code)),
                                early_fraud_warnings=warnings, efw_refunded=refunded)
    return dict(sorted(figures.items()))


def _days(period: Period, parts: Iterable[tuple[Source, list[Row]]]) -> dict[str, list[Day]]:
    merged = merge(parts, width=2)
    first = period.start // DAY
    days = [(first + i, when) for i, when in enumerate(period.dates())]
    return {
        code: [Day(when, **merged.get((day, code), {})) for day, when in days]
        for code in sorted({code for _, code in merged})
    }


def summary(period: Period, currency: str | None = None) -> dict[str, Figures]:
    """Figures per currency (only `currency` when given) for the period."""
    return _figures(((source, rollup(source, period, currency, [TOTAL])[0])
                     for source in (PAYMENTS, REFUNDS, DISPUTES, BALANCE)), period, currency)


def daily(period: Period, currency: str | None = None) -> dict[str, list[Day]]:
    """Per currency, one Day for every UTC day of the period, zero-filled."""
    return _days(period, (
        (source, rollup(source, period, currency, [BY_DAY])[0])
        for source in (PAYMENTS, REFUNDS)
    ))


@dataclass(frozen=True, slots=True)
class Change:
    """A figure in the period and in the previous one."""

    current: int | float | None
    previous: int | float | None

    @property
    def delta(self) -> int | float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        """Change as a fraction of the previous value; None from nothing."""
        delta = self.delta
        return None if delta is None or not self.previous else delta / abs(self.previous)


@dataclass(frozen=True, slots=True)
class Comparison:
    current: Figures
    previous: Figures

    def change(self, name: str) -> Change:
        """`name` is any Figures field or property, e.g. "gross" or "success_rate"."""
        return Change(getattr(self.current, name), getattr(self.previous, name))


def _compare(current: dict[str, Figures], previous: dict[str, Figures]) -> dict[str, Comparison]:
    return {
        code: Comparison(current.get(code, Figures(code)), previous.get(code, Figures(code)))
        for code in sorted(current.keys() | previous.keys())
    }


def compare(period: Period, currency: str | None = None) -> dict[str, Comparison]:
    """Figures for the period and the previous one of equal length, per currency."""
    return _compare(summary(period, currency), summary(period.previous(), currency))


# -- breakdowns -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """A count for one value (decline code, dispute reason) and its share of the total."""

    key: str | None
    count: int
    share: float


def _tallies(rows: list[tuple[Any, int, int]]) -> list[Tally]:
    return [Tally(key, count, count / total) for key, count, total in rows]


def decline_codes(period: Period, currency: str | None = None, limit: int = 10) -> list[Tally]:
    """Top reasons failed payments failed (decline code, else failure code); the share
    is of all failed payments in the period. Counts, so across currencies unless one is
    given."""
    return _tallies(tally(FAILURES, period, currency, limit))


def dispute_reasons(period: Period, currency: str | None = None) -> list[Tally]:
    """Disputes opened in the period by reason, most frequent first."""
    return _tallies(tally(DISPUTES, period, currency, None))


@dataclass(frozen=True, slots=True)
class BrandVolume:
    brand: str | None
    payments: int
    gross: int


def _brands(rows: list[Row]) -> dict[str, list[BrandVolume]]:
    """Rows of (currency, brand, *PAYMENTS measures), largest gross first per currency."""
    volumes: dict[str, list[BrandVolume]] = {}
    for code, brand, gross, succeeded, _attempted in sorted(rows, key=lambda r: (r[0], -r[2])):
        if succeeded:
            volumes.setdefault(code, []).append(BrandVolume(brand, succeeded, gross))
    return volumes


def card_brands(period: Period, currency: str | None = None) -> dict[str, list[BrandVolume]]:
    """Successful volume per currency and card brand."""
    return _brands(rollup(PAYMENTS, period, currency, [BY_KEY], keyed=True)[0])


@dataclass(frozen=True)
class Overview:
    """Everything the analytics pane shows for one period."""

    period: Period
    comparison: dict[str, Comparison]
    daily: dict[str, list[Day]]
    card_brands: dict[str, list[BrandVolume]]
    decline_codes: list[Tally]
    dispute_reasons: list[Tally]


def overview(period: Period, currency: str | None = None) -> Overview:
    """summary/compare, daily and card_brands together, scanning the period's payments
    once for all three."""
    payments = rollup(PAYMENTS, period, currency, [TOTAL, BY_DAY, BY_KEY], keyed=True)
    refunds = rollup(REFUNDS, period, currency, [TOTAL, BY_DAY])
    (disputes,) = rollup(DISPUTES, period, currency, [TOTAL])
    (balance,) = rollup(BALANCE, period, currency, [TOTAL])
    current = _figures([(PAYMENTS, payments[0]), (REFUNDS, refunds[0]), (DISPUTES, disputes),
                        (BALANCE, balance)], period, currency)
    return Overview(
        period,
        _compare(current, summary(period.previous(), currency)),
        _days(period, [(PAYMENTS, payments[1]), (REFUNDS, refunds[1])]),
        _brands(payments[2]),
        decline_codes(period, currency),
        dispute_reasons(period, currency),
    )
