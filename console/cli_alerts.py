"""`payconsole alerts`: dispute deadline alerts headless, for cron. Reads the ledger (kept
fresh by `payconsole sync` or the console), prints each dispute that newly crossed an
`[alerts] dispute_due_within` threshold, runs `[alerts] command` for it, and records it,
so neither a later run nor a console alerts for it again. No network, no Stripe key."""

from __future__ import annotations

import argparse
import sys
import time

from console.cli_common import EXIT_OK, Command, alert_settings, settings_from
from ledger.db import open_ledger
from sync.deadline_alerts import AlertSettings, send_deadline_alerts

CHECK_EVERY_SECONDS = 60.0


def _alert_once(settings: AlertSettings) -> None:
    for sent in send_deadline_alerts(settings, time.time()):
        print(sent.crossing.describe(), flush=True)
        if sent.command_failure is not None:
            print(f"payconsole: {sent.command_failure}", file=sys.stderr, flush=True)


def run_alerts(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    alerts = alert_settings(settings)
    open_ledger(settings.ledger.location)
    _alert_once(alerts)
    while not args.once:
        time.sleep(CHECK_EVERY_SECONDS)
        _alert_once(alerts)
    return EXIT_OK


def _alerts_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true",
                        help="check once and exit (for cron); default: every minute")


ALERTS_COMMANDS: dict[str, Command] = {
    "alerts": Command("alert once for each dispute nearing its evidence deadline (headless)",
                      "payconsole alerts --once", run_alerts, _alerts_arguments),
}
