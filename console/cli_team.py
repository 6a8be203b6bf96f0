"""Team mode from the command line: `team init` (an owner sets the ledger up), `operators`
(admins manage who may do what), `whoami`, and `approvals` (the four-eyes queue).

Everything an operator changes goes through a request the team's sync service carries out
(operators hold no write grant but on requests and approvals); the commands wait for the
outcome like the action commands: exit 0 done, 1 refused or failed, 2 bad input, 3 still
waiting (the request id is printed)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from console.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_WAITING,
    Command,
    settings_from,
)
from console.errors import ConfigError
from ledger import requests, team
from ledger.db import open_ledger
from ledger.money import format_amount
from ledger.requests import Request
from ledger.team import Limit, Operator, TeamError, operator_role
from ledger.team_setup import SERVICE_ROLE, grant_operator, init_team
from sync import team_operators, team_rules
from sync.plans import ActionError, ActionWaiting
from sync.team_actions import outcome_of, wait_for_request


def _open_team(args: argparse.Namespace) -> str:
    """Open the ledger; the operator's role, or a ConfigError off a team ledger."""
    settings = settings_from(args)
    open_ledger(settings.ledger.location)
    role = operator_role()
    if role is None:
        raise ConfigError("this is not a team ledger as an operator: connect with your own "
                          "PostgreSQL role to a ledger that `payconsole team init` set up")
    return role


def _finish(request_id: int, wait: float) -> int:
    """Wait for a request's outcome and say it, with the exit code it deserves."""
    try:
        result = outcome_of(wait_for_request(request_id, wait))
    except ActionWaiting as exc:
        print(f"payconsole: waiting: {exc}", file=sys.stderr)
        print(f"request {request_id}")
        return EXIT_WAITING
    except ActionError as exc:
        print(f"payconsole: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(result.message)
    return EXIT_OK if result.ok else EXIT_FAILED


def _wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", metavar="SECONDS", type=float, default=60.0,
                        help="how long to wait for the service's outcome (default 60); "
                             "exit 3 with the request id if it is still waiting")


# -- team init ---------------------------------------------------------------------------

def run_init(args: argparse.Namespace) -> int:
    db = open_ledger(args.admin_url)
    created = init_team(db, args.service_role)
    print(f"team ledger ready: service role {args.service_role}, operators' group "
          f"payconsole_operator ({', '.join(created) if created else 'nothing new created'})")
    if args.admin:
        grant_operator(db, args.admin)
        team.save_operator(Operator(args.admin, ("admin",)), by=team.current_role())
        print(f"{args.admin} is an admin operator")
    return EXIT_OK


def _init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--admin-url", required=True, metavar="URL",
                        help="a PostgreSQL URL of the ledger's owner (creates roles, grants)")
    parser.add_argument("--service-role", default=SERVICE_ROLE, metavar="NAME",
                        help=f"the sync service's database role (default {SERVICE_ROLE})")
    parser.add_argument("--admin", metavar="ROLE",
                        help="make this existing login role the first admin operator")


# -- operators ---------------------------------------------------------------------------

def _limits(args: argparse.Namespace) -> dict[str, Limit]:
    found: dict[str, Limit] = {}
    for text in args.refund_limit or ():
        currency, amount = team.parse_limit(text)
        found[currency] = Limit(amount, found.get(currency, Limit()).daily)
    for text in args.daily_limit or ():
        currency, amount = team.parse_limit(text)
        found[currency] = Limit(found.get(currency, Limit()).refund, amount)
    return found


def _change(verb: str) -> Command:
    def run(args: argparse.Namespace) -> int:
        _open_team(args)
        roles = team.parse_roles(args.role) if getattr(args, "role", None) else ()
        limits = _limits(args) if verb != team_operators.REMOVE else {}
        if verb == team_operators.ADD and not roles:
            raise TeamError("give the new operator at least one --role")
        return _finish(team_operators.request_change(verb, args.name, roles, limits), args.wait)

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", metavar="NAME", help="the operator's PostgreSQL role")
        if verb != team_operators.REMOVE:
            parser.add_argument("--role", action="append", metavar="ROLE",
                                help=f"one of {', '.join(team.ROLES)} (repeat, or a,b)")
            parser.add_argument("--refund-limit", action="append", metavar="AMOUNT:CUR",
                                help="most one refund may be without approval, e.g. 200.00:usd")
            parser.add_argument("--daily-limit", action="append", metavar="AMOUNT:CUR",
                                help="most this operator refunds per UTC day, e.g. 1000.00:usd")
        _wait_option(parser)

    summaries = {"add": "make a PostgreSQL role an operator, with roles and limits",
                 "set": "change an operator's roles or limits",
                 "remove": "stop a role being an operator"}
    return Command(summaries[verb], f"payconsole operators {verb} alice --role support "
                   "--refund-limit 200.00:usd --daily-limit 1000.00:usd", run, arguments)


def run_list_operators(args: argparse.Namespace) -> int:
    open_ledger(settings_from(args).ledger.location, read_only=True)
    for op in team.operators():
        print(f"{op.name}\t{','.join(op.roles)}\t{op.describe_limits()}")
    return EXIT_OK


def run_whoami(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    open_ledger(settings.ledger.location, read_only=True)
    role = operator_role()
    if role is None:
        print(f"{settings.console.operator} (not a team's operator: actions go straight to "
              "Stripe under this configuration's key)")
        return EXIT_OK
    op = team.operator(role)
    if op is None:
        print(team_rules.not_an_operator(role), file=sys.stderr)
        return EXIT_FAILED
    print(f"{op.name}: {', '.join(op.roles)}; {op.describe_limits()}")
    now = int(time.time())
    for currency in sorted(op.limits):
        room = team_rules.refund_room(op, currency, now)
        if room is not None:
            print(f"left today (UTC) in {currency.upper()}: {format_amount(room, currency)}")
    return EXIT_OK


# -- approvals ---------------------------------------------------------------------------

def _record(req: Request) -> dict[str, Any]:
    return {"id": req.id, "requested_by": req.requested_by, "action": req.action,
            "target": req.target, "amount": req.amount, "currency": req.currency,
            "requested_at": req.requested_at, "status": req.status, "why": req.message,
            "summary": req.summary}


def run_list_approvals(args: argparse.Namespace) -> int:
    open_ledger(settings_from(args).ledger.location, read_only=True)
    waiting = requests.requests_in([requests.AWAITING_APPROVAL])
    if args.format == "json":
        json.dump([_record(req) for req in waiting], sys.stdout, indent=2)
        print()
        return EXIT_OK
    now = time.time()
    for req in waiting:
        amount = (format_amount(req.amount, req.currency)
                  if req.amount is not None and req.currency else "-")
        age = f"{int((now - req.requested_at) // 60)}m"
        print(f"{req.id}\t{req.requested_by}\t{req.action}\t{req.target}\t{amount}\t{age}\t"
              f"{req.message}")
    return EXIT_OK


def _decide(decision: str) -> Command:
    def run(args: argparse.Namespace) -> int:
        role = _open_team(args)
        req = requests.request(args.id)
        problem = team_rules.approval_problem(role, req)
        if problem:
            print(f"payconsole: refused: {problem}", file=sys.stderr)
            return EXIT_BAD_INPUT
        requests.insert_approval(args.id, decision, args.reason or "")
        return _finish(args.id, args.wait)

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("id", type=int, metavar="ID", help="the request's id")
        parser.add_argument("--reason", required=decision == requests.REJECT, metavar="TEXT",
                            help="why (required to reject)")
        _wait_option(parser)

    verb = "approve" if decision == requests.APPROVE else "reject"
    return Command(f"{verb} another operator's request",
                   f"payconsole approvals {verb} 12" + (" --reason 'not our customer'"
                                                        if verb == "reject" else ""),
                   run, arguments)


def _list_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


TEAM_COMMANDS: dict[str, Command] = {
    "team": Command("set a PostgreSQL ledger up for a team", "payconsole team init "
                    "--admin-url postgresql://owner@db/payments --admin alice",
                    subcommands={"init": Command(
                        "create the service and operator roles and their grants (idempotent)",
                        "payconsole team init --admin-url postgresql://owner@db/payments",
                        run_init, _init_arguments)}),
    "operators": Command("who may do what on a team ledger (admins change it)",
                         "payconsole operators list", subcommands={
                             "add": _change(team_operators.ADD),
                             "set": _change(team_operators.SET),
                             "remove": _change(team_operators.REMOVE),
                             "list": Command("the operators, roles and limits",
                                             "payconsole operators list", run_list_operators)}),
    "whoami": Command("this operator, their roles and what is left of today's limits",
                      "payconsole whoami", run_whoami),
    "approvals": Command("requests waiting for a second operator", "payconsole approvals list",
                         subcommands={
                             "list": Command("requests waiting for approval",
                                             "payconsole approvals list --format json",
                                             run_list_approvals, _list_format),
                             "approve": _decide(requests.APPROVE),
                             "reject": _decide(requests.REJECT)}),
}
