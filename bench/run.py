"""`make bench` and `make bench-quick`: every benchmark, one table.

    .venv/bin/python bench/run.py           # everything: SQLite 1M and 10M, PostgreSQL 1M
    .venv/bin/python bench/run.py --quick   # the 1M SQLite set alone (under 5 minutes)

Builds the synthetic ledgers when missing (cached in /tmp between runs: the 10M one takes
about 8 minutes) with one `--now`, so that a period holds the same share of each; starts a
throwaway PostgreSQL server and copies the 1M ledger onto it; runs each script, echoing its
lines to stderr as they come; prints one table (figure, baseline measured in the same run,
ratio, target, pass/fail, absolute value) and exits non-zero when a target is missed or a
script failed.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from figures import Figure, table

from ledger.db import open_ledger
from ledger.local_postgres import LocalPostgres

HERE = Path(__file__).resolve().parent
LEDGERS = {  # payments -> cached file; customers and disputes follow make_ledger's rates
    1_000_000: Path("/tmp/payconsole-bench.db"),
    10_000_000: Path("/tmp/payconsole-bench-10m.db"),
}
PG_DATABASE = "bench"
RUNS = 3  # each figure is the median of this many interleaved runs (the machine is shared)


def newest_payment(path: Path) -> int | None:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        created: int | None = db.execute("SELECT max(created) FROM payment").fetchone()[0]
        return created


def ensure_ledgers(sizes: list[int]) -> list[Path]:
    """The cached ledgers of these sizes, built when missing with the `now` of one already
    there; each opened once read-write so that it is migrated before it is measured."""
    kept = [newest_payment(path) for path in LEDGERS.values() if path.exists()]
    now = str(max(filter(None, kept), default=int(time.time())) + 1)
    for size in sizes:
        path = LEDGERS[size]
        if not path.exists():
            subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--payments",
                            str(size), "--now", now, "--output", str(path)], check=True)
        open_ledger(path).close()
    return [LEDGERS[size] for size in sizes]


def scripts(quick: bool, sqlite: list[Path], admin_url: str | None, pg_ledger: str | None
            ) -> Iterator[list[str]]:
    postgres = [] if admin_url is None else ["--postgres", admin_url]
    yield ["imports.py", "--runs", "7"]
    for ledger in [*map(str, sqlite), *filter(None, [pg_ledger])]:
        yield ["first_paint.py", "--ledger", ledger, "--runs", "5"]
    yield ["apply.py", "--events", "100000", "--runs", str(RUNS), *postgres]
    yield ["catchup.py", "--events", "200000" if quick else "1000000", *postgres]
    yield ["reconcile.py", "--payments", "100000"]
    ledgers = [str(sqlite[0]), *filter(None, [pg_ledger]), *map(str, sqlite[1:])]
    yield ["console_ops.py", *(f"--ledger={ledger}" for ledger in ledgers), "--runs", str(RUNS)]


def run(script: list[str]) -> list[Figure]:
    """A script's figures. Its lines are echoed as they come (to stderr), so that a long run
    shows where it is and an interrupted one keeps its figures; a script that fails other
    than by missing a target (exit 1) is a failed figure of its own."""
    started = time.perf_counter()
    bench = subprocess.Popen([sys.executable, str(HERE / script[0]), *script[1:]],
                             stdout=subprocess.PIPE, text=True)
    assert bench.stdout is not None
    figures = []
    for line in bench.stdout:
        sys.stderr.write(f"{script[0]}: {line}")
        figure = Figure.parse(line)
        if figure is not None:
            figures.append(figure)
    code = bench.wait()
    seconds = time.perf_counter() - started
    sys.stderr.write(f"{' '.join(script)}: exit {code} after {seconds:.0f} s\n")
    if code not in (0, 1) or (code == 1) != any(f.passed is False for f in figures):
        figures.append(Figure(f"{script[0]} ran to its end", code, "exit code", 0,
                              "success", "over<=", 0))
    return figures


@contextlib.contextmanager
def postgres_copy(ledger: Path) -> Iterator[tuple[str, str]]:
    """A throwaway server holding a copy of `ledger`: its admin URL and the copy's URL."""
    with LocalPostgres() as server:
        server.create_database(PG_DATABASE)
        url = server.url(PG_DATABASE)
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--output", url,
                        "--sqlite", str(ledger)], check=True)
        yield server.url("postgres"), url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the 1M SQLite set alone")
    args = parser.parse_args()
    started = time.perf_counter()
    sqlite = ensure_ledgers([1_000_000] if args.quick else [1_000_000, 10_000_000])
    figures: list[Figure] = []
    with contextlib.ExitStack() as stack:
        admin_url, pg_ledger = (None, None) if args.quick else stack.enter_context(
            postgres_copy(sqlite[0]))
        for script in scripts(args.quick, sqlite, admin_url, pg_ledger):
            figures += run(script)
    print(table(figures))
    missed = [figure.name for figure in figures if figure.passed is False]
    print(f"{len(figures)} figures, {len(missed)} missed, in "
          f"{(time.perf_counter() - started) / 60:.1f} minutes")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
