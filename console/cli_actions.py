"""Headless operator actions (refund, charge, payment methods, disputes) and the audit log.

Every action command takes one path (`_run`): re-read its target from Stripe, plan,
show the plan, confirm, execute, print the outcome. Exit codes: 0 done, 1 Stripe refused
(its message shown) or the payment did not complete, 2 refused before anything was sent.

console.cli imports this module at its top, so what this module needs from console.cli is
imported inside the functions; the Stripe SDK is only imported when an action runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from console.cli_types import Command

if TYPE_CHECKING:
    from sync.actions import Actions
    from sync.plans import ActionPlan


class _NotConfirmed(Exception):
    """The operator did not confirm (or could not be asked): nothing was attempted."""


# -- the one path every action command takes -------------------------------------------


def _make_actions(args: argparse.Namespace) -> Actions:
    from console.cli import make_actions, make_gateway, settings_from
    from ledger.db import open_ledger

    settings = settings_from(args)
    actions = make_actions(settings, make_gateway(settings))
    open_ledger(settings.ledger.path)
    return actions


def _run(args: argparse.Namespace, target: str, plan: Callable[[Actions], ActionPlan]) -> int:
    from console.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
    from sync.plans import ActionFailed, ActionRefused

    actions = _make_actions(args)
    try:
        if actions.refusal() is None:
            actions.refresh(target)  # plan against what Stripe says now, not a stale ledger
        chosen = plan(actions)
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


def _action_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true",
                        help="skip the confirmation question (not enough in LIVE mode)")
    parser.add_argument("--confirm", metavar="TEXT",
                        help="LIVE mode: the amount or id the confirmation asks you to type")
    parser.add_argument("--again", action="store_true",
                        help="repeat an identical action that already succeeded")


# -- refund and charge ----------------------------------------------------------------


def run_refund(args: argparse.Namespace) -> int:
    return _run(args, args.payment_id, lambda actions: actions.plan_refund(
        args.payment_id, args.amount, reason=args.reason, note=args.note, repeat=args.again))


def _refund_arguments(parser: argparse.ArgumentParser) -> None:
    from sync.actions_checks import REFUND_REASONS

    parser.add_argument("payment_id", metavar="PAYMENT_ID", help="pi_... or ch_...")
    parser.add_argument("--amount", help="in the payment's currency, e.g. 12.50 "
                        "(default: all that is left to refund)")
    parser.add_argument("--reason", help=f"one of {', '.join(REFUND_REASONS)}")
    parser.add_argument("--note", help="a note kept in the refund's metadata")
    _action_options(parser)


def run_charge(args: argparse.Namespace) -> int:
    return _run(args, args.customer_id, lambda actions: actions.plan_charge(
        args.customer_id, args.amount, args.currency, payment_method=args.payment_method,
        description=args.description, repeat=args.again))


def _charge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("customer_id", metavar="CUSTOMER_ID", help="cus_...")
    parser.add_argument("--amount", required=True, help="e.g. 25.00 (JPY: 2500, KWD: 2.500)")
    parser.add_argument("--currency", required=True, help="three-letter code, e.g. usd")
    parser.add_argument("--payment-method", metavar="PM_ID",
                        help="default: the customer's default, else their only card")
    parser.add_argument("--description")
    _action_options(parser)


# -- payment methods --------------------------------------------------------------------


def run_method_update(args: argparse.Namespace) -> int:
    return _run(args, args.pm_id, lambda actions: actions.plan_method_update(
        args.pm_id, exp_month=args.exp_month, exp_year=args.exp_year, name=args.name,
        email=args.email, postal_code=args.postal_code, repeat=args.again))


def _method_update_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pm_id", metavar="PM_ID")
    parser.add_argument("--exp-month", metavar="M", help="1 to 12")
    parser.add_argument("--exp-year", metavar="Y", help="e.g. 2030")
    parser.add_argument("--name", help='billing name ("" clears it)')
    parser.add_argument("--email", help='billing email ("" clears it)')
    parser.add_argument("--postal-code", help='billing postal code ("" clears it)')
    _action_options(parser)


def run_method_set_default(args: argparse.Namespace) -> int:
    return _run(args, args.pm_id,
                lambda actions: actions.plan_set_default(args.pm_id, repeat=args.again))


def run_method_detach(args: argparse.Namespace) -> int:
    return _run(args, args.pm_id,
                lambda actions: actions.plan_detach(args.pm_id, repeat=args.again))


def _pm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pm_id", metavar="PM_ID")
    _action_options(parser)


# -- disputes ---------------------------------------------------------------------------


def _evidence_field(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=TEXT, got {text!r}")
    return name.strip(), value


def run_dispute_evidence(args: argparse.Namespace) -> int:
    from console.cli import EXIT_BAD_INPUT

    fields = dict(args.field or [])
    if len(fields) < len(args.field or []):
        print("payconsole: refused: an evidence field was given twice", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _run(args, args.dispute_id, lambda actions: actions.plan_evidence(
        args.dispute_id, fields, submit=args.submit, repeat=args.again))


def _dispute_evidence_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dispute_id", metavar="DP_ID")
    parser.add_argument("--field", action="append", type=_evidence_field, metavar="NAME=TEXT",
                        help="an evidence text field, e.g. product_description=...; repeatable")
    parser.add_argument("--submit", action="store_true",
                        help="submit to the bank (usually possible once); default: save a draft")
    _action_options(parser)


def run_dispute_accept(args: argparse.Namespace) -> int:
    return _run(args, args.dispute_id,
                lambda actions: actions.plan_accept(args.dispute_id, repeat=args.again))


def _dispute_accept_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dispute_id", metavar="DP_ID")
    _action_options(parser)


# -- the audit log -----------------------------------------------------------------------


def run_audit_verify(args: argparse.Namespace) -> int:
    from console.cli import EXIT_FAILED, EXIT_OK, settings_from
    from ledger.audit import verify_chain
    from ledger.db import open_ledger

    open_ledger(settings_from(args).ledger.path, read_only=True)
    report = verify_chain()
    print(report, file=sys.stdout if report.ok else sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


# -- commands with sub-commands ----------------------------------------------------------


def _run_subcommand(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = args.subcommand
    return handler(args)


def _subcommands(commands: dict[str, Command]) -> Callable[[argparse.ArgumentParser], None]:
    """Adds `commands` under a parser, each with its own --help example."""

    def add(parser: argparse.ArgumentParser) -> None:
        from console.cli import _common_options

        sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
        for name, (handler, summary, example, add_arguments) in commands.items():
            child = sub.add_parser(
                name, help=summary, description=summary, epilog=f"example:\n  {example}",
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            _common_options(child)  # so --ledger etc. may follow the sub-command too
            add_arguments(child)
            child.set_defaults(subcommand=handler)

    return add


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


METHOD_COMMANDS: dict[str, Command] = {
    "update": (run_method_update, "change a card's expiry or billing details",
               "payconsole method update pm_123 --exp-month 4 --exp-year 2030 --postal-code 94107",
               _method_update_arguments),
    "set-default": (run_method_set_default, "make a payment method its customer's default",
                    "payconsole method set-default pm_123", _pm_arguments),
    "detach": (run_method_detach, "detach a payment method from its customer",
               "payconsole method detach pm_123 --yes", _pm_arguments),
}

DISPUTE_COMMANDS: dict[str, Command] = {
    "evidence": (run_dispute_evidence, "save dispute evidence as a draft, or submit it",
                 'payconsole dispute evidence dp_123 --field product_description="Blue mug, '
                 'shipped 2 May" --field shipping_date=2025-05-02 --submit --yes',
                 _dispute_evidence_arguments),
    "accept": (run_dispute_accept, "accept a dispute, conceding its amount (cannot be undone)",
               "payconsole dispute accept dp_123 --yes", _dispute_accept_arguments),
}

AUDIT_COMMANDS: dict[str, Command] = {
    "verify": (run_audit_verify, "check the audit log's hash chain; exit 1 where it breaks",
               "payconsole audit verify --ledger ledger.db", _no_arguments),
}

ACTION_COMMANDS: dict[str, Command] = {
    "refund": (run_refund, "refund a payment, fully or partly",
               "payconsole refund pi_123 --amount 12.50 --reason requested_by_customer --yes",
               _refund_arguments),
    "charge": (run_charge, "charge a customer's saved payment method (off-session)",
               "payconsole charge cus_123 --amount 25.00 --currency usd --yes",
               _charge_arguments),
    "method": (_run_subcommand, "update, set as default or detach a saved payment method",
               "payconsole method set-default pm_123", _subcommands(METHOD_COMMANDS)),
    "dispute": (_run_subcommand, "respond to a dispute: evidence, or accept it",
                "payconsole dispute accept dp_123 --yes", _subcommands(DISPUTE_COMMANDS)),
    "audit": (_run_subcommand, "the audit log of operator actions",
              "payconsole audit verify", _subcommands(AUDIT_COMMANDS)),
}
