"""The analytics report: text for a chat post, JSON for scripts, CSV one row per currency.

The JSON shape is stable, exactly:
    {"period": {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
     "currencies": {"usd": {"gross": 123450, "refunded": ..., "net": ...,
                            "fees": ..., "dispute_withdrawn": ..., "net_after_fees": ...,
                            "payments_succeeded": ..., "payments_attempted": ...,
                            "success_rate": 0.93, "refund_rate": ..., "dispute_rate": ...,
                            "early_fraud_warnings": 2, "efw_refunded_share": 0.5,
                            "authorized_not_captured": 3,
                            "authorized_not_captured_amount": ...,
                            "authorized_lapsing_24h": 1, "authorized_lapsing_24h_amount": ...,
                            "holds_lapsed": 2, "holds_lapsed_amount": ...}}}
Amounts are integer minor units; rates are fractions rounded to RATE_PLACES decimals, or
null when nothing was there to divide by; `end` is exclusive. The holds' figures are
ledger.analytics_holds's: what is authorized and not captured is as of the report's
`now`, whatever the period.
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from typing import Any

from ledger.analytics import (
    DISPUTE_THRESHOLDS,
    Change,
    Comparison,
    Figures,
    Period,
    compare,
    day_of,
    dispute_standing,
    summary,
)
from ledger.analytics_holds import HOLD_FIELDS, HoldComparison, Holds, compare_holds, holds
from ledger.labels import percent
from ledger.money import format_amount

FIGURE_FIELDS = (
    "gross", "refunded", "net", "fees", "dispute_withdrawn", "net_after_fees",
    "payments_succeeded", "payments_attempted",
    "success_rate", "refund_rate", "dispute_rate", "early_fraud_warnings", "efw_refunded_share",
)
REPORT_FIELDS = FIGURE_FIELDS + HOLD_FIELDS
RATE_PLACES = 4
FORMATS = ("text", "json", "csv")


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(figures: Figures, name: str) -> int | float | None:
    value = getattr(figures, name)
    return round(value, RATE_PLACES) if isinstance(value, float) else value


def _currencies(figures: dict[str, Figures], held: dict[str, Holds]
                ) -> list[tuple[str, Figures, Holds]]:
    """Every currency of either, with zeros where one has nothing."""
    return [(code, figures.get(code, Figures(code)), held.get(code, Holds(code)))
            for code in sorted(figures.keys() | held.keys())]


def _values(figures: Figures, held: Holds) -> list[int | float | None]:
    """A currency's REPORT_FIELDS, in order."""
    return ([_value(figures, name) for name in FIGURE_FIELDS]
            + [getattr(held, name) for name in HOLD_FIELDS])


def report_data(period: Period, figures: dict[str, Figures], held: dict[str, Holds]
                ) -> dict[str, Any]:
    """The stable JSON document."""
    return {
        "period": {"start": _iso(period.start), "end": _iso(period.end)},
        "currencies": {
            code: dict(zip(REPORT_FIELDS, _values(each, hold), strict=True))
            for code, each, hold in _currencies(figures, held)
        },
    }


def render_json(period: Period, figures: dict[str, Figures], held: dict[str, Holds]) -> str:
    return json.dumps(report_data(period, figures, held), indent=2) + "\n"


def render_csv(period: Period, figures: dict[str, Figures], held: dict[str, Holds]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("period_start", "period_end", "currency", *REPORT_FIELDS))
    for code, each, hold in _currencies(figures, held):
        values = ("" if v is None else v for v in _values(each, hold))
        writer.writerow((_iso(period.start), _iso(period.end), code, *values))
    return out.getvalue()


# -- text -------------------------------------------------------------------------------


def _relative(change: Change) -> str:
    """The change of an amount or count, as a percentage of the previous period."""
    if change.relative is not None:
        return f"{change.relative * 100:+.1f}%"
    return "new" if change.current else "-"


def _points(change: Change) -> str:
    """The change of a rate, in percentage points."""
    delta = change.delta
    return "-" if delta is None else f"{delta * 100:+.2f} pp"


def _currency_lines(comparison: Comparison) -> list[str]:
    now, code = comparison.current, comparison.current.currency
    change = comparison.change

    def money(name: str) -> str:
        return f"{format_amount(getattr(now, name), code)} ({_relative(change(name))})"

    average = now.average_payment
    standings = ", ".join(
        f"{t.network} {t.rate * 100:g}%: {dispute_standing(now.dispute_rate, t).value}"
        for t in DISPUTE_THRESHOLDS
    )
    return [
        code.upper(),
        f"  gross {money('gross')}",
        f"  refunded {money('refunded')}",
        f"  disputes lost {money('disputed_lost')}",
        f"  net {money('net')}",
        f"  fees {money('fees')}",
        f"  disputes withdrawn {money('dispute_withdrawn')}",
        f"  net after fees {money('net_after_fees')}",
        f"  payments {now.payments_succeeded:,} succeeded of {now.payments_attempted:,} attempted"
        f" ({_relative(change('payments_succeeded'))})",
        f"  success rate {percent(now.success_rate)} ({_points(change('success_rate'))})",
        f"  average payment {'n/a' if average is None else format_amount(average, code)}",
        f"  refund rate {percent(now.refund_rate)} ({_points(change('refund_rate'))})",
        f"  dispute rate {percent(now.dispute_rate, 2)} ({_points(change('dispute_rate'))};"
        f" {standings})",
        f"  early fraud warnings {now.early_fraud_warnings:,}"
        f" ({percent(now.efw_refunded_share)} refunded)",
    ]


def _hold_lines(held: HoldComparison) -> list[str]:
    now, code = held.current, held.current.currency
    change = held.change
    return [
        f"  authorized not captured {now.authorized_not_captured:,}, "
        f"{format_amount(now.authorized_not_captured_amount, code)} "
        f"({now.authorized_lapsing_24h:,} lapsing within 24 h, "
        f"{format_amount(now.authorized_lapsing_24h_amount, code)})",
        f"  holds lapsed {now.holds_lapsed:,} ({_relative(change('holds_lapsed'))}), "
        f"{format_amount(now.holds_lapsed_amount, code)} "
        f"({_relative(change('holds_lapsed_amount'))})",
    ]


def render_text(period: Period, comparisons: dict[str, Comparison],
                held: dict[str, HoldComparison]) -> str:
    days = len(period.dates())
    lines = [
        f"Payments {day_of(period.start)} to {day_of(period.end - 1)} ({days} days, UTC; "
        f"changes against the {days} days before)"
    ]
    for code in sorted(comparisons.keys() | held.keys()):
        nothing = Figures(code)
        lines += _currency_lines(comparisons.get(code, Comparison(nothing, nothing)))
        lines += _hold_lines(held.get(code, HoldComparison(Holds(code), Holds(code))))
    if not (comparisons or held):
        lines.append("No payments, refunds, disputes or holds in this period.")
    return "\n".join(lines) + "\n"


def report(period: Period, currency: str | None = None, fmt: str = "text",
           now: float | None = None) -> str:
    """The report of the ledger's figures for the period, in `fmt` (one of FORMATS); the
    holds as of `now` (default: the time now)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    at = time.time() if now is None else now
    if fmt == "text":
        return render_text(period, compare(period, currency),
                           compare_holds(period, at, currency))
    render = render_json if fmt == "json" else render_csv
    return render(period, summary(period, currency), holds(period, at, currency))
