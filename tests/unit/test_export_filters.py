"""`payconsole export` filters: --since --until --status --currency --customer, streaming."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tracemalloc
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from console.cli import main
from ledger.db import open_ledger
from ledger.export import export, iter_rows
from ledger.filters import FilterError, PaymentFilter, filter_from_options


def exported(cli: list[str], capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["export", *args, *cli]) == 0
    return [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["payments", "--since", "2026-11-30"], ["pi_u7", "pi_u6"]),
        (["payments", "--since", "2026-11-30", "--until", "2026-11-30"], ["pi_u6"]),
        (["payments", "--until", "2026-11-01T00:00:00Z"], ["pi_u8"]),
        (["payments", "--status", "canceled", "--status", "requires_action"],
         ["pi_u9", "pi_u5", "pi_u4"]),
        (["payments", "--status", "canceled,requires_action", "--currency", "USD",
          "--since", "2026-11-05"], ["pi_u9", "pi_u5"]),
        (["payments", "--customer", "cus_ada"], ["pi_u3", "pi_u1"]),
        (["payments", "--currency", "kwd"], ["pi_k1"]),
        (["refunds", "--currency", "usd", "--status", "failed"], ["re_u3"]),
        (["disputes", "--status", "lost"], ["dp_k1", "dp_u1"]),
        (["disputes", "--since", "2026-11-20"], ["dp_j1"]),
    ],
)
def test_export_filters_select_rows(
    cli: list[str], capsys: pytest.CaptureFixture[str], args: list[str], expected: list[str]
) -> None:
    assert exported(cli, capsys, *args) == expected


def test_csv_export_is_filtered_too(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "jpy.csv"
    assert main(["export", "payments", "--format", "csv", "--currency", "jpy",
                 "--output", str(out), *cli]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["pi_j3", "pi_j2", "pi_j1"]
    assert "wrote 3 payments" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["customers", "--status", "succeeded"], "customer rows cannot be filtered by status"),
        (["events", "--currency", "usd"], "event rows cannot be filtered by currency"),
        (["audit", "--since", "2026-11-01"], "audit_entry rows cannot be filtered"),
        (["payments", "--since", "last week"], "not a date"),
        (["payments", "--status", "paid"], "unknown paid"),
        (["payments", "--since", "2026-12-01", "--until", "2026-11-01"], "range is empty"),
    ],
)
def test_bad_filters_exit_2_and_write_nothing(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["export", *args, "--output", str(out), *cli]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_filter_from_options_and_export_in_process(fixed_ledger: SqliteDatabase) -> None:
    chosen = filter_from_options(customer="cus_ada", status="succeeded")
    out = io.StringIO()
    assert export("payments", "jsonl", out, chosen) == 1
    assert json.loads(out.getvalue())["id"] == "pi_u1"
    assert export("customers", "jsonl", io.StringIO(), PaymentFilter(customer="cus_x")) == 0
    with pytest.raises(FilterError):
        iter_rows("events", PaymentFilter(last4="4242"))  # refused before any row


class _Discard(io.TextIOBase):
    """A sink that keeps nothing, so only the exporter's own memory is measured."""

    lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)


def test_filtered_export_streams_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    db = open_ledger(path)
    rows = [(f"pi_{n:06d}", 1_700_000_000 + n, 100 + n, "usd" if n % 2 else "eur", "succeeded",
             "x" * 200) for n in range(40_000)]
    with sqlite3.connect(path) as raw:
        raw.executemany("INSERT INTO payment (id, created, amount, currency, status, description)"
                        " VALUES (?,?,?,?,?,?)", rows)
    raw.close()
    sink = _Discard()
    tracemalloc.start()
    try:
        count = export("payments", "csv", sink, PaymentFilter(currency="usd"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        db.close()
    assert count == 20_000 and sink.lines == 20_001
    assert peak < 2_000_000  # the 20,000 rows selected are about 8 MB as text
