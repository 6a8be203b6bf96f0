"""Per-day rollups for ledger.analytics: of a period's rows, or of their stored totals.

A `Source` names a table's measures. `rollup` gets them grouped by (day, currency, key)
either from the table itself, one scan of the period over its day-leading covering index,
or, for a period of whole UTC days, from the per-day totals ledger/daily_totals.py keeps
(`daily_total`), whose cost does not grow with the rows of a day; then it sums those few
groups again in SQL for each grouping asked for. Both give the same answers.
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
    """A table's measures: SQL expressions summed per group, named like the figures they
    make (and like the `daily_total` columns that store them), over the rows `where` holds.
    `kind` names its rows in `daily_total`, grouped by the `key` expression ('' for NULL)."""

    table: str
    measures: dict[str, str]
    where: str = "1 = 1"
    kind: str = ""
    key: str | None = None


# Groupings of the per-day rows: columns "day", "currency" and "k0" for the key.
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
    return _of_currency(sql, params, dialect_of(database).unindexed("currency"), currency)


def _of_currency(sql: str, params: list[Any], column: str, currency: str | None
                 ) -> tuple[str, list[Any]]:
    if currency is None:
        return sql, params
    return f"{sql} AND {column} = ?", [*params, normalize_currency(currency)]


def whole_days(period: Span) -> bool:
    """Whether the period starts and ends at UTC midnights (the stored totals' grain)."""
    return period.start % DAY == 0 and period.end % DAY == 0


def _stored_window(source: Source, period: Span, currency: str | None
                   ) -> tuple[str, list[Any]]:
    return _of_currency("kind = ? AND day BETWEEN ? AND ?",
                        [source.kind, period.start // DAY, period.end // DAY - 1],
                        "currency", currency)


def _stored(source: Source, period: Span, keyed: bool) -> bool:
    return bool(source.kind) and whole_days(period) and (not keyed or source.key is not None)


def _scan(source: Source, period: Span, currency: str | None, keyed: bool
          ) -> tuple[str, list[Any]]:
    """(day, currency[, k0], *measures) per group: SQL and its parameters."""
    names = list(source.measures)
    if _stored(source, period, keyed):
        where, params = _stored_window(source, period, currency)
        label = ["NULLIF(label, '') AS k0"] if keyed else []
        return (f"SELECT day, currency, {', '.join([*label, *(f'SUM({n}) AS {n}' for n in names)])}"
                f" FROM daily_total WHERE {where} GROUP BY day, currency"
                f"{', label' if keyed else ''} HAVING SUM(row_count) > 0"), params
    where, params = window(period, currency)
    key = [f"{source.key} AS k0"] if keyed else []
    selected = ", ".join(["created / 86400 AS day", "currency", *key,
                          *(f"SUM({expr}) AS {name}" for name, expr in source.measures.items())])
    return (f"SELECT {selected} FROM {source.table} WHERE {where} AND ({source.where})"
            f" GROUP BY day, currency{', k0' if keyed else ''}"), params


def rollup(
    source: Source,
    period: Span,
    currency: str | None,
    groupings: Sequence[tuple[str, ...]],
    keyed: bool = False,
) -> list[list[Row]]:
    """The source's groups by (day, currency[, its key]), then those few groups summed
    again in SQL by each grouping. Returns, per grouping, rows of (*grouping columns,
    *measures)."""
    scan, params = _scan(source, period, currency, keyed)
    columns = ("day", "currency", *(("k0",) if keyed else ()))
    sums = ", ".join(f"SUM({name})" for name in source.measures)
    branches = [
        f"SELECT {n}, {', '.join(c if c in grouping else 'NULL' for c in columns)}, {sums}"
        f" FROM scan GROUP BY {', '.join(grouping)}"
        for n, grouping in enumerate(groupings)
    ]
    sql = f"WITH scan AS MATERIALIZED ({scan}) " + " UNION ALL ".join(branches)
    results: list[list[Row]] = [[] for _ in groupings]
    kept = [[i + 1 for i, column in enumerate(columns) if column in grouping]
            for grouping in groupings]
    first_measure = len(columns) + 1
    for row in execute(database, sql, params).fetchall():
        which = row[0]
        results[which].append((*(row[i] for i in kept[which]),
                               *map(int, row[first_measure:])))
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


def tally(source: Source, period: Span, currency: str | None, limit: int | None
          ) -> list[tuple[Any, int, int]]:
    """The source's rows counted by its key, most first: (key, count, count of all)."""
    # The window sum runs over every group before LIMIT keeps the top ones.
    if _stored(source, period, keyed=True):
        where, params = _stored_window(source, period, currency)
        sql = ("SELECT NULLIF(label, '') AS k, SUM(row_count) AS n, SUM(SUM(row_count)) "
               f"OVER () FROM daily_total WHERE {where} GROUP BY label "
               "HAVING SUM(row_count) > 0 ORDER BY n DESC, k")
    else:
        where, params = window(period, currency)
        sql = (f"SELECT {source.key} AS k, COUNT(*) AS n, SUM(COUNT(*)) OVER () "
               f"FROM {source.table} WHERE {where} AND ({source.where}) "
               "GROUP BY k ORDER BY n DESC, k")
    if limit is not None:
        sql, params = sql + " LIMIT ?", [*params, limit]
    return [(k, int(n), int(total)) for k, n, total in execute(database, sql, params)]
