"""`payconsole ledger migrate|copy`: a ledger's schema, and moving a ledger between
backends (a team ledger to a laptop for offline review, a single user's file onto the
team server)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from console.cli_common import EXIT_FAILED, EXIT_OK, Command, settings_from
from ledger.audit import verify_chain
from ledger.copy import CopyError, copy_ledger, drop_everything, rows_held
from ledger.db import migrate_ledger, open_ledger
from ledger.locations import display_url, is_postgres_url
from ledger.migrations import LATEST_VERSION
from ledger.team import service_role
from ledger.team_setup import init_team


def run_migrate(args: argparse.Namespace) -> int:
    ledger = settings_from(args).ledger
    before, after = migrate_ledger(ledger.location)
    change = "already up to date" if before == after else f"migrated from {before}"
    print(f"{ledger.shown}: schema {after} of {LATEST_VERSION} ({change})")
    db = open_ledger(ledger.location)
    if before != after and (service := service_role()):  # new tables need the team's grants
        init_team(db, service)
        print(f"team grants applied to the new tables (service role {service})")
    return EXIT_OK


def run_copy(args: argparse.Namespace) -> int:
    source = open_ledger(args.source, read_only=True)
    if args.replace:
        _empty(args.destination)
    destination = open_ledger(args.destination)
    started = time.monotonic()
    try:
        copied = copy_ledger(source, destination, _progress_bar())
    except CopyError as exc:
        print(f"\npayconsole: ledger copy: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        source.close()
    rows = sum(table.rows for table in copied)
    chain = verify_chain()  # the models are bound to the destination, the last opened
    print(f"\ncopied {rows:,} rows of {len(copied)} tables from {_shown(args.source)} to "
          f"{_shown(args.destination)} in {time.monotonic() - started:.1f}s; {chain}")
    destination.close()
    return EXIT_OK if chain.ok else EXIT_FAILED


def _empty(location: str) -> None:
    db = open_ledger(location)
    if rows_held(db):
        drop_everything(db)
    db.close()


def _shown(location: str) -> str:
    return display_url(location) if is_postgres_url(location) else location


def _progress_bar(width: int = 30) -> Callable[[str, int, int], None]:
    def show(table: str, done: int, total: int) -> None:
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        print(f"\r{table:<22} [{bar}] {done:>11,} / {total:,}", end="", file=sys.stderr,
              flush=True)
        if done == total:
            print(file=sys.stderr)

    return show


def _copy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", required=True, metavar="PATH|URL",
                        help="the ledger to copy (read in one consistent snapshot)")
    parser.add_argument("--to", dest="destination", required=True, metavar="PATH|URL",
                        help="where to copy it: a new file, or an empty PostgreSQL database")
    parser.add_argument("--replace", action="store_true",
                        help="overwrite a destination that already holds a ledger")


LEDGER_COMMANDS = {
    "ledger": Command("the ledger itself: its schema, and copies of it", "payconsole ledger "
                      "migrate --ledger postgresql://payconsole@db:5432/payments", subcommands={
        "migrate": Command("bring the ledger's schema up to date",
                           "payconsole ledger migrate --ledger-url postgresql://db/payments",
                           run_migrate),
        "copy": Command("copy a ledger between files and PostgreSQL, with a progress bar",
                        "payconsole ledger copy --from postgresql://db/payments --to copy.db",
                        run_copy, _copy_arguments),
    }),
}
