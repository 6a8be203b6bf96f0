"""The Analytics pane: figure tiles per currency against the previous period, daily
charts and breakdowns, for a period of whole UTC days.

The figures come from one `ledger.analytics.overview` call in a worker, read in the
pane's own reader thread (SQL aggregates, but still too slow for the UI thread on a big
ledger, and a custom period scans its rows); the widgets are then updated in place. The
pane only recomputes while it is on screen: a sync tick while it is hidden marks it stale,
and showing it again recomputes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select
from textual.worker import Worker, WorkerState

from console.commands import ANALYTICS, bindings
from console.ledger_reader import LedgerReader
from console.panes.base import LedgerPane
from console.widgets.tiles import THRESHOLDS_TEXT, TileBoard, standing_text, worst_standing
from ledger.analytics import DAY_BOUNDARY, Comparison, Overview, Period, Standing, overview
from ledger.analytics_holds import HoldComparison, compare_holds
from ledger.fees import Balance, describe_balance, load_balance
from ledger.money import format_amount

if TYPE_CHECKING:
    from console.widgets.charts import AnalyticsCharts

# choice -> (label, days); "custom" takes its days from the two date inputs.
PERIODS: dict[str, tuple[str, int]] = {
    "today": ("Today", 1),
    "7": ("7 days", 7),
    "30": ("30 days", 30),
    "90": ("90 days", 90),
    "custom": ("Custom range", 0),
}
DEFAULT_PERIOD = "30"
ALL = "all"  # the currency choice showing every currency, each on its own
WORKER_GROUP = "analytics"


@dataclass(frozen=True)
class Computed:
    overview: Overview
    balance: Balance | None  # as Stripe last said it
    holds: dict[str, HoldComparison]


def compute(period: Period, currency: str | None, now: float) -> Computed:
    """Runs in the pane's reader thread (console.ledger_reader), on its connection."""
    return Computed(overview(period, currency), load_balance(),
                    compare_holds(period, now, currency))


def describe_holds(held: dict[str, HoldComparison]) -> str:
    """A line per currency: 'Holds USD: 2, 95.00 USD authorized, not captured; 1, 40.00 USD
    lapsing within 24 h · lapsed in the period: 1, 10.00 USD (the period before: 0, 0.00
    USD)'."""
    if not held:
        return "Holds: none authorized and not captured, none lapsed in the period"
    return "\n".join(_hold_line(each) for each in held.values())


def _hold_line(held: HoldComparison) -> str:
    now, before, code = held.current, held.previous, held.current.currency

    def counted(count: int, amount: int) -> str:
        return f"{count:,}, {format_amount(amount, code)}"

    return (f"Holds {code.upper()}: "
            f"{counted(now.authorized_not_captured, now.authorized_not_captured_amount)} "
            "authorized, not captured; "
            f"{counted(now.authorized_lapsing_24h, now.authorized_lapsing_24h_amount)} "
            "lapsing within 24 h · lapsed in the period: "
            f"{counted(now.holds_lapsed, now.holds_lapsed_amount)} (the period before: "
            f"{counted(before.holds_lapsed, before.holds_lapsed_amount)})")


def day_range(period: Period) -> str:
    first, last = period.dates()[0], period.dates()[-1]
    return first.isoformat() if first == last else f"{first.isoformat()} → {last.isoformat()}"


def parse_day(text: str, which: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"custom range: {which} {text.strip()!r} is not a date "
                         "(use 2026-11-01)") from None


class AnalyticsPane(LedgerPane):
    BINDINGS: ClassVar[list[BindingType]] = bindings(ANALYTICS)

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.choice = DEFAULT_PERIOD
        self.custom: Period | None = None
        self.currency: str | None = None
        self.currencies: list[str] = []  # every currency seen, for the selector
        self.figures: Overview | None = None
        self.charts: AnalyticsCharts | None = None  # mounted on first show
        self.stale = True
        self.reader = LedgerReader("analytics")

    def compose(self) -> ComposeResult:
        with Horizontal(id="analytics-controls"):
            yield Label("Period", classes="control-label")
            periods = [(label, choice) for choice, (label, _) in PERIODS.items()]
            yield Select(periods, value=self.choice, allow_blank=False, compact=True,
                         id="analytics-period")
            yield Input(placeholder="from 2026-11-01", compact=True, id="analytics-from",
                        classes="range-input")
            yield Input(placeholder="to 2026-11-30", compact=True, id="analytics-to",
                        classes="range-input")
            yield Label("Currency", classes="control-label")
            yield Select([("All currencies", ALL)], value=ALL, allow_blank=False, compact=True,
                         id="analytics-currency")
            yield Label("", id="analytics-status")
        with VerticalScroll(id="analytics-body"):
            yield TileBoard(id="analytics-tiles")
            yield Label("", id="analytics-balance")
            yield Label("", id="analytics-holds")
            yield Label("", id="analytics-legend")

    # -- what the app calls ---------------------------------------------------------

    def reload(self) -> None:
        if self.is_on_screen:
            self.refresh_figures()
        else:
            self.stale = True

    def focus_content(self) -> None:
        self.query_one("#analytics-body").focus()

    def on_show(self) -> None:
        if self.charts is None:
            self._mount_charts()
        if self.stale:
            self.refresh_figures()

    def _mount_charts(self) -> None:
        # Imported on first show: plotext and DataTable stay out of the console's start-up.
        from console.widgets.charts import AnalyticsCharts

        self.charts = AnalyticsCharts(id="analytics-charts-panel")
        self.query_one("#analytics-body").mount(self.charts)
        if self.figures is not None:
            self.charts.show(self.figures, self.currency)

    # -- computing ------------------------------------------------------------------

    def period(self) -> Period:
        if self.choice == "custom" and self.custom is not None:
            return self.custom
        # Custom before its dates are given: the default period meanwhile.
        days = PERIODS[self.choice][1] or PERIODS[DEFAULT_PERIOD][1]
        return Period.last_days(days, int(self.clock()))

    def refresh_figures(self) -> None:
        """Recompute in a worker; a newer request cancels an older one still running."""
        self.stale = False
        self.run_worker(self.reader.read(compute, self.period(), self.currency, self.clock()),
                        exclusive=True, group=WORKER_GROUP, exit_on_error=False,
                        description="analytics overview")

    def on_unmount(self) -> None:
        self.reader.close()

    @on(Worker.StateChanged)
    def _computed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != WORKER_GROUP:
            return
        computed = event.worker.result
        if event.state is WorkerState.SUCCESS and isinstance(computed, Computed):
            self.show(computed.overview)
            self.query_one("#analytics-balance", Label).update(
                "Balance: " + describe_balance(computed.balance, self.currency))
            holds = self.query_one("#analytics-holds", Label)
            holds.update(describe_holds(computed.holds))
            holds.set_class(any(c.current.authorized_lapsing_24h for c in computed.holds.values()),
                            "-near")
        elif event.state is WorkerState.ERROR:
            self._status(f"figures unavailable: {event.worker.error}", error=True)

    # -- showing --------------------------------------------------------------------

    def show(self, figures: Overview) -> None:
        self.figures = figures
        comparison = figures.comparison
        self._remember_currencies(comparison)
        self.query_one(TileBoard).show(comparison)
        self._show_legend(figures)
        if self.charts is not None:
            self.charts.show(figures, self.currency)
        updated = datetime.fromtimestamp(self.clock(), UTC).strftime("%H:%M:%S")
        self._status(f"days in {DAY_BOUNDARY}: {day_range(figures.period)} · vs "
                     f"{day_range(figures.period.previous())} · updated {updated} UTC")

    def _show_legend(self, figures: Overview) -> None:
        rates = {code: c.current.dispute_rate for code, c in figures.comparison.items()}
        flagged = [text for code, rate in rates.items() if (text := standing_text(code, rate))]
        levels = {worst_standing(rate)[0] for rate in rates.values()}
        legend = self.query_one("#analytics-legend", Label)
        legend.update(
            "Changes against the previous period of equal length · dispute rate vs the card "
            f"networks' monitoring thresholds: {THRESHOLDS_TEXT}"
            + (f" · {'; '.join(flagged)}" if flagged else "")
        )
        legend.set_class(Standing.OVER in levels, "-over")
        legend.set_class(Standing.NEAR in levels and Standing.OVER not in levels, "-near")

    def _remember_currencies(self, comparison: dict[str, Comparison]) -> None:
        seen = sorted(set(self.currencies) | set(comparison))
        if seen == self.currencies:
            return
        self.currencies = seen
        select: Select[str] = self.query_one("#analytics-currency", Select)
        with select.prevent(Select.Changed):
            select.set_options([("All currencies", ALL), *((c.upper(), c) for c in seen)])
            select.value = self.currency or ALL

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#analytics-status", Label)
        status.update(text)
        status.set_class(error, "-error")

    # -- choosing -------------------------------------------------------------------

    def choose_period(self, choice: str) -> None:
        self.choice = choice
        select: Select[str] = self.query_one("#analytics-period", Select)
        if select.value != choice:
            with select.prevent(Select.Changed):
                select.value = choice
        custom = choice == "custom"
        self.query_one("#analytics-controls").set_class(custom, "-custom")
        if not custom or self.custom is not None:
            self.refresh_figures()
        if not custom:
            return
        start = self.query_one("#analytics-from", Input)
        if not start.value:
            shown = self.figures.period if self.figures else self.period()
            start.value = shown.dates()[0].isoformat()
            self.query_one("#analytics-to", Input).value = shown.dates()[-1].isoformat()
        start.focus()

    def choose_currency(self, currency: str | None) -> None:
        self.currency = currency
        select: Select[str] = self.query_one("#analytics-currency", Select)
        if select.value != (currency or ALL):
            with select.prevent(Select.Changed):
                select.value = currency or ALL
        self.refresh_figures()

    def action_period(self, choice: str) -> None:
        self.choose_period(choice)

    def action_next_currency(self) -> None:
        choices: list[str | None] = [None, *self.currencies]
        self.choose_currency(choices[(choices.index(self.currency) + 1) % len(choices)])

    @on(Select.Changed, "#analytics-period")
    def _period_chosen(self, event: Select.Changed) -> None:
        if event.value != self.choice:
            self.choose_period(str(event.value))

    @on(Select.Changed, "#analytics-currency")
    def _currency_chosen(self, event: Select.Changed) -> None:
        currency = None if event.value == ALL else str(event.value)
        if currency != self.currency:
            self.choose_currency(currency)

    @on(Input.Submitted, ".range-input")
    def _range_submitted(self) -> None:
        try:
            first = parse_day(self.query_one("#analytics-from", Input).value, "from")
            last = parse_day(self.query_one("#analytics-to", Input).value, "to")
            if last < first:
                raise ValueError(f"custom range: {last} is before {first}")
        except ValueError as exc:
            self._status(str(exc), error=True)  # the figures shown stay as they were
            return
        self.custom = Period.days(first, last)
        self.refresh_figures()
        self.focus_content()

