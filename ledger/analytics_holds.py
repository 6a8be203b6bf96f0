"""Holds in the analytics: authorized payments not captured yet, and holds that lapsed.

Every figure is per currency, amounts in integer minor units. A hold's capture-by time is
`ledger.queries.capture_by` (Stripe's `capture_before`, else created + 7 days), in SQL
`capture_by_sql`; its amount is what it may capture, `amount_capturable`, or the payment's
`amount` where that is 0 (a hold canceled since has nothing left to capture).

- authorized_not_captured: payments in `requires_capture` whose capture-by time is `now`
  or later, what may still be captured. authorized_lapsing_24h: those of them whose
  capture-by time is within the next 24 h (the header's count, per currency). One still in
  `requires_capture` past its capture-by time can no longer be captured (the capture is
  refused): it has lapsed, and is counted there, not here.
- holds_lapsed: holds whose capture-by time fell in the period, before `now`, and that
  were never captured: still in `requires_capture`, or canceled by Stripe
  (`cancellation_reason` "automatic": Stripe cancels an expired authorization itself), or
  canceled as "abandoned" at or after the capture-by time. The ledger keeps no
  `canceled_at` (Stripe's PaymentIntent has one), so that time is the ledger's
  `payment_intent.canceled` event; an abandoned hold whose event the ledger never received
  (a backfill past Stripe's event retention) is not counted. A canceled payment was a hold
  when it was to be captured manually and has a charge and no failure. Canceled for any
  other reason, or abandoned before its deadline, a hold was released on purpose: it did
  not lapse. Compared with the previous period of equal length, like every other figure.

The queries read the few payments in `requires_capture` or `canceled` (the partial index
`ledger.queries.HELD_INDEX`); the events only for abandoned holds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ledger.analytics import Change, Period
from ledger.models import database
from ledger.money import normalize_currency
from ledger.queries import HELD, capture_by_sql
from ledger.sql import counted, execute

LAPSING_WITHIN = 24 * 3600  # "lapsing soon", as the header counts holds

_CAPTURE_BY = capture_by_sql()
_AMOUNT = "CASE WHEN amount_capturable > 0 THEN amount_capturable ELSE amount END"
_CANCELED_AT = ("(SELECT MIN(event.created) FROM event WHERE event.object_id = payment.id "
                "AND event.type = 'payment_intent.canceled')")
_WAS_A_HOLD = ("capture_method = 'manual' AND latest_charge IS NOT NULL "
               "AND failure_code IS NULL")
_LAPSED = (
    f"{HELD} AND (status = 'requires_capture' OR ("
    f"{_WAS_A_HOLD} AND (cancellation_reason = 'automatic' OR ("
    f"cancellation_reason = 'abandoned' AND {_CANCELED_AT} >= {_CAPTURE_BY}))))"
)


@dataclass(frozen=True, slots=True)
class Holds:
    """One currency's holds: held now, and lapsed in a period."""

    currency: str
    authorized_not_captured: int = 0
    authorized_not_captured_amount: int = 0
    authorized_lapsing_24h: int = 0
    authorized_lapsing_24h_amount: int = 0
    holds_lapsed: int = 0
    holds_lapsed_amount: int = 0


HOLD_FIELDS = tuple(f.name for f in fields(Holds) if f.name != "currency")


@dataclass(frozen=True, slots=True)
class HoldComparison:
    """A currency's holds, and those that lapsed in the previous period (what is held is
    as of now: the previous period has only its lapsed figures)."""

    current: Holds
    previous: Holds

    def change(self, name: str) -> Change:
        return Change(getattr(self.current, name), getattr(self.previous, name))


def _of_currency(currency: str | None) -> tuple[str, list[Any]]:
    if currency is None:
        return "", []
    return " AND currency = ?", [normalize_currency(currency)]


def _held(now: int, currency: str | None) -> dict[str, dict[str, int]]:
    where, params = _of_currency(currency)
    soon = f"{_CAPTURE_BY} <= ?"
    rows = execute(database, (
        f"SELECT currency, count(*), SUM({_AMOUNT}), SUM({counted(soon)}), "
        f"SUM(CASE WHEN {soon} THEN {_AMOUNT} ELSE 0 END) FROM payment "
        f"WHERE {HELD} AND status = 'requires_capture' AND {_CAPTURE_BY} >= ?{where} "
        "GROUP BY currency"
    ), [now + LAPSING_WITHIN, now + LAPSING_WITHIN, now, *params])
    return {code: {"authorized_not_captured": int(count),
                   "authorized_not_captured_amount": int(amount),
                   "authorized_lapsing_24h": int(soon_count),
                   "authorized_lapsing_24h_amount": int(soon_amount)}
            for code, count, amount, soon_count, soon_amount in rows}


def _lapsed(period: Period, now: int, currency: str | None) -> dict[str, dict[str, int]]:
    until = min(period.end, now)  # a capture-by time still to come has not lapsed yet
    if until <= period.start:
        return {}
    where, params = _of_currency(currency)
    rows = execute(database, (
        f"SELECT currency, count(*), SUM({_AMOUNT}) FROM payment WHERE {_LAPSED} "
        f"AND {_CAPTURE_BY} >= ? AND {_CAPTURE_BY} < ?{where} GROUP BY currency"
    ), [period.start, until, *params])
    return {code: {"holds_lapsed": int(count), "holds_lapsed_amount": int(amount)}
            for code, count, amount in rows}


def holds(period: Period, now: float, currency: str | None = None) -> dict[str, Holds]:
    """Per currency (only `currency` when given): held at `now`, and lapsed in the period
    by `now`."""
    at = int(now)
    held, lapsed = _held(at, currency), _lapsed(period, at, currency)
    return {code: Holds(code, **held.get(code, {}), **lapsed.get(code, {}))
            for code in sorted(held.keys() | lapsed.keys())}


def compare_holds(period: Period, now: float, currency: str | None = None
                  ) -> dict[str, HoldComparison]:
    """`holds` for the period, and what lapsed in the previous one of equal length."""
    current = holds(period, now, currency)
    previous = _lapsed(period.previous(), int(now), currency)
    return {code: HoldComparison(current.get(code, Holds(code)),
                                 Holds(code, **previous.get(code, {})))
            for code in sorted(current.keys() | previous.keys())}
