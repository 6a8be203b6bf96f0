"""`payconsole status` (the ledger, its account, the sync and webhook health, in text or
JSON) and `payconsole profiles` (each profile's ledger and the account recorded in it).

Both read only: the ledger is opened read-only, nothing talks to Stripe, no key is shown.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.cli_common import EXIT_FAILED, EXIT_OK, Command, settings_from
from console.config import (
    NO_PROFILE,
    Settings,
    chosen_profile,
    load_settings,
    profile_names,
)
from console.errors import ConfigError
from console.widgets.formatting import age, local_time
from ledger.db import LedgerError, open_ledger
from ledger.dialect import dialect_of
from sync.trust import StripeAccount

FORMATS = ("text", "json")


# -- status -----------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    status = ledger_status(settings)
    if args.format == "json":
        print(json.dumps(status, indent=2, sort_keys=True))
    else:
        print(_status_text(status, time.time()))
    return EXIT_OK if status["sync"]["healthy"] else EXIT_FAILED


def ledger_status(settings: Settings) -> dict[str, Any]:
    """Everything `status` reports, under stable keys; LedgerError when the ledger cannot
    be opened (read-only)."""
    from ledger.facts import ledger_counts, newest_event_via
    from ledger.fees import load_balance
    from ledger.migrations import LATEST_VERSION, schema_version
    from sync.health import load_health
    from sync.trust import load_account, load_last_reconcile

    db = open_ledger(settings.ledger.location, read_only=True)
    try:
        health, reconcile = load_health(), load_last_reconcile()
        newest = newest_event_via(db, "webhook")
        counts = ledger_counts(db)
        balance = load_balance()
        return {
            "backend": dialect_of(db).name,
            "ledger": settings.ledger.shown,
            "leader": _leader(settings),
            "team": _team(),
            "schema_version": schema_version(db),
            "schema_latest": LATEST_VERSION,
            "account": _account_json(load_account()),
            "sync": {
                "healthy": health.consecutive_failures == 0,
                "last_success": health.last_success,
                "lag_seconds": health.lag_seconds(),
                "last_error": health.last_error,
                "last_error_at": health.last_error_at,
                "consecutive_failures": health.consecutive_failures,
            },
            "reconcile": None if reconcile is None else {
                "at": reconcile.at, "since": reconcile.since, "until": reconcile.until,
                "checked": reconcile.checked, "missing": reconcile.missing,
                "different": reconcile.different, "extra": reconcile.extra,
                "repaired": reconcile.repaired, "drift": reconcile.drift,
            },
            "webhook": {
                "listen": settings.webhook.listen,
                "secret_set": settings.webhook.secret is not None,
                "newest_event": None if newest is None else {
                    "id": newest.id, "type": newest.type, "created": newest.created,
                    "received_at": newest.received_at,
                },
            },
            "counts": {"payments": counts.payments, "disputes": counts.disputes,
                       "events": counts.events},
            # Minor units per currency, as Stripe last said it (GET /v1/balance).
            "balance": None if balance is None else {
                "as_of": balance.as_of, "available": balance.available,
                "pending": balance.pending},
        }
    finally:
        db.close()


def _account_json(account: StripeAccount | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {"id": account.id, "name": account.name, "mode": account.mode,
            "livemode": account.livemode, "country": account.country,
            "default_currency": account.default_currency, "label": account.label}


def _leader(settings: Settings) -> str | None:
    """host:pid of the team ledger's sync leader; None on SQLite or when none leads."""
    from ledger.leader import Leadership

    return Leadership(settings.ledger.url).leader() if settings.ledger.url else None


def _team() -> dict[str, Any] | None:
    """A team ledger's service, this connection's role, and its queue; None without a team."""
    from ledger import requests, team

    service = team.service_role()
    if service is None:
        return None
    rules = team.settings()
    return {"service_role": service, "connected_as": team.current_role(),
            "service_seen_at": rules.service_seen_at,
            "require_approval": list(rules.require_approval),
            "approval_hours": rules.approval_hours,
            "awaiting_approval": len(requests.requests_in([requests.AWAITING_APPROVAL])),
            "waiting_for_service": len(requests.requests_in([requests.PENDING,
                                                             requests.APPROVED]))}


def _team_line(team: dict[str, Any], ago: Callable[[int | None], str]) -> str:
    return (f"service {team['service_role']} last seen {ago(team['service_seen_at'])} · "
            f"connected as {team['connected_as']} · {team['awaiting_approval']} awaiting "
            f"approval · {team['waiting_for_service']} waiting for the service")


def _status_text(status: dict[str, Any], now: float) -> str:
    def ago(timestamp: int | None) -> str:
        return "never" if timestamp is None else f"{local_time(timestamp)} ({age(now - timestamp)})"

    account, sync, reconcile = status["account"], status["sync"], status["reconcile"]
    webhook, counts = status["webhook"], status["counts"]
    account_line = "none recorded yet (the first sync records it)" if account is None else \
        " · ".join(part for part in (account["label"], account["country"],
                                     account["default_currency"]) if part)
    sync_line = f"last success {ago(sync['last_success'])}"
    if sync["lag_seconds"] is not None:
        sync_line += f" · lag {sync['lag_seconds']}s"
    if not sync["healthy"]:
        sync_line += (f" · FAILING ({sync['consecutive_failures']} in a row): "
                      f"{sync['last_error']} at {ago(sync['last_error_at'])}")
    reconcile_line = "never" if reconcile is None else (
        f"{ago(reconcile['at'])} · drift {reconcile['drift']} (missing {reconcile['missing']}, "
        f"different {reconcile['different']}, extra {reconcile['extra']}) · repaired "
        f"{reconcile['repaired']}")
    newest = webhook["newest_event"]
    secret = "secret set" if webhook["secret_set"] else "no secret: not receiving"
    webhook_line = f"{webhook['listen']} ({secret}) · newest event by webhook: " + (
        "none" if newest is None else
        f"{newest['id']} {newest['type']} received {ago(newest['received_at'])}")
    rows = (
        ("ledger", f"{status['backend']} {status['ledger']} (schema {status['schema_version']} of "
                   f"{status['schema_latest']})"),
        *((("leader", status["leader"] or "none: no `payconsole sync` leads this ledger now"),)
          if status["backend"] == "postgresql" else ()),
        *((("team", _team_line(status["team"], ago)),) if status["team"] else ()),
        ("account", account_line),
        ("sync", sync_line),
        ("reconcile", reconcile_line),
        ("webhook", webhook_line),
        ("counts", f"{counts['payments']:,} payments · {counts['disputes']:,} disputes · "
                   f"{counts['events']:,} events"),
        ("balance", _balance_line(status["balance"], ago)),
    )
    return "\n".join(f"{name:<10} {value}" for name, value in rows)


def _balance_line(balance: dict[str, Any] | None, ago: Callable[[int | None], str]) -> str:
    from ledger.fees import Balance, describe_balance

    if balance is None:
        return describe_balance(None)
    return (f"{describe_balance(Balance(balance['available'], balance['pending']))} "
            f"(as of {ago(balance['as_of'])})")


def _format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text")


# -- profiles ---------------------------------------------------------------------------


def run_profiles(args: argparse.Namespace) -> int:
    config = getattr(args, "config", None)
    active = chosen_profile(getattr(args, "profile", None))
    rows = [_profile_row(config, name, active) for name in (None, *profile_names(config))]
    if args.format == "json":
        print(json.dumps(rows, indent=2, sort_keys=True))
        return EXIT_OK
    for row in rows:
        mark = "*" if row["active"] else " "
        name = row["name"] or "(no profile)"
        print(f"{mark} {name:<16} {row['ledger'] or '-'}  {_account_cell(row)}")
    return EXIT_OK


def _profile_row(config: str | None, name: str | None, active: str | None) -> dict[str, Any]:
    """One profile: its ledger and the account recorded there (or why there is none)."""
    row: dict[str, Any] = {"name": name, "active": name == active, "ledger": None,
                           "account": None, "problem": None}
    try:
        settings = load_settings(config, None, NO_PROFILE if name is None else name)
    except ConfigError as exc:
        row["problem"] = str(exc)
        return row
    ledger = settings.ledger
    row["ledger"] = ledger.shown
    if ledger.is_file and not ledger.path.expanduser().exists():
        row["problem"] = "no ledger yet"
        return row
    try:
        row["account"] = _account_json(_recorded_account(ledger.location))
    except LedgerError as exc:
        row["problem"] = str(exc)
    return row


def _recorded_account(location: str | Path) -> StripeAccount | None:
    from sync.trust import load_account

    db = open_ledger(location, read_only=True)
    try:
        return load_account()
    finally:
        db.close()


def _account_cell(row: dict[str, Any]) -> str:
    if row["problem"]:
        return str(row["problem"])
    account = row["account"]
    return "no account recorded yet" if account is None else str(account["label"])


STATUS_COMMANDS: dict[str, Command] = {
    "status": Command("the ledger, its Stripe account, sync and webhook health (offline)",
                      "payconsole status --format json", run_status, _format_argument),
    "profiles": Command("the config file's profiles: ledger and recorded account (offline)",
                        "payconsole profiles", run_profiles, _format_argument),
}
