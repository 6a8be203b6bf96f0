"""The benchmarks at 10k rows, as correctness checks only (no timing assertions): the
synthetic ledger is what it says (on PostgreSQL too), the apply benchmark really applies,
and the benchmarks report every figure, the PostgreSQL ones beside SQLite's."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ledger.db import open_ledger
from ledger.models import Dispute, Event, Payment

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
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


def test_console_benchmark_reports_every_figure(small_ledger: Path) -> None:
    console_bench = BENCH / "console.py"
    done = subprocess.run([sys.executable, str(console_bench), "--ledger", str(small_ledger),
                           "--child-started", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == set(bench_module("console").TARGETS)


def start_bench(script: str, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(BENCH / script), *arguments],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result_rows(bench: subprocess.Popen[str]) -> list[list[str]]:
    """The RESULT rows the script printed, split into their cells; it must succeed or
    report a missed target (exit 1), never crash."""
    out, err = bench.communicate(timeout=120)
    assert bench.returncode in (0, 1), err[-2000:]
    return [line.removeprefix("RESULT ").split("|") for line in out.splitlines()
            if line.startswith("RESULT ")]


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
        start_bench("console.py", "--ledger", pg_url, "--compare-with", str(small_ledger)),
    ]
    apply_rows, catch_up_rows, console_rows = (result_rows(bench) for bench in benches)
    against_sqlite = {row[0]: row[5] for row in apply_rows + catch_up_rows if len(row) == 6}
    assert set(against_sqlite) == {"sync apply events/s, PostgreSQL",
                                   "catch-up 200 events, PostgreSQL, RSS over imported",
                                   "catch-up events/s, PostgreSQL"}
    assert against_sqlite["catch-up 200 events, PostgreSQL, RSS over imported"] == "pass"
    figures = set(bench_module("console").TARGETS)
    assert {row[0] for row in console_rows if len(row) == 4} == figures
    assert {row[0] for row in console_rows if len(row) == 6} == {f"{name}, PostgreSQL"
                                                                  for name in figures}


def test_the_console_imports_nothing_its_first_screen_does_not_need() -> None:
    imports = bench_module("imports")
    seconds, loaded = imports.import_seconds("console.app")
    assert seconds > 0 and "textual.app" in loaded and "ledger.models" in loaded
    assert imports.too_early(loaded) == []
