"""`make bench`: build the 1M-payment ledger if missing, run every benchmark, print one
table (figure, target, measured, pass/fail), and exit non-zero when a target is missed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEDGER = Path("/tmp/payconsole-bench.db")
SCRIPTS = (
    ["apply.py", "--events", "100000"],
    ["catchup.py", "--events", "1000000"],
    ["reconcile.py", "--payments", "100000"],
    ["console.py", "--ledger", str(LEDGER)],
)


def results(script: list[str]) -> tuple[list[list[str]], int]:
    done = subprocess.run([sys.executable, str(HERE / script[0]), *script[1:]],
                          capture_output=True, text=True)
    rows = [line.removeprefix("RESULT ").split("|") for line in done.stdout.splitlines()
            if line.startswith("RESULT ")]
    if not rows:
        sys.stderr.write(done.stdout + done.stderr)
    return rows, done.returncode


def main() -> int:
    if not LEDGER.exists():
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--output", str(LEDGER)],
                       check=True)
    table, failed = [["figure", "target", "measured", "result"]], 0
    for script in SCRIPTS:
        rows, code = results(script)
        table += rows
        failed += code != 0
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
