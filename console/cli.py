"""`payconsole`: the console, and its headless commands for scripts and runbooks.

Textual and the Stripe SDK are imported only by the commands that use them, so
`payconsole --offline`, `export` and `--help` start fast and never touch the network.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from console.cli_actions import ACTION_COMMANDS
from console.cli_alerts import ALERTS_COMMANDS
from console.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    Command,
    Handler,
    add_commands,
    alert_settings,
    common_options,
    log_to_file,
    make_actions,
    make_desk,
    make_gateway,
    make_request_runner,
    make_sync_service,
    open_existing_ledger,
    output,
    require_api_key,
    run_app,
    settings_from,
)
from console.cli_demo import DEMO_COMMANDS
from console.cli_efw import EFW_COMMANDS
from console.cli_ledger import LEDGER_COMMANDS
from console.cli_payouts import PAYOUT_COMMANDS
from console.cli_reconcile import RECONCILE_COMMANDS
from console.cli_report import REPORT_COMMANDS
from console.cli_status import STATUS_COMMANDS
from console.cli_sync import SYNC_COMMANDS, reconcile_jobs, request_job, webhook_receivers
from console.cli_team import TEAM_COMMANDS
from console.config import Settings, data_dir
from console.errors import ConfigError
from ledger.db import LedgerError, open_ledger
from ledger.team import TeamError, operator_role
from sync.secrets import redact

if TYPE_CHECKING:
    from console.context import ConsoleContext
    from sync.service import SyncService

log = logging.getLogger("payconsole")

EPILOG_MAIN = """examples:
  payconsole                         open the console, syncing in the background
  payconsole --offline --ledger x.db review a ledger with no network at all
  payconsole sync --once             bring the ledger up to date and exit
  payconsole export payments --format csv --output payments.csv
  payconsole demo                    the console on a local emulator with demo data
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payconsole",
        description="A terminal operator console for Stripe, over a local ledger.",
        epilog=EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_options(parser)
    parser.add_argument("--offline", action="store_true",
                        help="open the ledger with no network at all (no sync, no actions)")
    parser.set_defaults(handler=run_console)
    add_commands(parser, COMMANDS)
    return parser


# -- commands -----------------------------------------------------------------------


def run_console(args: argparse.Namespace) -> int:
    from console.context import ConsoleContext, Mode

    settings = settings_from(args)
    context = ConsoleContext(
        ledger_location=settings.ledger.location, mode=Mode.OFFLINE,
        operator=settings.console.operator, keymap=settings.console.keymap,
    )
    read_only = getattr(args, "read_only", False)
    service: SyncService | None = None
    if settings.ledger.url and not args.offline and _team_console(context, settings, read_only):
        return run_app(context)
    if not (args.offline or read_only):
        from sync.scheduler import Job
        from sync.secrets import key_mode

        gateway = make_gateway(settings)
        live = key_mode(require_api_key(settings)) == "live"
        context.mode = Mode.LIVE if live else Mode.TEST
        service = make_sync_service(settings, gateway)
        # run_due: after failures the sync backs off instead of calling every interval.
        context.jobs.append(Job("sync", service.run_due, settings.sync.interval_seconds,
                                wake=service.retry_now))
        context.jobs += reconcile_jobs(settings, service)
        if settings.ledger.url:  # a team's service may work its requests from a console too
            context.jobs += request_job(service, make_request_runner(settings, gateway),
                                         settings.sync.interval_seconds, None)
        context.services.extend(webhook_receivers(settings, service))
        context.actions = make_actions(settings, gateway)
        context.alerts = alert_settings(settings)
    open_ledger(settings.ledger.location, read_only=read_only)
    if settings.ledger.url:
        from sync.team import TeamLedger

        context.team = TeamLedger(settings.ledger.url, service)
    return run_app(context)


def _team_console(context: ConsoleContext, settings: Settings, read_only: bool) -> bool:
    """An operator's console on a team ledger: no Stripe key, no sync; actions become
    requests the team's service runs. False when this is not one (the ledger is opened)."""
    open_ledger(settings.ledger.location, read_only=read_only)
    role = operator_role()
    if role is None or settings.ledger.url is None:
        return False
    from console.context import Mode
    from ledger import team
    from sync.team import TeamLedger

    context.mode = Mode.LIVE if team.settings().live else Mode.TEST
    context.operator = role
    context.actions = make_desk(settings, read_only=read_only)
    context.team = TeamLedger(settings.ledger.url)
    return True


def run_export(args: argparse.Namespace) -> int:
    from ledger.export import EXPORTS, export
    from ledger.filters import FilterError, filter_from_options

    try:
        chosen = filter_from_options(
            since=args.since, until=args.until, status=",".join(args.status or ()),
            currency=args.currency, customer=args.customer,
        )
        chosen.condition(EXPORTS[args.kind].table)  # refuse before creating the output file
    except FilterError as exc:
        print(f"payconsole: export {args.kind}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = settings_from(args)
    open_existing_ledger(args, settings)
    with output(args.output) as out:
        count = export(args.kind, args.format, out, chosen)
    if args.output:
        print(f"wrote {count} {args.kind} to {args.output}", file=sys.stderr)
    return EXIT_OK


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    from ledger.export import EXPORTS

    parser.add_argument("kind", choices=sorted(EXPORTS), help="what to export")
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument("--since", metavar="DATE",
                        help="created on or after: 2026-11-01 (UTC midnight) or an ISO time")
    parser.add_argument("--until", metavar="DATE",
                        help="created before the end of this UTC day, or before an ISO time")
    parser.add_argument("--status", action="append", metavar="STATUS",
                        help="only this status (repeat, or comma-separate, for several)")
    parser.add_argument("--currency", metavar="CODE", help="only this currency, e.g. usd")
    parser.add_argument("--customer", metavar="ID", help="only this customer (cus_...)")


COMMANDS: dict[str, Command] = {
    **SYNC_COMMANDS,
    "export": Command("write a ledger table as JSON lines or CSV",
                      "payconsole export payments --format jsonl --output payments.jsonl",
                      run_export, _export_arguments),
    **DEMO_COMMANDS,
    **ACTION_COMMANDS,
    **PAYOUT_COMMANDS,
    **REPORT_COMMANDS,
    **RECONCILE_COMMANDS,
    **STATUS_COMMANDS,
    **LEDGER_COMMANDS,
    **EFW_COMMANDS,
    **ALERTS_COMMANDS,
    **TEAM_COMMANDS,
}


def _log_to_stderr() -> None:
    from sync.secrets import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _log_to_stderr()
    handler: Handler = args.handler
    try:
        return handler(args)
    except (ConfigError, LedgerError, TeamError) as exc:
        print(f"payconsole: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`payconsole export ... | head`): not an error. Point stdout
        # at /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        # A bug: one redacted line for the operator, the redacted traceback in the log file.
        log_path = data_dir() / "payconsole.log"
        log_to_file(log_path)
        log.exception("unexpected error")
        print(f"payconsole: unexpected error: {redact(f'{type(exc).__name__}: {exc}')} "
              f"(traceback in {log_path})", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
