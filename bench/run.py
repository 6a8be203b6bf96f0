"""`make bench`: build the 1M-payment ledger if missing, start a throwaway PostgreSQL server
and copy the ledger onto it, run every benchmark on both backends, print one table
(figure, target, measured, the SQLite figure of the same run, ratio, pass/fail), stop the
server, and exit non-zero when a target is missed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ledger.local_postgres import LocalPostgres

HERE = Path(__file__).resolve().parent
LEDGER = Path("/tmp/payconsole-bench.db")
PG_DATABASE = "bench"
RUNS = 3  # each figure is the median of this many runs (the machine is shared)
COLUMNS = ["figure", "target", "measured", "SQLite / baseline", "ratio", "result"]


def scripts(admin_url: str, ledger_url: str) -> list[list[str]]:
    return [
        ["imports.py", "--runs", "7"],
        ["apply.py", "--events", "100000", "--runs", str(RUNS), "--postgres", admin_url],
        ["catchup.py", "--events", "1000000", "--postgres", admin_url],
        ["reconcile.py", "--payments", "100000"],
        ["console.py", "--ledger", ledger_url, "--compare-with", str(LEDGER),
         "--runs", str(RUNS)],
    ]


def results(script: list[str]) -> tuple[list[list[str]], int]:
    """A script's RESULT rows, each widened to COLUMNS (a row without a baseline leaves
    those cells empty), and its exit code. Its lines are echoed as they come (to stderr),
    so that a long run shows where it is and an interrupted one keeps its figures."""
    bench = subprocess.Popen([sys.executable, str(HERE / script[0]), *script[1:]],
                             stdout=subprocess.PIPE, text=True)
    assert bench.stdout is not None
    rows = []
    for line in bench.stdout:
        sys.stderr.write(f"{script[0]}: {line}")
        if line.startswith("RESULT "):
            cells = line.removeprefix("RESULT ").rstrip("\n").split("|")
            rows.append(cells if len(cells) == len(COLUMNS) else [*cells[:3], "", "", cells[3]])
    return rows, bench.wait()


def main() -> int:
    if not LEDGER.exists():
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--output", str(LEDGER)],
                       check=True)
    table, failed = [COLUMNS], 0
    with LocalPostgres() as server:
        server.create_database(PG_DATABASE)
        ledger_url = server.url(PG_DATABASE)
        # The same ledger on PostgreSQL: a copy of the SQLite one (the server is throwaway).
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--output", ledger_url,
                        "--sqlite", str(LEDGER)], check=True)
        for script in scripts(server.url("postgres"), ledger_url):
            rows, code = results(script)
            table += rows
            failed += code != 0
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
