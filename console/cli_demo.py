"""`payconsole demo` (the console on its own seeded emulator, never the user's real ledger)
and `payconsole emulator` (the emulator alone). The demo itself lives in sync/demo/; this is
what shows it: a progress bar while seeding, then the app.

Both need the `demo` extra (localstripe); without it they say how to install it and exit 2.
Nothing here imports the emulator or the demo until one of the two commands runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import TYPE_CHECKING

from console.cli_common import EXIT_BAD_INPUT, Command, alert_settings, run_app, settings_from
from console.config import data_dir

if TYPE_CHECKING:  # the demo (and its emulator) is imported only when `demo` runs
    from sync.demo.session import DemoSession

DEMO_EXTRA = "pip install 'payconsole[demo]'"


class ProgressBar:
    """A one-line bar on stderr, redrawn only when it grows by a step."""

    def __init__(self, width: int = 40) -> None:
        self._width = width
        self._drawn = -1

    def __call__(self, done: int, total: int) -> None:
        filled = self._width * done // max(total, 1)
        if filled == self._drawn and done < total:
            return
        self._drawn = filled
        bar = "#" * filled + "-" * (self._width - filled)
        end = "\n" if done >= total else ""
        print(f"\rseeding a month of demo data [{bar}] {done}/{total}", end=end,
              file=sys.stderr, flush=True)


def _demo_extra_missing(command: str) -> bool:
    """True, having said so in one line, when the emulator's localstripe is not installed."""
    if importlib.util.find_spec("localstripe") is not None:
        return False
    print(f"payconsole {command}: the local Stripe emulator is not installed; "
          f"install the demo extra: {DEMO_EXTRA}", file=sys.stderr)
    return True


def run_demo(args: argparse.Namespace) -> int:
    if _demo_extra_missing("demo"):
        return EXIT_BAD_INPUT
    from ledger.local_postgres import LocalPostgres
    from sync.demo.session import DemoSession

    if not args.team:
        return _demo(DemoSession(data_dir() / "demo"), args)
    with LocalPostgres() as server:  # thrown away on quitting, with everything in it
        server.create_database("payconsole_demo")
        return _demo(DemoSession(data_dir() / "demo-team", server.url("payconsole_demo")),
                     args)


def _demo(session: DemoSession, args: argparse.Namespace) -> int:
    from console.context import ConsoleContext, Mode
    from ledger.db import open_ledger
    from sync.team import TeamLedger

    settings = settings_from(args)
    if args.fresh or session.ledger_url:
        session.forget()
    session.start()
    try:
        open_ledger(session.ledger_location)
        if not session.seeded:
            summary = session.seed(ProgressBar())
            print(f"seeded {summary.customers} customers, {summary.payments} payments, "
                  f"{summary.refunds} refunds, {summary.disputes} disputes in "
                  f"{summary.seconds:.1f}s", file=sys.stderr)
        services = session.services(settings.console.operator,
                                    read_only=settings.console.read_only)
        team = None
        if session.ledger_url:
            team = TeamLedger(session.ledger_url, services.sync)
            print(f"a second console on this team ledger:\n  {session.second_console()}",
                  file=sys.stderr)
        return run_app(ConsoleContext(
            ledger_location=session.ledger_location, mode=Mode.DEMO,
            operator=settings.console.operator, keymap=settings.console.keymap,
            jobs=services.jobs, services=[services.receiver], actions=services.actions,
            team=team,
            alerts=alert_settings(settings),
        ))
    finally:
        session.stop()


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fresh", action="store_true",
                        help="forget the demo's ledger and emulator data and start over")
    parser.add_argument("--team", action="store_true",
                        help="the demo on a throwaway local PostgreSQL team ledger, and the "
                             "command that opens a second console on it")


def run_emulator(args: argparse.Namespace) -> int:
    if _demo_extra_missing("emulator"):
        return EXIT_BAD_INPUT
    from sync.emulator.launcher import main as emulator_main

    argv = ["--port", str(args.port)]
    if args.state:
        argv += ["--state", args.state]
    if args.no_persist:
        argv.append("--no-persist")
    status: int = emulator_main(argv)  # mypy skips sync.emulator (untyped localstripe)
    return status


def _emulator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--state", metavar="FILE", help="keep the emulator's data in FILE")
    state.add_argument("--no-persist", action="store_true", help="keep nothing on disk")


DEMO_COMMANDS: dict[str, Command] = {
    "emulator": Command("run the local Stripe emulator alone on 127.0.0.1",
                        "payconsole emulator --port 12111 --no-persist",
                        run_emulator, _emulator_arguments),
    "demo": Command("the console on a local emulator seeded with a month of test data",
                    "payconsole demo --fresh", run_demo, _demo_arguments),
}
