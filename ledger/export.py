"""Streaming export of ledger tables as JSON lines or CSV: rows are read with a cursor
and written one at a time, so memory stays flat however large the ledger is."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from ledger.filters import PaymentFilter
from ledger.models import database


@dataclass(frozen=True)
class ExportKind:
    table: str
    columns: tuple[str, ...]
    order: str
    booleans: frozenset[str] = frozenset()


EXPORTS: dict[str, ExportKind] = {
    "payments": ExportKind(
        "payment",
        ("id", "created", "amount", "currency", "status", "amount_received",
         "amount_captured", "amount_refunded", "refunded", "disputed", "customer",
         "customer_email", "payment_method", "card_brand", "card_last4", "failure_code",
         "failure_message", "decline_code", "latest_charge", "description"),
        "created DESC, id DESC",
        frozenset({"refunded", "disputed"}),
    ),
    "customers": ExportKind(
        "customer",
        ("id", "created", "email", "name", "default_payment_method", "deleted"),
        "created DESC, id DESC",
        frozenset({"deleted"}),
    ),
    "payment-methods": ExportKind(
        "payment_method",
        ("id", "created", "customer", "type", "card_brand", "card_last4", "exp_month",
         "exp_year", "billing_name", "billing_email", "billing_postal_code", "billing_country"),
        "created DESC, id DESC",
    ),
    "refunds": ExportKind(
        "refund",
        ("id", "created", "payment", "charge", "amount", "currency", "status", "reason"),
        "created DESC, id DESC",
    ),
    "disputes": ExportKind(
        "dispute",
        ("id", "created", "payment", "charge", "amount", "currency", "status", "reason",
         "due_by", "has_evidence", "submission_count"),
        "created DESC, id DESC",
        frozenset({"has_evidence"}),
    ),
    "payouts": ExportKind(
        "payout",
        ("id", "created", "amount", "currency", "status", "arrival_date", "method",
         "automatic", "failure_code", "failure_message", "balance_transaction"),
        "created DESC, id DESC",
        frozenset({"automatic"}),
    ),
    # Oldest first, every column as stored: what an outside check of the chain needs.
    "audit": ExportKind(
        "audit_entry",
        ("seq", "at", "operator", "action", "target", "object_id", "object_status", "params",
         "idempotency_key", "request_id", "result", "error", "prev_hash", "hash"),
        "seq",
    ),
    "events": ExportKind(
        "event",
        ("id", "created", "type", "object_id", "api_version", "received_via", "received_at"),
        "created DESC, id DESC",
    ),
}


def iter_rows(kind: str, filter_by: PaymentFilter | None = None) -> Iterator[dict[str, Any]]:
    """The rows of `kind` that `filter_by` selects, read lazily from one cursor. A filter
    the table cannot apply raises FilterError here, before any row is written."""
    spec = EXPORTS[kind]
    condition = (filter_by or PaymentFilter()).condition(spec.table)
    cursor = database.execute_sql(
        f"SELECT {', '.join(spec.columns)} FROM {spec.table}{condition.where()} "
        f"ORDER BY {spec.order}",
        condition.params,
    )
    return _dicts(spec, cursor)


def _dicts(spec: ExportKind, cursor: Iterable[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    for values in cursor:
        row = dict(zip(spec.columns, values, strict=True))
        for name in spec.booleans:
            row[name] = bool(row[name])
        yield row


def export(kind: str, fmt: str, out: TextIO, filter_by: PaymentFilter | None = None) -> int:
    """Write the rows of `kind` (those `filter_by` selects) to `out` as `jsonl` or `csv`;
    returns the row count."""
    if kind not in EXPORTS:
        raise ValueError(f"unknown export {kind!r}; choose from {', '.join(EXPORTS)}")
    rows = iter_rows(kind, filter_by)
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORTS[kind].columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    else:
        raise ValueError(f"unknown format {fmt!r}; choose jsonl or csv")
    return count
