"""`payconsole reconcile`: compare the ledger with Stripe, field by field, and repair it.

Exit codes: 0 nothing differed (or everything was repaired), 1 drift found and not
repaired, or Stripe failed; 2 bad input (nothing sent, nothing changed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from console.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    Command,
    make_gateway,
    open_existing_ledger,
    settings_from,
)
from ledger.reconcile_views import TABLES

TYPES = tuple(TABLES)  # the kinds sync.reconcile compares (it imports the SDK: not here)


def run_reconcile(args: argparse.Namespace) -> int:
    from sync.gateway import GatewayError
    from sync.reconcile import reconcile, record_summary

    settings = settings_from(args)
    gateway = make_gateway(settings)
    open_existing_ledger(args, settings)
    try:
        report = reconcile(gateway, days=args.days, types=args.types, repair=args.repair,
                           now=time.time())
    except GatewayError as exc:
        print(f"payconsole: reconcile failed, nothing repaired: {exc}", file=sys.stderr)
        return EXIT_FAILED
    record_summary(report)
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    return EXIT_FAILED if report.unrepaired else EXIT_OK


def _days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (1 or more)")
    return int(text)


def _types(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in TYPES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown type {unknown[0] if unknown else text!r} (known: {','.join(TYPES)})")
    return chosen


def _reconcile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=_days, default=30,
                        help="compare what was created in the last N days (default 30)")
    parser.add_argument("--types", type=_types, default=None, metavar=",".join(TYPES),
                        help="only these kinds, comma-separated (default: all)")
    parser.add_argument("--repair", action="store_true",
                        help="write Stripe's version of what differs; mark deleted customers "
                             "and detached payment methods (nothing is ever dropped)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


RECONCILE_COMMANDS: dict[str, Command] = {
    "reconcile": Command("compare the ledger with Stripe field by field, and repair it",
                         "payconsole reconcile --days 30 --repair --format json",
                         run_reconcile, _reconcile_arguments),
}
