"""Import cost: importing the console (`console.app`) against importing Textual alone, each
in fresh interpreters, interleaved, the median of several runs (target: <= 1.5 x). Also
checks that nothing the first screen does not need is imported (the Stripe SDK, aiohttp,
APScheduler, plotext, the emulator), and prints where the console's own time goes
(`python -X importtime`), largest first."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from figures import Figure, report

TARGET = 1.5
NOT_AT_START = ("stripe", "aiohttp", "requests", "apscheduler", "plotext", "textual_plotext",
                "sync.emulator", "localstripe", "pypdf")
_TIMED = ("import sys, time; t = time.perf_counter(); import {module}; "
          "print(time.perf_counter() - t); print(' '.join(sorted(sys.modules)))")


def import_seconds(module: str) -> tuple[float, set[str]]:
    """Seconds to import `module` in a new interpreter, and what it loaded."""
    out = subprocess.run([sys.executable, "-c", _TIMED.format(module=module)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return float(out[0]), set(out[1].split())


def too_early(loaded: set[str]) -> list[str]:
    """What of NOT_AT_START (or a submodule of it) is in `loaded`."""
    return sorted(name for name in loaded
                  if any(name == bad or name.startswith(bad + ".") for bad in NOT_AT_START))


def breakdown(module: str, top: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, name) of the largest imports under `module`."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in err.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    textual, console, loaded = [], [], set()
    for _ in range(args.runs):  # interleaved: a busy moment costs both alike
        textual.append(import_seconds("textual.app")[0])
        seconds, loaded = import_seconds("console.app")
        console.append(seconds)
    base, measured = statistics.median(textual), statistics.median(console)
    print(f"textual.app {base:.3f}s  console.app {measured:.3f}s  (medians of {args.runs}; "
          f"spread console {min(console):.3f}-{max(console):.3f}s)")
    for micros, name in breakdown("console.app", args.top):
        print(f"  {micros / 1e6:7.3f}s  {name}")
    early = too_early(loaded)
    if early:
        print(f"imported at start, not needed by the first screen: {', '.join(early)}")
    return report([
        Figure("import console.app", measured, "s", base, "import textual.app", "ratio<=",
               TARGET),
        Figure("modules the first screen does not need, imported", len(early), "modules", 0,
               "none", "over<=", 0),
    ])


if __name__ == "__main__":
    raise SystemExit(main())
