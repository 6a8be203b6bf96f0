"""What every benchmark reports: a figure, the baseline it is measured against in the same
run, and its target as a ratio (issue 16: absolute targets do not hold from one machine
to the next; the absolute value is printed for information only).

A script prints each figure as one `RESULT {json}` line (`Figure.line`); `bench/run.py`
reads them back (`Figure.parse`) from every script into one table.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Rule = Literal["ratio<=", "ratio>=", "over<=", "info"]
PREFIX = "RESULT "
FRAME_MS = 16.0  # one frame at 60 Hz: the most a key's work may take on the UI thread


@dataclass(frozen=True)
class Figure:
    """`value` (in `unit`) against `baseline` (the same unit, measured in the same run):
    `ratio<=` / `ratio>=` bound value / baseline by `limit`, `over<=` bounds
    value - baseline (memory over a bare interpreter); `info` has no target. `at_most`
    is an absolute ceiling on top of the ratio (a frame's 16 ms), none when None."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    rule: Rule = "info"
    limit: float = 0.0
    at_most: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def passed(self) -> bool | None:
        """Whether the target is met; None for a figure without one."""
        if self.rule == "info":
            return None
        met = {"ratio<=": lambda: (self.ratio or 0.0) <= self.limit,
               "ratio>=": lambda: (self.ratio or 0.0) >= self.limit,
               "over<=": lambda: self.value - (self.baseline or 0.0) <= self.limit}[self.rule]()
        return met and (self.at_most is None or self.value <= self.at_most)

    def target(self) -> str:
        bound = {"ratio<=": f"<= {self.limit:g} x", "ratio>=": f">= {self.limit:g} x",
                 "over<=": f"<= +{self.limit:g} {self.unit}", "info": "(information)"}
        ceiling = "" if self.at_most is None else f", <= {self.at_most:g} {self.unit}"
        return bound[self.rule] + ceiling

    def cells(self) -> list[str]:
        """figure, baseline, ratio, target, result, absolute value: one row of the table."""
        baseline = ("" if self.baseline is None
                    else f"{self.baseline_name} {_amount(self.baseline, self.unit)}".strip())
        if self.rule == "over<=":
            ratio = f"+{self.value - (self.baseline or 0.0):.0f} {self.unit}"
        else:
            ratio = "" if self.ratio is None else f"{self.ratio:.2f} x"
        result = {None: "-", True: "pass", False: "FAIL"}[self.passed]
        return [self.name, baseline, ratio, self.target(), result,
                _amount(self.value, self.unit)]

    def line(self) -> str:
        return PREFIX + json.dumps(asdict(self))

    @classmethod
    def parse(cls, line: str) -> Figure | None:
        """The figure a `RESULT` line carries; None for any other line."""
        if not line.startswith(PREFIX):
            return None
        return cls(**json.loads(line.removeprefix(PREFIX)))


COLUMNS = ["figure", "baseline (same run)", "ratio", "target", "result", "absolute"]


def _amount(value: float, unit: str) -> str:
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}"


def table(figures: Iterable[Figure]) -> str:
    rows = [COLUMNS, *(figure.cells() for figure in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                     .rstrip() for row in rows)


def report(figures: Iterable[Figure]) -> int:
    """Print each figure's RESULT line: the exit code, 1 when a target was missed."""
    missed = 0
    for figure in figures:
        print(figure.line(), flush=True)
        missed += figure.passed is False
    return 1 if missed else 0


def interleaved(runs: int, measures: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Each measure's median over `runs` runs, taken in turn, so that a burst of load on a
    shared machine falls on a figure and its baseline alike."""
    taken: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            taken[name].append(measure())
    return {name: statistics.median(values) for name, values in taken.items()}
