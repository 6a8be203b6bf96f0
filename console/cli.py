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
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TextIO

from console.cli_actions import ACTION_COMMANDS
from console.cli_report import REPORT_COMMANDS
from console.cli_types import Command
from console.config import ConfigError, Settings, data_dir, load_settings
from ledger.db import LedgerError, open_ledger
from sync.secrets import redact

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

log = logging.getLogger("payconsole")

EPILOG_MAIN = """examples:
  payconsole                         open the console, syncing in the background
  payconsole --offline --ledger x.db review a ledger with no network at all
  payconsole sync --once             bring the ledger up to date and exit
  payconsole export payments --format csv --output payments.csv
  payconsole demo                    the console on a local emulator with demo data
"""


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="config file (default: $PAYCONSOLE_CONFIG, then the XDG path)")
    parser.add_argument("--ledger", metavar="FILE", default=argparse.SUPPRESS,
                        help="ledger database file (overrides [ledger] path)")
    parser.add_argument("--api-base", metavar="URL", default=argparse.SUPPRESS,
                        help="Stripe-compatible API base URL (overrides [stripe] api_base)")
    parser.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                        help="open the ledger file read-only, changing nothing (e.g. a copy "
                             "from another machine); implies --offline")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payconsole",
        description="A terminal operator console for Stripe, over a local ledger.",
        epilog=EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(parser)
    parser.add_argument("--offline", action="store_true",
                        help="open the ledger with no network at all (no sync, no actions)")
    parser.set_defaults(handler=run_console)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, (handler, summary, example, add_arguments) in COMMANDS.items():
        sub = commands.add_parser(
            name, help=summary, description=summary, epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _common_options(sub)
        add_arguments(sub)
        sub.set_defaults(handler=handler)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "ledger", None):
        overrides["ledger"] = {"path": args.ledger}
    if getattr(args, "api_base", None):
        overrides["stripe"] = {"api_base": args.api_base}
    return load_settings(getattr(args, "config", None), overrides)


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


def make_gateway(settings: Settings) -> Any:
    """The Stripe gateway for these settings (imports the Stripe SDK, so only when needed)."""
    from sync.gateway import StripeGateway

    return StripeGateway(
        require_api_key(settings),
        settings.stripe.api_base,
        requests_per_second=settings.stripe.requests_per_second,
        max_network_retries=settings.stripe.max_network_retries,
        timeout_seconds=settings.stripe.timeout_seconds,
    )


def make_actions(settings: Settings, gateway: Any) -> Any:
    """Operator actions with the authority these settings give (read-only, live)."""
    from sync.actions import Actions
    from sync.secrets import key_mode

    return Actions(
        gateway, settings.console.operator,
        read_only=settings.console.read_only,
        live=key_mode(require_api_key(settings)) == "live",
        allow_live_actions=settings.console.allow_live_actions,
    )


def make_sync_service(settings: Settings, gateway: Any = None) -> Any:
    from sync.service import SyncService, SyncSettings

    return SyncService(gateway or make_gateway(settings), SyncSettings(
        backfill_days=settings.sync.backfill_days,
        overlap_seconds=settings.sync.overlap_seconds,
    ))


def open_existing_ledger(args: argparse.Namespace, settings: Settings) -> None:
    """For commands that only read: the ledger must exist; `--read-only` changes nothing
    in it, otherwise it is migrated like any other opening."""
    path = Path(settings.ledger.path).expanduser()
    if not path.exists():
        raise LedgerError(f"no ledger at {path} (run `payconsole sync --once` first)")
    open_ledger(path, read_only=getattr(args, "read_only", False))


# -- commands -----------------------------------------------------------------------


def run_console(args: argparse.Namespace) -> int:
    from console.context import ConsoleContext, Mode

    settings = settings_from(args)
    context = ConsoleContext(
        ledger_path=settings.ledger.path, mode=Mode.OFFLINE,
        operator=settings.console.operator, keymap=settings.console.keymap,
    )
    read_only = getattr(args, "read_only", False)
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
        context.services.extend(_webhook_receivers(settings, service))
        context.actions = make_actions(settings, gateway)
    open_ledger(settings.ledger.path, read_only=read_only)
    _log_to_file(data_dir() / "payconsole.log")
    return _run_app(context)


def _webhook_receivers(settings: Settings, service: Any) -> list[Any]:
    """The webhook receiver, when [webhook] has a secret; it feeds `service`'s apply path."""
    secret = settings.webhook_secret()
    if not secret:
        return []
    from sync.webhook import WebhookReceiver

    host, port = settings.webhook.address()
    return [WebhookReceiver(secret, service.apply_pushed, host=host, port=port,
                            max_body_bytes=settings.webhook.max_body_bytes)]


def _run_app(context: Any) -> int:
    from console.app import PayConsoleApp

    PayConsoleApp(context).run()
    return EXIT_OK


def run_sync(args: argparse.Namespace) -> int:
    from sync.service import SyncError

    settings = settings_from(args)
    service = make_sync_service(settings)
    open_ledger(settings.ledger.path)
    if args.once:
        try:
            print(service.run_once())
        except SyncError as exc:
            print(f"payconsole: sync failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK
    return _sync_forever(service, settings.sync.interval_seconds,
                         _webhook_receivers(settings, service))


def _sync_forever(service: Any, interval: float, receivers: list[Any]) -> int:
    import asyncio

    from sync.scheduler import Job, JobScheduler
    from sync.webhook import WebhookError

    def report(result: Any, error: BaseException | None) -> None:
        if error is not None:
            print(f"sync failed: {error}", flush=True)
        elif result is not None:  # None: a run skipped while backing off
            print(result, flush=True)

    async def forever() -> None:
        for receiver in receivers:
            await receiver.start()
            print(f"receiving webhooks at {receiver.url}", flush=True)
        scheduler = JobScheduler([Job("sync", service.run_due, interval, report)])
        scheduler.start()
        try:
            await asyncio.Event().wait()
        finally:
            scheduler.shutdown()
            for receiver in receivers:
                await receiver.stop()

    print(f"syncing every {interval:g}s; Ctrl-C stops", flush=True)
    try:
        asyncio.run(forever())
    except WebhookError as exc:
        print(f"payconsole: {exc}", file=sys.stderr)
        return EXIT_FAILED
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


def output(path: str | None) -> AbstractContextManager[TextIO]:
    if path is None:
        return nullcontext(sys.stdout)
    return open(path, "w", encoding="utf-8", newline="")


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


def run_emulator(args: argparse.Namespace) -> int:
    from sync.emulator.launcher import main as emulator_main

    argv = ["--port", str(args.port)]
    if args.state:
        argv += ["--state", args.state]
    if args.no_persist:
        argv.append("--no-persist")
    return emulator_main(argv)


def _emulator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--state", metavar="FILE", help="keep the emulator's data in FILE")
    state.add_argument("--no-persist", action="store_true", help="keep nothing on disk")


def run_demo(args: argparse.Namespace) -> int:
    from console.demo import run_demo as demo

    settings = settings_from(args)
    return demo(settings, fresh=args.fresh, run_app=_run_app)


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fresh", action="store_true",
                        help="forget the demo's ledger and emulator data and start over")


COMMANDS: dict[str, Command] = {
    "sync": (run_sync, "bring the ledger up to date with Stripe (headless)",
             "payconsole sync --once", _sync_arguments),
    "export": (run_export, "write a ledger table as JSON lines or CSV",
               "payconsole export payments --format jsonl --output payments.jsonl",
               _export_arguments),
    "emulator": (run_emulator, "run the local Stripe emulator alone on 127.0.0.1",
                 "payconsole emulator --port 12111 --no-persist", _emulator_arguments),
    "demo": (run_demo, "the console on a local emulator seeded with a month of test data",
             "payconsole demo --fresh", _demo_arguments),
    **ACTION_COMMANDS,
    **REPORT_COMMANDS,
}


def _log_to_file(path: Path) -> None:
    """The console owns the terminal, so its log goes to a file, secrets redacted."""
    from sync.secrets import RedactingFilter

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def _log_to_stderr() -> None:
    from sync.secrets import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _log_to_stderr()
    try:
        return args.handler(args)
    except (ConfigError, LedgerError) as exc:
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
        _log_to_file(log_path)
        log.exception("unexpected error")
        print(f"payconsole: unexpected error: {redact(f'{type(exc).__name__}: {exc}')} "
              f"(traceback in {log_path})", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
