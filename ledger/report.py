"""The analytics report: text for a chat post, JSON for scripts, CSV one row per currency.

The JSON shape is stable, exactly:
    {"period": {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
     "currencies": {"usd": {"gross": 123450, "refunded": ..., "net": ...,
                            "fees": ..., "dispute_withdrawn": ..., "net_after_fees": ...,
                            "payments_succeeded": ..., "payments_attempted": ...,
                            "success_rate": 0.93, "refund_rate": ..., "dispute_rate": ...,
                            "early_fraud_warnings": 2, "efw_refunded_share": 0.5}}}
Amounts are integer minor units; rates are fractions rounded to RATE_PLACES decimals, or
null when nothing was there to divide by; `end` is exclusive.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
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
from ledger.labels import percent
from ledger.money import format_amount

REPORT_FIELDS = (
    "gross", "refunded", "net", "fees", "dispute_withdrawn", "net_after_fees",
    "payments_succeeded", "payments_attempted",
    "success_rate", "refund_rate", "dispute_rate", "early_fraud_warnings", "efw_refunded_share",
)
RATE_PLACES = 4
FORMATS = ("text", "json", "csv")


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(figures: Figures, name: str) -> int | float | None:
    value = getattr(figures, name)
    return round(value, RATE_PLACES) if isinstance(value, float) else value


def report_data(period: Period, figures: dict[str, Figures]) -> dict[str, Any]:
    """The stable JSON document."""
    return {
        "period": {"start": _iso(period.start), "end": _iso(period.end)},
        "currencies": {
            code: {name: _value(each, name) for name in REPORT_FIELDS}
            for code, each in figures.items()
        },
    }


def render_json(period: Period, figures: dict[str, Figures]) -> str:
    return json.dumps(report_data(period, figures), indent=2) + "\n"


def render_csv(period: Period, figures: dict[str, Figures]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("period_start", "period_end", "currency", *REPORT_FIELDS))
    for code, each in figures.items():
        values = ("" if (v := _value(each, n)) is None else v for n in REPORT_FIELDS)
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


def render_text(period: Period, comparisons: dict[str, Comparison]) -> str:
    days = len(period.dates())
    lines = [
        f"Payments {day_of(period.start)} to {day_of(period.end - 1)} ({days} days, UTC; "
        f"changes against the {days} days before)"
    ]
    for comparison in comparisons.values():
        lines += _currency_lines(comparison)
    if not comparisons:
        lines.append("No payments, refunds or disputes in this period.")
    return "\n".join(lines) + "\n"


_RENDERERS: dict[str, Callable[[Period, str | None], str]] = {
    "text": lambda period, currency: render_text(period, compare(period, currency)),
    "json": lambda period, currency: render_json(period, summary(period, currency)),
    "csv": lambda period, currency: render_csv(period, summary(period, currency)),
}


def report(period: Period, currency: str | None = None, fmt: str = "text") -> str:
    """The report of the ledger's figures for the period, in `fmt` (one of FORMATS)."""
    if fmt not in _RENDERERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return _RENDERERS[fmt](period, currency)
