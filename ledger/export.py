"""Streaming export of ledger tables as JSON lines or CSV: rows are read with a cursor
and written one at a time, so memory stays flat however large the ledger is."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from ledger.fees import CHARGE_TYPES_SQL
from ledger.filters import PaymentFilter
from ledger.models import database
from ledger.sql import stream


@dataclass(frozen=True)
class ExportKind:
    table: str
    columns: tuple[str, ...]
    order: str
    booleans: frozenset[str] = frozenset()
    computed: dict[str, str] = field(default_factory=dict)  # column -> SQL expression

    def select(self) -> str:
        return ", ".join(f"{self.computed[c]} AS {c}" if c in self.computed else c
                         for c in self.columns)


def _charge_transaction(column: str) -> str:
    """A payment's charge balance transaction's `column` (NULL until it is synced)."""
    return (f"(SELECT SUM(bt.{column}) FROM balance_transaction bt WHERE bt.source = "
            f"payment.latest_charge AND bt.type IN {CHARGE_TYPES_SQL})")


EXPORTS: dict[str, ExportKind] = {
    "payments": ExportKind(
        "payment",
        ("id", "created", "amount", "currency", "status", "amount_received",
         "amount_captured", "amount_refunded", "refunded", "disputed", "customer",
         "customer_email", "payment_method", "card_brand", "card_last4", "failure_code",
         "failure_message", "decline_code", "latest_charge", "description", "fee", "net"),
        "created DESC, id DESC",
        frozenset({"refunded", "disputed"}),
        {"fee": _charge_transaction("fee"), "net": _charge_transaction("net")},
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
    "balance-transactions": ExportKind(
        "balance_transaction",
        ("id", "created", "amount", "currency", "fee", "net", "fee_details", "type",
         "reporting_category", "status", "available_on", "source", "payout"),
        "created DESC, id DESC",
    ),
    "dispute-files": ExportKind(
        "dispute_file",
        ("id", "dispute", "field", "filename", "size", "type", "pages", "sha256",
         "uploaded_at", "operator"),
        "uploaded_at DESC, id DESC",
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
    rows = stream(database,
        f"SELECT {spec.select()} FROM {spec.table}{condition.where()} "
        f"ORDER BY {spec.order}",
        condition.params,
    )
    return _dicts(spec, rows)


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
