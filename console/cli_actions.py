"""Headless operator actions (refund, capture, cancel, charge, payment methods, disputes)
and the audit log.

Every action command takes one path (`_run`): re-read its target from Stripe, plan,
show the plan, confirm, execute, print the outcome. Exit codes: 0 done, 1 Stripe refused
(its message shown) or the payment did not complete, 2 refused before anything was sent.
The Stripe SDK is only imported when an action runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from console.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    AddArguments,
    Command,
    make_actions,
    make_gateway,
    settings_from,
)
from ledger.db import open_ledger

if TYPE_CHECKING:
    from sync.actions import Actions
    from sync.plans import ActionPlan

# Plans the action on `args.target` (the positional id every action command takes).
Planner = Callable[["Actions", argparse.Namespace], "ActionPlan"]


class _NotConfirmed(Exception):
    """The operator did not confirm (or could not be asked): nothing was attempted."""


# -- the one path every action command takes -------------------------------------------


def _make_actions(args: argparse.Namespace) -> Actions:
    settings = settings_from(args)
    actions = make_actions(settings, make_gateway(settings))
    open_ledger(settings.ledger.location)
    return actions


def _run(args: argparse.Namespace, plan: Planner) -> int:
    from sync.plans import ActionFailed, ActionRefused

    actions = _make_actions(args)
    try:
        if actions.refusal() is None:
            actions.refresh(args.target)  # plan against what Stripe says now, not a stale ledger
        chosen = plan(actions, args)
        _show(chosen)
        typed = _confirm(chosen, args)
        result = actions.execute(chosen, typed_confirmation=typed)
    except ActionRefused as exc:
        again = " (pass --again to do it again)" if exc.repeatable else ""
        print(f"payconsole: refused: {exc}{again}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except _NotConfirmed as exc:
        print(f"payconsole: not done: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ActionFailed as exc:
        print(f"payconsole: failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(result.message)
    return EXIT_OK if result.ok else EXIT_FAILED


def _show(plan: ActionPlan) -> None:
    mode = "LIVE: " if plan.live else ""
    print(f"{mode}{plan.summary}", file=sys.stderr)
    for warning in plan.warnings:
        print(f"  warning: {warning}", file=sys.stderr)


def _confirm(plan: ActionPlan, args: argparse.Namespace) -> str | None:
    """The typed confirmation for LIVE mode (checked by execute), or None; raises
    _NotConfirmed when the operator declines or cannot be asked."""
    if plan.needs_typed_confirmation:
        if args.confirm is not None:
            return str(args.confirm)
        _require_terminal(f"LIVE mode: pass --confirm {plan.confirmation_text} (--yes is not "
                          "enough), or run it in a terminal")
        return input(f"LIVE mode: type {plan.confirmation_text} to confirm: ")
    if not plan.needs_confirmation or args.yes:
        return None
    _require_terminal("confirmation needed and stdin is not a terminal: pass --yes")
    if input("Proceed? [y/N] ").strip().lower() not in ("y", "yes"):
        raise _NotConfirmed("not confirmed")
    return None


def _require_terminal(message: str) -> None:
    if not sys.stdin.isatty():
        raise _NotConfirmed(message)


def _action(summary: str, example: str, target: str, plan: Planner,
            add_arguments: AddArguments | None = None, *, target_help: str | None = None
            ) -> Command:
    """An action command on one object: `target` is the metavar of its id (e.g. PM_ID)."""

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("target", metavar=target, help=target_help)
        if add_arguments is not None:
            add_arguments(parser)
        parser.add_argument("--yes", action="store_true",
                            help="skip the confirmation question (not enough in LIVE mode)")
        parser.add_argument("--confirm", metavar="TEXT",
                            help="LIVE mode: the amount or id the confirmation asks you to type")
        parser.add_argument("--again", action="store_true",
                            help="repeat an identical action that already succeeded")

    return Command(summary, example, lambda args: _run(args, plan), arguments)


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
                         "payconsole audit verify --ledger ledger.db", run_audit_verify)}),
}
