"""Figure tiles: one row per currency, each tile a figure in the period and its change
against the previous period of equal length. Amounts are only ever shown per currency.

Rows and tiles are created once and updated in place (no remount, so no flicker); a row is
mounted or removed only when a currency appears in or leaves the figures. A tile renders
its three lines itself: one widget instead of four keeps the pane's layout cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label

from ledger.analytics import (
    DISPUTE_THRESHOLDS,
    NEAR_THRESHOLD,
    Change,
    Comparison,
    Standing,
    Threshold,
    dispute_standing,
)
from ledger.labels import percent
from ledger.money import format_amount

Kind = Literal["money", "count", "rate"]
Trend = Literal["good", "bad", "flat"]


@dataclass(frozen=True)
class TileSpec:
    figure: str  # a Figures field or property
    label: str
    kind: Kind
    higher_is_better: bool
    help: str
    places: int = 1  # decimals of a rate, in percent


VOLUME_TILES: tuple[TileSpec, ...] = (
    TileSpec("gross", "Gross volume", "money", True,
             "What succeeded payments captured in the period."),
    TileSpec("refunded", "Refunds", "money", False,
             "Refunds created in the period (failed and canceled ones left out)."),
    TileSpec("net", "Net volume", "money", True,
             "Gross - refunds - the amount of disputes opened in the period and lost."),
    TileSpec("payments_succeeded", "Payments", "count", True, "Successful payments."),
    TileSpec("success_rate", "Success rate", "rate", True,
             "Succeeded ÷ attempted (succeeded + failed); payments still in progress "
             "are not attempts yet."),
    TileSpec("average_payment", "Average", "money", True, "Gross ÷ successful payments."),
    TileSpec("refund_rate", "Refund rate", "rate", False, "Refunded ÷ gross, a share of volume."),
    TileSpec("dispute_rate", "Dispute rate", "rate", False,
             "Disputes opened ÷ successful payments.", places=2),
)
# A second line per currency: what Stripe kept, from the balance transactions.
FEE_TILES: tuple[TileSpec, ...] = (
    TileSpec("fees", "Fees", "money", False,
             "Stripe's processing fees on the period's charges."),
    TileSpec("dispute_withdrawn", "Disputes out", "money", False,
             "Dispute amounts and dispute fees taken from the balance in the period, less "
             "what won disputes reinstated."),
    TileSpec("net_after_fees", "Net after fees", "money", True,
             "Gross - refunds - fees - disputes withdrawn: what the period kept."),
)
TILE_LINES = (VOLUME_TILES, FEE_TILES)
TILES = VOLUME_TILES + FEE_TILES

THRESHOLDS_TEXT = ", ".join(f"{t.network} {t.rate * 100:g}%" for t in DISPUTE_THRESHOLDS)
DISPUTE_HELP = (
    f"Card-network monitoring thresholds: {THRESHOLDS_TEXT}. The tile turns yellow near "
    f"one (from {NEAR_THRESHOLD:.0%} of it) and red at or over it."
)


def show_value(spec: TileSpec, value: int | float | None, currency: str) -> str:
    if value is None:
        return "n/a"
    if spec.kind == "money":
        return format_amount(int(value), currency)
    if spec.kind == "count":
        return f"{int(value):,}"
    return percent(float(value), spec.places)


def show_change(spec: TileSpec, change: Change) -> tuple[str, Trend]:
    """The change as text, and whether it is good news: amounts and counts relative to the
    previous period, rates in percentage points."""
    current, previous = change.current, change.previous
    if current is None:
        return "", "flat"
    if previous is None or (spec.kind != "rate" and previous == 0):
        return ("new" if current else ""), "flat"
    delta = current - previous
    trend: Trend = "flat" if delta == 0 else (
        "good" if (delta > 0) == spec.higher_is_better else "bad")
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    if spec.kind == "rate":
        return f"{arrow} {delta * 100:+.{spec.places}f} pp", trend
    return f"{arrow} {delta / abs(previous) * 100:+.1f}%", trend


def worst_standing(rate: float | None) -> tuple[Standing, Threshold | None]:
    """The highest threshold the rate is over, else the lowest it is near."""
    standings = [(dispute_standing(rate, t), t) for t in DISPUTE_THRESHOLDS]
    over = [t for s, t in standings if s is Standing.OVER]
    if over:
        return Standing.OVER, max(over, key=lambda t: t.rate)
    near = [t for s, t in standings if s is Standing.NEAR]
    if near:
        return Standing.NEAR, min(near, key=lambda t: t.rate)
    return Standing.OK, None


def standing_text(code: str, rate: float | None) -> str | None:
    """'USD 1.20% over Visa 0.9%', or None when clear of every threshold."""
    standing, threshold = worst_standing(rate)
    if threshold is None:
        return None
    return (f"{code.upper()} {percent(rate, 2)} {standing.value} "
            f"{threshold.network} {threshold.rate * 100:g}%")


class Tile(Widget):
    """A figure's name, value and change on three lines, coloured by its component
    classes (see analytics.tcss)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tile--label", "tile--value", "tile--good", "tile--bad", "tile--flat",
    }

    def __init__(self, spec: TileSpec) -> None:
        super().__init__(classes=f"tile tile-{spec.figure.replace('_', '-')}")
        self.spec = spec
        self.tooltip = spec.help + (
            f"\n{DISPUTE_HELP}" if spec.figure == "dispute_rate" else "")
        self.value = ""
        self.change = ""
        self.trend: Trend = "flat"

    def render(self) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{self.spec.label}\n", style("tile--label"))
        text.append(f"{self.value}\n", style("tile--value"))
        text.append(self.change, style(f"tile--{self.trend}"))
        return text

    def show(self, comparison: Comparison) -> None:
        code = comparison.current.currency
        current = getattr(comparison.current, self.spec.figure)
        value = show_value(self.spec, current, code)
        change, trend = show_change(self.spec, comparison.change(self.spec.figure))
        if self.spec.figure == "dispute_rate":
            standing, _ = worst_standing(current)
            self.set_class(standing is Standing.NEAR, "-near")
            self.set_class(standing is Standing.OVER, "-over")
        if (value, change, trend) != (self.value, self.change, self.trend):
            self.value, self.change, self.trend = value, change, trend
            self.refresh()  # only what changed is repainted after a sync


class TileRow(Vertical):
    """The tiles of one currency, a line of them per TILE_LINES entry."""

    def __init__(self, currency: str) -> None:
        super().__init__(classes="tile-row", id=f"tiles-{currency}")
        self.currency = currency
        self.lines = [[Tile(spec) for spec in specs] for specs in TILE_LINES]
        self.tiles = [tile for line in self.lines for tile in line]

    def compose(self) -> ComposeResult:
        for number, line in enumerate(self.lines):
            with Horizontal(classes="tile-line"):
                yield Label(self.currency.upper() if number == 0 else "",
                            classes="tile-currency")
                yield from line
                if len(line) < len(self.lines[0]):
                    yield Label("", classes="tile-filler")

    def show(self, comparison: Comparison) -> None:
        for tile in self.tiles:
            tile.show(comparison)

    def tile(self, figure: str) -> Tile:
        return next(tile for tile in self.tiles if tile.spec.figure == figure)


class TileBoard(Vertical):
    """A TileRow per currency, in currency order."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, TileRow] = {}
        self.empty = Label("No payments in this period", classes="tiles-empty")

    def compose(self) -> ComposeResult:
        yield self.empty

    def show(self, comparisons: dict[str, Comparison]) -> None:
        for code in [code for code in self.rows if code not in comparisons]:
            self.rows.pop(code).remove()
        for index, code in enumerate(sorted(comparisons)):
            row = self.rows.get(code)
            if row is None:
                row = self.rows[code] = TileRow(code)
                row.show(comparisons[code])
                # After the empty label (index 0) and the rows before this one.
                self.mount(row, after=index)
            else:
                row.show(comparisons[code])
        self.empty.display = not comparisons
