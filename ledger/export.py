"""Streaming export of ledger tables as JSON lines or CSV: rows are read with a cursor
and written one at a time, so memory stays flat however large the ledger is."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from ledger.db import database


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
    "events": ExportKind(
        "event",
        ("id", "created", "type", "object_id", "api_version", "received_via", "received_at"),
        "created DESC, id DESC",
    ),
}


def iter_rows(kind: str) -> Iterator[dict[str, Any]]:
    spec = EXPORTS[kind]
    cursor = database.execute_sql(
        f"SELECT {', '.join(spec.columns)} FROM {spec.table} ORDER BY {spec.order}"
    )
    for values in cursor:
        row = dict(zip(spec.columns, values, strict=True))
        for name in spec.booleans:
            row[name] = bool(row[name])
        yield row


def export(kind: str, fmt: str, out: TextIO) -> int:
    """Write every row of `kind` to `out` as `jsonl` or `csv`; returns the row count."""
    if kind not in EXPORTS:
        raise ValueError(f"unknown export {kind!r}; choose from {', '.join(EXPORTS)}")
    rows = iter_rows(kind)
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
