"""`payconsole efw`: the issuers' early fraud warnings, listed from the ledger (offline), and
answered with a refund of what is left of the payment, reason fraudulent (exit codes as
every action: 0 done, 1 Stripe refused, 2 refused before anything was sent, such as a
warning no longer actionable)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from console.cli_common import EXIT_OK, Command, action_command, open_existing_ledger, settings_from
from ledger.fraud_views import FraudWarningBoard, FraudWarningLine
from ledger.money import format_amount

_TEXT_HEADER = ("id", "created (UTC)", "charge", "payment", "fraud type", "amount", "actionable")


def warning_record(line: FraudWarningLine) -> dict[str, Any]:
    """A JSON row: `actionable` is the ledger's whole word (Stripe's, and the payment's)."""
    return {"id": line.id, "charge": line.charge, "payment_intent": line.payment,
            "fraud_type": line.fraud_type, "actionable": line.actionable,
            "created": line.created, "amount": line.amount, "currency": line.currency,
            "customer_email": line.customer_email, "remaining": line.remaining,
            "not_actionable_because": line.why_not_actionable}


def _text_row(line: FraudWarningLine) -> tuple[str, ...]:
    known = line.currency is not None and line.amount is not None
    amount = format_amount(line.amount or 0, line.currency or "") if known else "not synced"
    created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(line.created))
    return (line.id, created, line.charge, line.payment or "-", line.fraud_type, amount,
            "yes" if line.actionable else "no")


def run_list(args: argparse.Namespace) -> int:
    open_existing_ledger(args, settings_from(args))
    rows = FraudWarningBoard(actionable_only=args.actionable).every_row()
    if args.format == "json":
        print(json.dumps([warning_record(line) for line in rows], indent=2))
        return EXIT_OK
    table = [_TEXT_HEADER, *(_text_row(line) for line in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(_TEXT_HEADER))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
    print(f"{len(rows)} early fraud warning(s)", file=sys.stderr)
    return EXIT_OK


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--actionable", action="store_true",
                        help="only the warnings still worth a refund")
    parser.add_argument("--format", choices=("text", "json"), default="text")


EFW_COMMANDS: dict[str, Command] = {
    "efw": Command("early fraud warnings: list them, or refund one's payment as fraudulent",
                   "payconsole efw list --actionable --format json", subcommands={
        "list": Command("the early fraud warnings in the ledger, actionable first, newest "
                        "first (offline)", "payconsole efw list --actionable --format json",
                        run_list, _list_arguments),
        "refund": action_command(
            "refund what is left of a warning's payment, reason fraudulent",
            "payconsole efw refund issfr_123 --yes", "ISSFR_ID",
            lambda actions, args: actions.plan_fraud_refund(args.target, repeat=args.again),
            target_help="issfr_... (an early fraud warning still actionable)"),
    }),
}
