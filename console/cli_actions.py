"""Headless operator actions (refund, capture, cancel, charge, payment methods, disputes)
and the audit log.

Every action command takes one path (cli_common.action_command): re-read its target from
Stripe, plan, show the plan, confirm, execute, print the outcome. Exit codes: 0 done,
1 Stripe refused (its message shown) or the payment did not complete, 2 refused before
anything was sent, 3 (a team ledger) the request still waits for an approval or for the
team's sync service. The Stripe SDK is only imported when an action runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from console.cli_common import EXIT_FAILED, EXIT_OK, Command, settings_from
from console.cli_common import action_command as _action
from ledger.audit import AuditRow
from ledger.db import open_ledger

# -- the arguments of each action --------------------------------------------------------


def _refund_arguments(parser: argparse.ArgumentParser) -> None:
    from sync.actions_checks import REFUND_REASONS

    parser.add_argument("--amount", help="in the payment's currency, e.g. 12.50 "
                        "(default: all that is left to refund)")
    parser.add_argument("--reason", help=f"one of {', '.join(REFUND_REASONS)}")
    parser.add_argument("--note", help="a note kept in the refund's metadata")


def _capture_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--amount", help="in the payment's currency, e.g. 12.50 (default: all "
                        "that is capturable; Stripe releases the rest)")


def _cancel_arguments(parser: argparse.ArgumentParser) -> None:
    from sync.plans_payments import CANCEL_REASONS

    parser.add_argument("--reason", help=f"one of {', '.join(CANCEL_REASONS)}")


def _charge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--amount", required=True, help="e.g. 25.00 (JPY: 2500, KWD: 2.500)")
    parser.add_argument("--currency", required=True, help="three-letter code, e.g. usd")
    parser.add_argument("--payment-method", metavar="PM_ID",
                        help="default: the customer's default, else their only card")
    parser.add_argument("--description")


def _method_update_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exp-month", metavar="M", help="1 to 12")
    parser.add_argument("--exp-year", metavar="Y", help="e.g. 2030")
    parser.add_argument("--name", help='billing name ("" clears it)')
    parser.add_argument("--email", help='billing email ("" clears it)')
    parser.add_argument("--postal-code", help='billing postal code ("" clears it)')


class _EvidenceFields(argparse.Action):
    """`--field NAME=TEXT` or `--file FIELD=PATH`, repeatable, into one dict; a name given
    twice is refused."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        name, sep, text = str(values).partition("=")
        if not sep or not name.strip():
            parser.error(f"{option_string}: expected {self.metavar}, got {values!r}")
        fields: dict[str, str] = dict(getattr(namespace, self.dest) or {})
        if name.strip() in fields:
            parser.error(f"{option_string}: the evidence field {name.strip()} was given twice")
        fields[name.strip()] = text
        setattr(namespace, self.dest, fields)


def _dispute_evidence_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--field", action=_EvidenceFields, dest="fields", default={},
                        metavar="NAME=TEXT",
                        help="an evidence text field, e.g. product_description=...; repeatable")
    parser.add_argument("--file", action=_EvidenceFields, dest="files", default={},
                        metavar="FIELD=PATH",
                        help="a PDF, JPEG or PNG for an evidence file field, e.g. "
                        "receipt=./receipt.pdf (uploaded once; at most 5 MB, 4.5 MB and 50 "
                        "pages for all of the dispute's files); repeatable")
    parser.add_argument("--submit", action="store_true",
                        help="submit to the bank (usually possible once); default: save a draft")


# -- the audit log -----------------------------------------------------------------------


def run_audit_verify(args: argparse.Namespace) -> int:
    from ledger.audit import verify_chain

    open_ledger(settings_from(args).ledger.location, read_only=True)
    report = verify_chain()
    print(report, file=sys.stdout if report.ok else sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def run_audit_show(args: argparse.Namespace) -> int:
    """Who asked, who approved, what Stripe answered: the entries on one object, oldest first."""
    from ledger.audit import entries_touching

    open_ledger(settings_from(args).ledger.location, read_only=True)
    entries = list(reversed(entries_touching(args.target, limit=1000)))
    if args.format == "json":
        json.dump([dataclasses.asdict(entry) for entry in entries], sys.stdout, indent=2)
        print()
    for entry in entries if args.format == "text" else ():
        print(audit_line(entry))
    if not entries:
        print(f"payconsole: no audit entries on {args.target}", file=sys.stderr)
    return EXIT_OK if entries else EXIT_FAILED


def audit_line(entry: AuditRow) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.at))
    request = entry.params.get("request")
    parts = [when, entry.operator, entry.action, entry.result,
             f"request {request}" if request is not None else "",
             str(entry.params.get("reason") or ""),
             " ".join(filter(None, (entry.object_id, entry.object_status))),
             f"Stripe {entry.request_id}" if entry.request_id else "", entry.error or ""]
    return "  ".join(part for part in parts if part)


def _audit_show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="ID", help="a payment, dispute, method, customer…")
    parser.add_argument("--format", choices=("text", "json"), default="text")


METHOD_COMMANDS: dict[str, Command] = {
    "update": _action(
        "change a card's expiry or billing details",
        "payconsole method update pm_123 --exp-month 4 --exp-year 2030 --postal-code 94107",
        "PM_ID", lambda actions, args: actions.plan_method_update(
            args.target, exp_month=args.exp_month, exp_year=args.exp_year, name=args.name,
            email=args.email, postal_code=args.postal_code, repeat=args.again),
        _method_update_arguments),
    "set-default": _action(
        "make a payment method its customer's default", "payconsole method set-default pm_123",
        "PM_ID", lambda actions, args: actions.plan_set_default(args.target, repeat=args.again)),
    "detach": _action(
        "detach a payment method from its customer", "payconsole method detach pm_123 --yes",
        "PM_ID", lambda actions, args: actions.plan_detach(args.target, repeat=args.again)),
}

DISPUTE_COMMANDS: dict[str, Command] = {
    "evidence": _action(
        "save dispute evidence as a draft, or submit it",
        'payconsole dispute evidence dp_123 --field product_description="Blue mug, '
        'shipped 2 May" --file receipt=./receipt.pdf --submit --yes',
        "DP_ID", lambda actions, args: actions.plan_evidence(
            args.target, args.fields, submit=args.submit, files=args.files,
            repeat=args.again),
        _dispute_evidence_arguments),
    "accept": _action(
        "accept a dispute, conceding its amount (cannot be undone)",
        "payconsole dispute accept dp_123 --yes",
        "DP_ID", lambda actions, args: actions.plan_accept(args.target, repeat=args.again)),
}

ACTION_COMMANDS: dict[str, Command] = {
    "refund": _action(
        "refund a payment, fully or partly",
        "payconsole refund pi_123 --amount 12.50 --reason requested_by_customer --yes",
        "PAYMENT_ID", lambda actions, args: actions.plan_refund(
            args.target, args.amount, reason=args.reason, note=args.note, repeat=args.again),
        _refund_arguments, target_help="pi_... or ch_..."),
    "capture": _action(
        "capture an authorized payment, fully or partly (the rest is released)",
        "payconsole capture pi_123 --amount 12.50 --yes",
        "PI_ID", lambda actions, args: actions.plan_capture(
            args.target, args.amount, repeat=args.again),
        _capture_arguments, target_help="pi_... awaiting capture (requires_capture)"),
    "cancel": _action(
        "cancel an authorized payment, releasing its hold",
        "payconsole cancel pi_123 --reason requested_by_customer --yes",
        "PI_ID", lambda actions, args: actions.plan_cancel(
            args.target, reason=args.reason, repeat=args.again),
        _cancel_arguments, target_help="pi_... awaiting capture (requires_capture)"),
    "charge": _action(
        "charge a customer's saved payment method (off-session)",
        "payconsole charge cus_123 --amount 25.00 --currency usd --yes",
        "CUSTOMER_ID", lambda actions, args: actions.plan_charge(
            args.target, args.amount, args.currency, payment_method=args.payment_method,
            description=args.description, repeat=args.again),
        _charge_arguments, target_help="cus_..."),
    "method": Command("update, set as default or detach a saved payment method",
                      "payconsole method set-default pm_123", subcommands=METHOD_COMMANDS),
    "dispute": Command("respond to a dispute: evidence, or accept it",
                       "payconsole dispute accept dp_123 --yes", subcommands=DISPUTE_COMMANDS),
    "audit": Command("the audit log of operator actions", "payconsole audit verify",
                     subcommands={"verify": Command(
                         "check the audit log's hash chain; exit 1 where it breaks",
                         "payconsole audit verify --ledger ledger.db", run_audit_verify),
                         "show": Command(
                             "who asked, who approved and what Stripe answered, on one id",
                             "payconsole audit show pi_123", run_audit_show,
                             _audit_show_arguments)}),
}
