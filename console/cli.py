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
    team_operator,
)
from console.cli_demo import DEMO_COMMANDS
from console.cli_efw import EFW_COMMANDS
from console.cli_ledger import LEDGER_COMMANDS
from console.cli_payouts import PAYOUT_COMMANDS
from console.cli_reconcile import RECONCILE_COMMANDS
from console.cli_report import REPORT_COMMANDS
from console.cli_status import STATUS_COMMANDS
from console.cli_team import TEAM_COMMANDS
from console.config import Settings, data_dir
from console.errors import ConfigError
from ledger.db import LedgerError, open_ledger
from ledger.team import TeamError
from sync.secrets import redact

if TYPE_CHECKING:
    from console.context import ConsoleContext
    from ledger.notify import ChangeFeed
    from sync.scheduler import Job, JobScheduler, Outcome
    from sync.service import SyncService
    from sync.team_service import RequestRunner
    from sync.webhook import WebhookReceiver

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
        context.jobs += _reconcile_jobs(settings, service)
        context.services.extend(_webhook_receivers(settings, service))
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
    role = team_operator()
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


def _request_feed(settings: Settings, scheduler: JobScheduler) -> ChangeFeed:
    """A new request or approval runs the requests job at once, not at the next interval."""
    import asyncio

    from ledger.notify import ChangeFeed

    assert settings.ledger.url is not None  # team mode is PostgreSQL
    loop = asyncio.get_running_loop()

    def wake() -> None:
        loop.call_soon_threadsafe(scheduler.run_now, "requests")

    feed = ChangeFeed(settings.ledger.url, wake, tables=("action_request", "request_approval"))
    feed.start()
    return feed


def _webhook_receivers(settings: Settings, service: SyncService) -> list[WebhookReceiver]:
    """The webhook receiver, when [webhook] has a secret; it feeds `service`'s apply path."""
    secret = settings.webhook_secret()
    if not secret:
        return []
    from sync.webhook import WebhookReceiver

    host, port = settings.webhook.address()
    return [WebhookReceiver(secret, service.apply_pushed, host=host, port=port,
                            max_body_bytes=settings.webhook.max_body_bytes)]


def _reconcile_jobs(settings: Settings, service: SyncService,
                    on_done: Outcome | None = None) -> list[Job]:
    """The scheduled reconcile (repairing, recording its summary) unless it is off; the
    first run waits a period, so it never races the first sync's backfill."""
    if not settings.sync.reconcile_every:
        return []
    from sync.reconcile import scheduled_reconcile
    from sync.scheduler import Job

    def work() -> object:
        # A follower leaves the repairs to the leader, like the sync itself.
        if not service.leads():
            return None
        return scheduled_reconcile(service.gateway, days=settings.sync.reconcile_days)

    return [Job("reconcile", work, settings.sync.reconcile_every, on_done, run_at_start=False)]


def run_sync(args: argparse.Namespace) -> int:
    from sync.service import SyncError

    settings = settings_from(args)
    open_ledger(settings.ledger.location)
    if (role := team_operator()) is not None:
        print(f"payconsole: {role} is an operator of this team ledger: only its sync service's "
              "role runs the sync (your requests reach it through the ledger)", file=sys.stderr)
        return EXIT_BAD_INPUT
    service = make_sync_service(settings)
    runner = make_request_runner(settings, service.gateway)
    if args.once:
        if not service.leads():
            print(f"{service.role}: the leader syncs this ledger; nothing to do")
            return EXIT_OK
        try:
            print(service.run_once())
        except SyncError as exc:
            print(f"payconsole: sync failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        if runner is not None:
            print(f"requests: {runner.run_once()} moved")
        return EXIT_OK
    return _sync_forever(service, settings, _webhook_receivers(settings, service), runner)


def _request_job(service: SyncService, runner: RequestRunner | None, every: float,
                 on_done: Outcome) -> list[Job]:
    """The team service's pass over the operators' requests, when this process leads."""
    if runner is None:
        return []
    from sync.scheduler import Job

    def work() -> str | None:
        moved = runner.run_once() if service.leads() else 0
        return f"requests: {moved} moved" if moved else None

    return [Job("requests", work, every, on_done)]


def _sync_forever(service: SyncService, settings: Settings,
                  receivers: list[WebhookReceiver], runner: RequestRunner | None = None) -> int:
    import asyncio

    from sync.account import AccountRefused
    from sync.scheduler import Job, JobScheduler
    from sync.webhook import WebhookError

    stop = asyncio.Event()  # set by a refusal no later run could overcome (another account)
    refused: list[AccountRefused] = []
    roles: list[str | None] = [None]  # leader / following host:pid, printed as it changes

    def reporter(job: str) -> Outcome:
        def report(result: object, error: BaseException | None) -> None:
            if isinstance(error, AccountRefused):
                refused.append(error)
                stop.set()
            elif error is not None:
                print(f"{job} failed: {error}", flush=True)
            elif result is not None:  # None: a run skipped (backing off, or following)
                print(result, flush=True)
            if service.role != roles[-1]:
                roles.append(service.role)
                print(f"sync: {service.role}", flush=True)

        return report

    interval = settings.sync.interval_seconds
    jobs = [Job("sync", service.run_due, interval, reporter("sync")),
            *_reconcile_jobs(settings, service, reporter("reconcile")),
            *_request_job(service, runner, interval, reporter("requests"))]

    async def forever() -> None:
        for receiver in receivers:
            await receiver.start()
            print(f"receiving webhooks at {receiver.url}", flush=True)
        scheduler = JobScheduler(jobs)
        scheduler.start()
        feed = _request_feed(settings, scheduler) if runner is not None else None
        try:
            await stop.wait()
        finally:
            if feed is not None:
                feed.stop()
            scheduler.shutdown()
            for receiver in receivers:
                await receiver.stop()

    print(f"syncing every {interval:g}s; Ctrl-C stops", flush=True)
    try:
        asyncio.run(forever())
    except WebhookError as exc:
        print(f"payconsole: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if refused:
        print(f"payconsole: {refused[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="one sync run, then exit")


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
    "sync": Command("bring the ledger up to date with Stripe (headless)",
                    "payconsole sync --once", run_sync, _sync_arguments),
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
