"""What every `payconsole` command shares: the command table's shape, the common options,
exit codes, settings, the ledger, output, and the factories for Stripe-facing objects.

The command modules (cli, cli_actions, cli_report, cli_demo) import this one and never each
other. The Stripe SDK is imported by the factories' bodies only, so the commands that never
talk to Stripe (`--offline`, `export`, `report`, `--help`) never load it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from console.config import Settings, data_dir, load_settings
from console.errors import ConfigError
from ledger.db import LedgerError, open_ledger
from ledger.locations import is_postgres_url
from ledger.team import operator_role

if TYPE_CHECKING:
    from console.context import ConsoleContext
    from sync.action_desk import ActionDesk
    from sync.actions import Actions
    from sync.deadline_alerts import AlertSettings
    from sync.gateway import StripeGateway
    from sync.plans import ActionPlan
    from sync.service import SyncService
    from sync.team_service import RequestRunner

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_WAITING = 3  # a team request is still waiting (for an approval, or for the service)

Handler = Callable[[argparse.Namespace], int]
AddArguments = Callable[[argparse.ArgumentParser], None]


def no_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


@dataclass(frozen=True)
class Command:
    """One `payconsole` command: its --help summary and example, the handler that runs it
    and its own arguments; or, with `subcommands`, a group whose sub-command runs."""

    summary: str
    example: str
    handler: Handler | None = None
    add_arguments: AddArguments = no_arguments
    subcommands: Mapping[str, Command] = field(default_factory=dict)


def common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="config file (default: $PAYCONSOLE_CONFIG, then the XDG path)")
    parser.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS,
                        help="the [profiles.NAME] settings of the config file (default: "
                             "$PAYCONSOLE_PROFILE, else none)")
    parser.add_argument("--ledger", metavar="FILE|URL", default=argparse.SUPPRESS,
                        help="the ledger: an SQLite file, or a postgresql:// URL (overrides "
                             "[ledger] path and url)")
    parser.add_argument("--ledger-url", metavar="URL", dest="ledger", default=argparse.SUPPRESS,
                        help="a team ledger on PostgreSQL (overrides [ledger] url)")
    parser.add_argument("--api-base", metavar="URL", default=argparse.SUPPRESS,
                        help="Stripe-compatible API base URL (overrides [stripe] api_base)")
    parser.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                        help="open the ledger file read-only, changing nothing (e.g. a copy "
                             "from another machine); implies --offline")


def add_commands(parser: argparse.ArgumentParser, commands: Mapping[str, Command], *,
                 required: bool = False) -> None:
    """Each of `commands` as a sub-command of `parser`, with its --help example and the
    common options (so --ledger etc. may follow the sub-command too); groups recurse."""
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=required)
    for name, command in commands.items():
        child = sub.add_parser(
            name, help=command.summary, description=command.summary,
            epilog=f"example:\n  {command.example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        common_options(child)
        command.add_arguments(child)
        if command.handler is not None:
            child.set_defaults(handler=command.handler)
        if command.subcommands:
            add_commands(child, command.subcommands, required=True)


# -- settings, ledger, output ----------------------------------------------------------


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if location := getattr(args, "ledger", None):
        overrides["ledger"] = ({"url": location} if is_postgres_url(location)
                               else {"path": location, "url": None})
    if getattr(args, "api_base", None):
        overrides["stripe"] = {"api_base": args.api_base}
    return load_settings(getattr(args, "config", None), overrides,
                         getattr(args, "profile", None))


def require_api_key(settings: Settings) -> str:
    key = settings.api_key()
    if not key:
        raise ConfigError(
            "config: stripe.api_key: not set (set STRIPE_API_KEY, or api_key in the "
            "[stripe] section of the config file)"
        )
    if not key.startswith(("sk_", "rk_")):
        raise ConfigError("config: stripe.api_key: must be a secret (sk_) or restricted (rk_) key")
    return key


def open_existing_ledger(args: argparse.Namespace, settings: Settings) -> None:
    """For commands that only read: the ledger must exist; `--read-only` changes nothing
    in it, otherwise it is migrated like any other opening."""
    ledger = settings.ledger
    if ledger.is_file and not ledger.path.expanduser().exists():
        raise LedgerError(f"no ledger at {ledger.shown} (run `payconsole sync --once` first)")
    open_ledger(ledger.location, read_only=getattr(args, "read_only", False))


def output(path: str | None) -> AbstractContextManager[TextIO]:
    if path is None:
        return nullcontext(sys.stdout)
    return open(path, "w", encoding="utf-8", newline="")


def run_app(context: ConsoleContext) -> int:
    from console.app import PayConsoleApp

    log_to_file(data_dir() / "payconsole.log")
    PayConsoleApp(context).run()
    return EXIT_OK


def log_to_file(path: Path) -> None:
    """Log to a file, secrets redacted (the console owns the terminal: a line on stderr
    would be drawn over the screen)."""
    from sync.secrets import RedactingFilter

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


# -- the objects that talk to Stripe (their modules import the SDK) --------------------


def make_gateway(settings: Settings) -> StripeGateway:
    from sync.gateway import StripeGateway

    return StripeGateway(
        require_api_key(settings),
        settings.stripe.api_base,
        requests_per_second=settings.stripe.requests_per_second,
        max_network_retries=settings.stripe.max_network_retries,
        timeout_seconds=settings.stripe.timeout_seconds,
    )


def make_actions(settings: Settings, gateway: StripeGateway) -> Actions:
    """Operator actions with the authority these settings give (read-only, live)."""
    from sync.actions import Actions
    from sync.secrets import key_mode

    return Actions(
        gateway, settings.console.operator,
        read_only=settings.console.read_only,
        live=key_mode(require_api_key(settings)) == "live",
        allow_live_actions=settings.console.allow_live_actions,
    )


def make_desk(settings: Settings, *, read_only: bool = False,
              wait_seconds: float | None = None) -> ActionDesk:
    """The operator's actions on the open ledger: through the team's service when this is
    an operator of a team ledger (no Stripe key needed), else direct, under this key."""
    role = operator_role()
    if role is None:
        return make_actions(settings, make_gateway(settings))
    from ledger import team
    from sync.team_actions import RequestedActions

    return RequestedActions(role, read_only=read_only or settings.console.read_only,
                            live=team.settings().live,
                            wait_seconds=(settings.team.wait_seconds if wait_seconds is None
                                          else wait_seconds))


def make_request_runner(settings: Settings, gateway: StripeGateway) -> RequestRunner | None:
    """On a team ledger opened as its service: what runs the operators' requests."""
    from ledger import team

    if team.service_role() is None or operator_role() is not None:
        return None
    from ledger.leader import identity
    from sync.actions import Actions
    from sync.secrets import key_mode
    from sync.team_service import RequestRunner

    live = key_mode(require_api_key(settings)) == "live"

    def actions_for(requester: str, request_id: int) -> Actions:
        return Actions(gateway, requester, live=live, request_id=request_id,
                       allow_live_actions=settings.console.allow_live_actions)

    rules = team.TeamSettings(tuple(settings.team.require_approval),
                              settings.team.approval_hours, live)
    return RequestRunner(actions_for, rules, identity())


def alert_settings(settings: Settings) -> AlertSettings:
    from sync.deadline_alerts import AlertSettings

    alerts = settings.alerts
    return AlertSettings(alerts.thresholds(), tuple(alerts.command),
                         alerts.command_timeout_seconds)


def make_sync_service(settings: Settings, gateway: StripeGateway | None = None) -> SyncService:
    from ledger.leader import Leadership
    from sync.service import SyncService, SyncSettings

    url = settings.ledger.url
    return SyncService(gateway or make_gateway(settings), SyncSettings(
        backfill_days=settings.sync.backfill_days,
        overlap_seconds=settings.sync.overlap_seconds,
    ), leadership=Leadership(url) if url else None)


# -- the one path every operator action command takes ---------------------------------

# Plans the action on `args.target` (the positional id every action command takes).
Planner = Callable[["ActionDesk", argparse.Namespace], "ActionPlan"]


class _NotConfirmed(Exception):
    """The operator did not confirm (or could not be asked): nothing was attempted."""


def _make_desk(args: argparse.Namespace) -> ActionDesk:
    settings = settings_from(args)
    open_ledger(settings.ledger.location)
    return make_desk(settings, wait_seconds=args.wait)


def _run(args: argparse.Namespace, plan: Planner) -> int:
    from sync.plans import ActionFailed, ActionRefused, ActionWaiting

    actions = _make_desk(args)
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
    except ActionWaiting as exc:
        print(f"payconsole: waiting: {exc}", file=sys.stderr)
        print(f"request {exc.request_id}")
        return EXIT_WAITING
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


def action_command(summary: str, example: str, target: str, plan: Planner,
                          add_arguments: AddArguments | None = None, *,
                   target_help: str | None = None) -> Command:
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
        parser.add_argument("--wait", metavar="SECONDS", type=float, default=None,
                            help="on a team ledger: how long to wait for the service's "
                                 "outcome (default [team] wait_seconds, 60); exit 3 with "
                                 "the request id if it is still waiting")

    return Command(summary, example, lambda args: _run(args, plan), arguments)
