"""`payconsole report`: the analytics figures headless, for a cron job or a chat post.

It reads the ledger only: no network, no Stripe SDK.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from console.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    open_existing_ledger,
    output,
    settings_from,
)


def run_report(args: argparse.Namespace) -> int:
    from ledger.analytics import Period, midnight
    from ledger.money import MoneyError, normalize_currency
    from ledger.report import report

    try:
        currency = normalize_currency(args.currency) if args.currency else None
    except MoneyError as exc:
        print(f"payconsole: --currency: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = settings_from(args)
    open_existing_ledger(args, settings)
    now = midnight(args.as_of) if args.as_of else None
    text = report(Period.last_days(args.days, now), currency, args.format)
    with output(args.output) as out:
        out.write(text)
    return EXIT_OK


def _days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (1 or more)")
    return int(text)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-30") from None


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    from ledger.report import FORMATS

    parser.add_argument("--days", type=_days, default=30,
                        help="the last N UTC days, today included (default 30)")
    parser.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD",
                        help="end the period with this UTC day instead of today")
    parser.add_argument("--currency", help="only this currency (default: each one)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")


REPORT_COMMANDS: dict[str, Command] = {
    "report": Command("analytics figures from the ledger: text, json or csv (offline)",
                      "payconsole report --days 30 --currency usd --format json",
                      run_report, _report_arguments),
}
