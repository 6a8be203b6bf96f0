"""Per-day rollups over the analytics indexes (see ledger.analytics for what they feed).

A `Source` names a table's measures; `rollup` scans the table once for a span of time,
grouped by (day, currency, *keys) in index order, and sums those few groups again in SQL
for each grouping asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.dialect import dialect_of
from ledger.models import database
from ledger.money import normalize_currency
from ledger.sql import execute

DAY = 86_400


class Span(Protocol):
    """`[start, end)` in unix seconds (an analytics Period)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


@dataclass(frozen=True)
class Source:
    """A table's measures: SQL expressions summed per group, named like the figures they make."""

    table: str
    measures: dict[str, str]
    where: str = "1 = 1"


# Groupings of the per-day rows: columns "day", "currency" and "k0".. for extra keys.
TOTAL = ("currency",)
BY_DAY = ("day", "currency")
BY_KEY = ("currency", "k0")

Row = tuple[Any, ...]


def window(period: Span, currency: str | None) -> tuple[str, list[Any]]:
    """Rows created in the period (and of the currency): SQL and its parameters."""
    # The day bounds let SQLite seek the day-leading analytics indexes; the second
    # bounds make the period exact (86400 is spelled out: SQLite matches an indexed
    # expression by its form). `+currency` keeps SQLite from choosing the narrower,
    # non-covering (currency, created) index instead.
    sql = "created / 86400 BETWEEN ? AND ? AND created >= ? AND created < ?"
    params: list[Any] = [period.start // DAY, (period.end - 1) // DAY, period.start, period.end]
    if currency is not None:
        sql += f" AND {dialect_of(database).unindexed('currency')} = ?"
        params.append(normalize_currency(currency))
    return sql, params


def rollup(
    source: Source,
    period: Span,
    currency: str | None,
    groupings: Sequence[tuple[str, ...]],
    keys: tuple[str, ...] = (),
) -> list[list[Row]]:
    """One scan of the source, grouped by (day, currency, *keys) in index order, then
    those few groups summed again in SQL by each grouping. Returns, per grouping, rows of
    (*grouping columns, *measures)."""
    where, params = window(period, currency)
    columns = ("day", "currency", *(f"k{i}" for i in range(len(keys))))
    selected = ", ".join(("created / 86400 AS day", "currency",
                          *(f"{key} AS k{i}" for i, key in enumerate(keys))))
    scan = (
        f"SELECT {selected}, "
        + ", ".join(f"SUM({expr}) AS {name}" for name, expr in source.measures.items())
        + f" FROM {source.table} WHERE {where} AND ({source.where})"
        f" GROUP BY {', '.join(columns)}"
    )
    sums = ", ".join(f"SUM({name})" for name in source.measures)
    branches = [
        f"SELECT {n}, {', '.join(c if c in grouping else 'NULL' for c in columns)}, {sums}"
        f" FROM scan GROUP BY {', '.join(grouping)}"
        for n, grouping in enumerate(groupings)
    ]
    sql = f"WITH scan AS MATERIALIZED ({scan}) " + " UNION ALL ".join(branches)
    results: list[list[Row]] = [[] for _ in groupings]
    for which, *row in execute(database, sql, params):
        kept = [i for i, column in enumerate(columns) if column in groupings[which]]
        results[which].append((*(row[i] for i in kept), *row[len(columns):]))
    return results


def merge(parts: Iterable[tuple[Source, list[Row]]], width: int) -> dict[Row, dict[str, int]]:
    """Measures of several sources side by side, keyed by each row's first `width` columns."""
    merged: dict[Row, dict[str, int]] = {}
    for source, rows in parts:
        for row in rows:
            merged.setdefault(row[:width], {}).update(
                zip(source.measures, row[width:], strict=True)
            )
    return merged


def tally(table: str, key: str, condition: str, period: Span, currency: str | None,
           limit: int | None) -> list[tuple[Any, int, int]]:
    where, params = window(period, currency)
    # The window sum runs over every group before LIMIT keeps the top ones.
    sql = (
        f"SELECT {key} AS k, COUNT(*) AS n, SUM(COUNT(*)) OVER () FROM {table} "
        f"WHERE {where} AND {condition} GROUP BY k ORDER BY n DESC, k"
    )
    if limit is not None:
        sql, params = sql + " LIMIT ?", [*params, limit]
    rows = execute(database, sql, params)
    return [(k, n, total) for k, n, total in rows]
