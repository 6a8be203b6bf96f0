"""The benchmarks at 10k rows, as correctness checks only (no timing assertions): the
synthetic ledger is what it says, the apply benchmark really applies, and the console
benchmark reports every figure."""

from __future__ import annotations

import importlib.util
import json
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
