"""`payconsole payout show PO_ID`: one payout, its balance transactions and whether they
add up to it. Reads the ledger; when the payout's transactions are not there yet and a key
is configured, they are fetched from Stripe first (`payconsole --offline payout show`:
never)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from console.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    make_gateway,
    open_existing_ledger,
    output,
    settings_from,
)
from console.config import Settings
from ledger.money import format_amount
from ledger.payouts import PayoutDetail, payout_detail, reconciliation_text


def _utc(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def detail_json(detail: PayoutDetail) -> dict[str, Any]:
    rec = detail.reconciliation
    return {
        "payout": _slots(detail.payout),
        "transactions": [_slots(t) for t in detail.transactions],
        "transactions_fetched": detail.fetched,
        "reconciled": rec.reconciled,
        "difference": rec.difference,
        "transactions_net": rec.transactions_net,
        "currency": rec.currency,
    }


def _slots(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def detail_text(detail: PayoutDetail) -> str:
    p = detail.payout
    kind = "automatic" if p.automatic else "manual"
    lines = [f"payout {p.id}: {format_amount(p.amount, p.currency)} {p.status} "
             f"({kind}, {p.method or 'standard'})",
             f"created {_utc(p.created)} · arrival {_utc(p.arrival_date) or 'unknown'}"]
    if p.failed:
        lines.append(f"FAILED: {p.failure_code or 'no code'}: {p.failure_message or ''}")
    if not detail.fetched:
        lines.append("transactions: not in the ledger (run `payconsole sync --once`, or "
                     "this is a manual payout, which Stripe lists no transactions for)")
    else:
        lines.append(f"transactions ({len(detail.transactions)}):")
        for t in detail.transactions:
            behind = " ".join(filter(None, (t.payment, t.customer_email)))
            lines.append(
                f"  {_utc(t.created)}  {t.type:<14} {format_amount(t.amount, t.currency):>14}"
                f"  fee {format_amount(t.fee, t.currency):>12}"
                f"  net {format_amount(t.net, t.currency):>14}  {t.source or ''}"
                f"{f'  {behind}' if behind else ''}  {t.id}")
    lines.append(reconciliation_text(detail.reconciliation))
    return "\n".join(lines) + "\n"


def _fetch_missing(args: argparse.Namespace, settings: Settings, payout_id: str) -> None:
    """The payout's transactions from Stripe, when the ledger lacks them and may ask."""
    from sync.gateway import GatewayError
    from sync.payouts import fetch_payout_transactions

    offline = getattr(args, "read_only", False) or getattr(args, "offline", False)
    if offline or not settings.api_key():
        return
    try:
        fetch_payout_transactions(make_gateway(settings), payout_id)
    except GatewayError as exc:
        print(f"payconsole: payout show: could not fetch the transactions: {exc}",
              file=sys.stderr)


def run_payout_show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    open_existing_ledger(args, settings)
    detail = payout_detail(args.payout)
    if detail is None:
        print(f"payconsole: payout show: no payout {args.payout} in the ledger (run "
              "`payconsole sync --once` first)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not detail.fetched and detail.payout.automatic:
        _fetch_missing(args, settings, args.payout)
        detail = payout_detail(args.payout) or detail
    with output(None) as out:
        if args.format == "json":
            out.write(json.dumps(detail_json(detail), indent=2) + "\n")
        else:
            out.write(detail_text(detail))
    return EXIT_OK


def _show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("payout", metavar="PO_ID", help="the payout's id (po_...)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    # `--offline` (before the command, as for the console) never asks Stripe.


PAYOUT_COMMANDS: dict[str, Command] = {
    "payout": Command("payouts: one in full, with its transactions and reconciliation",
                      "payconsole payout show po_123 --format json", subcommands={
                          "show": Command(
                              "a payout, its balance transactions, and whether their net "
                              "adds up to it (reconciled, difference)",
                              "payconsole payout show po_123 --format json",
                              run_payout_show, _show_arguments)}),
}
