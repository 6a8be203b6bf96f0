"""Analytics charts: daily lines (textual-plotext) and small breakdown tables, and the
panel of them the Analytics pane mounts on first show (this module is imported only then).

Each widget is drawn again in place from new figures (`show`), never remounted, and only
when they changed. The line charts plot integer minor units and label the money axis
through `format_amount`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from ledger.analytics import Comparison, Day, Overview, Tally
from ledger.labels import percent
from ledger.money import format_amount

MAX_DATE_TICKS = 6
BAR_WIDTH = 10


def date_ticks(days: Sequence[Day]) -> tuple[list[float], list[str]]:
    """At most MAX_DATE_TICKS evenly spread days, always the first and the last."""
    if not days:
        return [], []
    step = max(1, math.ceil((len(days) - 1) / (MAX_DATE_TICKS - 1)))
    # Floats to plotext (its xticks takes list[float]); whole days all the same.
    positions: list[float] = sorted({*range(0, len(days), step), len(days) - 1})
    if len(positions) > 1 and positions[-1] - positions[-2] < step / 2:
        del positions[-2]  # keep the last day's label clear of its neighbour's
    return positions, [days[int(i)].date.strftime("%m-%d") for i in positions]


def nice_ticks(top: int) -> list[int]:
    """0 up to at least `top` in 2 to 5 round steps (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return [0]
    power = 10 ** max(0, len(str(top)) - 2)
    step = next(m * power for m in (1, 2, 5, 10, 20, 50, 100) if top / (m * power) <= 4)
    return list(range(0, math.ceil(top / step) * step + 1, step))


class DailyVolumeChart(PlotextPlot):
    """Gross volume and refunds per UTC day of one currency."""

    currency: str | None = None  # the currency charted
    shown: object = None  # what is drawn, so the same figures are not drawn again

    def show(self, days: Sequence[Day], currency: str | None, title: str) -> None:
        if self.shown == (days, currency, title):
            return
        self.shown, self.currency = (days, currency, title), currency
        plt = self.plt
        plt.clear_figure()
        plt.title(title)
        if days and currency is not None:
            xs = list(range(len(days)))
            plt.plot(xs, [day.gross for day in days], label="gross", marker="braille")
            plt.plot(xs, [day.refunded for day in days], label="refunds", marker="braille",
                     color="red")
            plt.xticks(*date_ticks(days))
            ticks = nice_ticks(max(max(day.gross, day.refunded) for day in days))
            plt.yticks([float(tick) for tick in ticks],
                       [format_amount(tick, currency) for tick in ticks])
            plt.ylim(0, ticks[-1] or 1)
        self.refresh()


class SuccessRateChart(PlotextPlot):
    """Succeeded ÷ attempted per UTC day, in percent; days without attempts are skipped."""

    shown: object = None

    def show(self, days: Sequence[Day], title: str) -> None:
        if self.shown == (days, title):
            return
        self.shown = (days, title)
        plt = self.plt
        plt.clear_figure()
        plt.title(title)
        points = [(i, day.success_rate) for i, day in enumerate(days)]
        measured = [(i, rate * 100) for i, rate in points if rate is not None]
        if measured:
            plt.plot(*zip(*measured, strict=True), marker="braille", color="green")
        if days:
            plt.xticks(*date_ticks(days))
            plt.xlim(0, max(1, len(days) - 1))
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        self.refresh()


def share_bar(share: float) -> str:
    filled = round(share * BAR_WIDTH)
    return "█" * filled + "·" * (BAR_WIDTH - filled)


Cell = str | Text


def right(value: str) -> Text:
    return Text(value, justify="right")


class BreakdownTable(DataTable[Cell]):
    """A few rows of a breakdown (decline codes, card brands, dispute reasons)."""

    def __init__(self, columns: Sequence[str], *, empty: str, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=True)
        self.headings = tuple(columns)
        self.add_columns(*self.headings)
        self.empty = empty
        self.shown: Sequence[Sequence[Cell]] | None = None

    def show(self, rows: Sequence[Sequence[Cell]]) -> None:
        if rows == self.shown:
            return
        self.shown = rows
        self.clear()
        if rows:
            self.add_rows(rows)
        else:
            self.add_row(Text(self.empty, style="dim"),
                         *([""] * (len(self.headings) - 1)))


# -- the panel of the Analytics pane --------------------------------------------------


def lead_currency(comparison: dict[str, Comparison]) -> str | None:
    """The currency charted when every currency is shown: the most successful payments."""
    if not comparison:
        return None
    return min(comparison, key=lambda code: (-comparison[code].current.payments_succeeded, code))


def all_currencies_days(daily: dict[str, list[Day]]) -> list[Day]:
    """Payment counts per day summed over currencies (counts add up; amounts never do)."""
    return [
        Day(group[0].date,
            payments_succeeded=sum(d.payments_succeeded for d in group),
            payments_attempted=sum(d.payments_attempted for d in group))
        for group in zip(*daily.values(), strict=True)
    ]


def tally_rows(tallies: list[Tally]) -> list[tuple[Cell, ...]]:
    return [(t.key or "unknown", right(f"{t.count:,}"), right(percent(t.share)),
             share_bar(t.share)) for t in tallies]


def brand_rows(figures: Overview) -> list[tuple[Cell, ...]]:
    """Volume per card brand, each currency on its own (shares are of that currency)."""
    rows: list[tuple[Cell, ...]] = []
    for code, brands in figures.card_brands.items():
        total = sum(b.gross for b in brands)
        for b in brands:
            share = b.gross / total if total else 0.0
            rows.append((b.brand or "unknown", code.upper(), right(f"{b.payments:,}"),
                         right(format_amount(b.gross, code)), right(percent(share))))
    return rows


class AnalyticsCharts(Vertical):
    """The daily charts and the breakdown tables. Its widgets exist from construction, so
    `show` works before the panel is mounted."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.volume = DailyVolumeChart(id="analytics-volume")
        self.success = SuccessRateChart(id="analytics-success")
        self.tables = {
            "declines": BreakdownTable(("Decline code", "Count", "Share", ""),
                                       empty="no declines", id="analytics-declines"),
            "brands": BreakdownTable(("Card brand", "Cur", "Count", "Volume", "Share"),
                                     empty="no successful payments", id="analytics-brands"),
            "reasons": BreakdownTable(("Dispute reason", "Count", "Share", ""),
                                      empty="no disputes", id="analytics-reasons"),
        }

    def compose(self) -> ComposeResult:
        with Horizontal(id="analytics-charts"):
            yield self.volume
            yield self.success
        with Horizontal(id="analytics-breakdowns"):
            yield from self.tables.values()

    def show(self, figures: Overview, currency: str | None) -> None:
        """`currency`: the one chosen, or None for every currency."""
        every_day = [Day(d) for d in figures.period.dates()]
        chart = currency or lead_currency(figures.comparison)
        days = figures.daily.get(chart, []) if chart else []
        scope = "" if currency else " (most payments; c: another currency)"
        self.volume.show(days or every_day, chart, f"Daily gross and refunds · "
                         f"{chart.upper() if chart else 'no payments'}{scope}")
        counted = days if currency else all_currencies_days(figures.daily)
        which = currency.upper() if currency else "all currencies"
        self.success.show(counted or every_day, f"Success rate per day · {which}")
        for name, rows in (("declines", tally_rows(figures.decline_codes)),
                           ("brands", brand_rows(figures)),
                           ("reasons", tally_rows(figures.dispute_reasons))):
            self.tables[name].show(rows)
