"""The benchmarks at 10k rows, as correctness checks only (no timing assertions): the
synthetic ledger is what it says (on PostgreSQL too), the apply benchmark really applies,
and the benchmarks report every figure, the PostgreSQL ones beside SQLite's."""

from __future__ import annotations

import functools
import importlib.util
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ledger.db import open_ledger
from ledger.models import Dispute, Event, Payment

BENCH = Path(__file__).resolve().parents[2] / "bench"


@functools.cache
def bench_module(name: str) -> ModuleType:
    """bench/<name>.py, loaded once. The scripts import their neighbour `figures` as a
    script's folder on sys.path lets them; appended, it hides no package."""
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "ledger.db"
    bench_module("make_ledger").build(path, payment_count=10_000, customer_count=1_000,
                                      dispute_count=100, days=90, seed=3, now=1_795_000_000)
    return path


def test_synthetic_ledger_has_what_was_asked(small_ledger: Path) -> None:
    db = open_ledger(small_ledger)
    assert Payment.select().count() == 10_000
    assert Dispute.select().count() == 100
    assert Payment.select().where(Payment.disputed).count() == 100
    assert {p.currency for p in Payment.select(Payment.currency).distinct()} >= {"usd", "jpy"}
    db.close()


def test_apply_benchmark_applies_every_event(tmp_path: Path) -> None:
    apply_bench = bench_module("apply")
    apply_bench.run_real(apply_bench.pages(2_000), tmp_path / "real.db")
    db = open_ledger(tmp_path / "real.db")
    assert Event.select().count() == 2_000
    assert Payment.select().where(Payment.status == "succeeded").count() == 500
    db.close()


def start_bench(script: str, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(BENCH / script), *arguments],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def reported(bench: subprocess.Popen[str]) -> dict[str, Any]:
    """The figures the script printed, by name; it must succeed or report a missed target
    (exit 1), never crash."""
    out, err = bench.communicate(timeout=120)
    assert bench.returncode in (0, 1), err[-2000:]
    figures = [bench_module("figures").Figure.parse(line) for line in out.splitlines()]
    return {figure.name: figure for figure in figures if figure is not None}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_postgres_benchmarks_set_every_figure_against_sqlite(
        small_ledger: Path, pg_url: str, pg_admin_url: str) -> None:
    bench_module("make_ledger").copy_to_postgres(small_ledger, pg_url)
    db = open_ledger(pg_url)
    assert Payment.select().count() == 10_000
    assert Payment.select().where(Payment.disputed == 1).count() == 100
    db.close()
    # In parallel: most of each script's time is starting interpreters and servers.
    benches = [
        start_bench("apply.py", "--events", "400", "--runs", "1", "--postgres", pg_admin_url),
        start_bench("catchup.py", "--events", "200", "--port", str(free_port()),
                    "--postgres", pg_admin_url),
    ]
    figures = {name: figure for bench in benches for name, figure in reported(bench).items()}
    assert {name: (f.baseline_name, f.rule) for name, f in figures.items()} == {
        "sync apply, SQLite": ("raw json.loads + executemany", "ratio>="),
        "sync apply, PostgreSQL vs SQLite": ("SQLite", "ratio>="),
        "catch-up 200 events, SQLite, events applied": ("in the backlog", "ratio>="),
        "catch-up 200 events, SQLite, peak RSS": ("imports alone", "over<="),
        "catch-up 200 events, PostgreSQL, events applied": ("in the backlog", "ratio>="),
        "catch-up 200 events, PostgreSQL, peak RSS": ("imports alone", "over<="),
        "catch-up, SQLite": ("", "info"),
        "catch-up, PostgreSQL vs SQLite": ("SQLite", "info"),
    }
    for name in ("catch-up 200 events, SQLite, events applied",
                 "catch-up 200 events, PostgreSQL, events applied"):
        assert figures[name].value == 200 and figures[name].passed
    assert figures["catch-up 200 events, PostgreSQL, peak RSS"].passed


def test_console_benchmark_sets_every_key_against_its_sql_and_postgresql_against_sqlite(
        small_ledger: Path, pg_url: str) -> None:
    bench_module("make_ledger").copy_to_postgres(small_ledger, pg_url)
    console = bench_module("console_ops")
    figures = reported(start_bench("console_ops.py", f"--ledger={small_ledger}",
                                   f"--ledger={pg_url}"))
    expected = {}
    for ledger in ("SQLite 10,000", "PostgreSQL 10,000"):
        for key in console.KEYS:
            expected[f"{key}, reads, {ledger}"] = ("same SQL raw", "ratio<=")
            expected[f"{key}, UI thread, {ledger}"] = ("one frame", "ratio<=")
        expected |= {f"{name}, {ledger}": ("same SQL raw", "ratio<=")
                     for name in console.ANALYTICS}
        expected |= {f"{name}, {ledger}": ("", "info")
                     for name in (console.FIRST_PAINT, console.PEAK_RSS)}
    expected |= {f"{name}, PostgreSQL 10,000 vs SQLite 10,000": ("SQLite 10,000", "ratio<=")
                 for name in (*console.FLAT, console.PEAK_RSS)}
    assert {name: (f.baseline_name, f.rule) for name, f in figures.items()} == expected
    # Each key ran SQL, caught and replayed raw.
    assert all(f.baseline > 0 for name, f in figures.items() if ", reads, " in name)


def test_a_figure_reads_back_as_printed_and_judges_its_target() -> None:
    figure_type = bench_module("figures").Figure
    slow = figure_type("page down", 12.0, "ms", 3.0, "raw query", "ratio<=", 3.0, at_most=16.0)
    assert figure_type.parse(slow.line()) == slow
    assert slow.ratio == 4.0 and slow.passed is False
    assert slow.cells() == ["page down", "raw query 3.00 ms", "4.00 x", "<= 3 x, <= 16 ms",
                            "FAIL", "12.0 ms"]
    assert figure_type("page down", 20.0, "ms", 10.0, rule="ratio<=", limit=3.0,
                       at_most=16.0).passed is False  # within the ratio, over a frame
    assert figure_type("rss", 150.0, "MB", 60.0, rule="over<=", limit=100.0).passed
    assert figure_type("rate", 5.0, "events/s", 10.0, rule="ratio>=", limit=0.7).passed is False
    assert figure_type("rate", 5.0, "events/s").passed is None
    assert figure_type.parse("apply: 5 events/s") is None


def test_the_console_imports_nothing_its_first_screen_does_not_need() -> None:
    imports = bench_module("imports")
    seconds, loaded = imports.import_seconds("console.app")
    assert seconds > 0 and "textual.app" in loaded and "ledger.models" in loaded
    assert imports.too_early(loaded) == []


def test_a_script_that_crashes_is_a_missed_figure_of_the_table() -> None:
    figures = bench_module("run").run(["no_such_script.py"])
    assert [(f.name, f.value, f.passed) for f in figures] == [
        ("no_such_script.py ran to its end", 2, False)]
