"""The audit log of operator actions: append-only and hash-chained.

Each entry stores the hash of the entry before it and its own sha256 over a canonical
serialization of its fields plus that previous hash, so changing, removing or reordering
any entry breaks the chain at that entry. SQLite triggers (migration v2) refuse UPDATE and
DELETE, so the app cannot rewrite history by accident; `verify_chain` catches edits made
to the file by other means.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.dialect import dialect_of
from ledger.models import database
from ledger.sql import execute, single_int, write_transaction

GENESIS_HASH = "0" * 64
RESULTS = ("attempted", "succeeded", "refused", "failed",
           # a team's requests (ledger/requests.py): asked, decided by a second operator
           "requested", "approved", "rejected", "expired")

# The hashed fields, in a fixed order: changing this list breaks every existing chain.
_HASHED = ("seq", "at", "operator", "action", "target", "object_id", "object_status",
           "params", "idempotency_key", "request_id", "result", "error", "prev_hash")
_COLUMNS = (*_HASHED, "hash")


# 13 digits or more, optionally grouped by spaces or dashes, as card numbers are written.
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,}(?!\d)")
_CARD_LENGTHS = range(13, 20)
CARD_NUMBER_MASK = "[card number removed]"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_card_number(run: str) -> bool:
    """A card number, or one with digits typed before or after it ("4242…42420")."""
    digits = re.sub(r"[ -]", "", run)
    return any(_luhn_ok(window) for length in _CARD_LENGTHS if length <= len(digits)
               for window in (digits[:length], digits[-length:]))


def contains_card_number(text: str) -> bool:
    """Whether free text holds something shaped like a card number (length and Luhn)."""
    return any(_is_card_number(m.group(0)) for m in _DIGIT_RUN.finditer(text))


def scrub_card_numbers(value: Any) -> Any:
    """`value` (str, or JSON-like containers of them) with card-number lookalikes masked."""
    if isinstance(value, str):
        return _DIGIT_RUN.sub(
            lambda m: CARD_NUMBER_MASK if _is_card_number(m.group(0)) else m.group(0), value
        )
    if isinstance(value, Mapping):
        return {key: scrub_card_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_card_numbers(item) for item in value]
    return value


class AuditError(Exception):
    """An entry that cannot be written; the message says why."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """What a caller says about an action attempt; sequence, time and hashes are added."""

    operator: str
    action: str
    target: str
    result: str
    params: Mapping[str, Any] = field(default_factory=dict)
    object_id: str | None = None
    object_status: str | None = None
    idempotency_key: str | None = None
    request_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRow:
    seq: int
    at: int
    operator: str
    action: str
    target: str
    object_id: str | None
    object_status: str | None
    params: dict[str, Any]
    idempotency_key: str | None
    request_id: str | None
    result: str
    error: str | None


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None  # seq of the first entry that does not verify
    reason: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} entries verified"
        if self.broken_at is None:
            return f"audit log not trustworthy: {self.reason}"
        return f"audit chain broken at entry {self.broken_at}: {self.reason}"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: Mapping[str, Any]) -> str:
    """sha256 over the hashed fields (which include the previous entry's hash)."""
    payload = canonical_json({name: fields[name] for name in _HASHED})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(entry: NewEntry, *, now: float | None = None) -> int:
    """Append one entry; returns its sequence number.

    The write lock is taken before reading the chain's head, so two writers (the console
    and a CLI run) cannot both chain onto the same entry.
    """
    if entry.result not in RESULTS:
        raise AuditError(f"unknown audit result {entry.result!r}")
    with write_transaction(database, "audit"):
        head = execute(database,
            "SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        fields: dict[str, Any] = {
            "seq": seq,
            "at": int(time.time() if now is None else now),
            "operator": entry.operator,
            "action": entry.action,
            "target": entry.target,
            "object_id": entry.object_id,
            "object_status": entry.object_status,
            # Whatever an operator typed, a card number never reaches the log.
            "params": canonical_json(scrub_card_numbers(dict(entry.params))),
            "idempotency_key": entry.idempotency_key,
            "request_id": entry.request_id,
            "result": entry.result,
            "error": scrub_card_numbers(entry.error),
            "prev_hash": prev_hash,
        }
        fields["hash"] = entry_hash(fields)
        marks = ", ".join("?" * len(_COLUMNS))
        execute(database,
            f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES ({marks})",
            [fields[name] for name in _COLUMNS],
        )
    return seq


def verify_chain() -> ChainReport:
    """Walk the whole chain oldest first (a cursor: memory stays flat) and recompute it;
    also check that SQLite still refuses changes (someone dropping the triggers is itself
    a sign of tampering)."""
    cursor = execute(database, f"SELECT {', '.join(_COLUMNS)} FROM audit_entry ORDER BY seq")
    expected_prev, checked = GENESIS_HASH, 0
    for values in cursor:
        row = dict(zip(_COLUMNS, values, strict=True))
        problem = _entry_problem(row, checked + 1, expected_prev)
        if problem:
            return ChainReport(ok=False, checked=checked, broken_at=row["seq"], reason=problem)
        expected_prev, checked = row["hash"], checked + 1
    if not _append_only():
        return ChainReport(ok=False, checked=checked,
                           reason="the triggers that keep the log append-only were removed")
    return ChainReport(ok=True, checked=checked)


def _entry_problem(row: Mapping[str, Any], expected_seq: int, expected_prev: str) -> str | None:
    if row["seq"] != expected_seq:
        return f"expected entry {expected_seq} here: entries were removed or renumbered"
    if row["prev_hash"] != expected_prev:
        return "its previous-hash does not match the entry before it (that one was rewritten)"
    if entry_hash(row) != row["hash"]:
        return "its contents no longer match its hash (the entry was changed)"
    return None


def _append_only() -> bool:
    """Whether the database still refuses to change or remove audit entries (the triggers
    exist; on PostgreSQL, the one refusing TRUNCATE too)."""
    if dialect_of(database).is_postgres:
        sql = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
               "AND tgrelid = to_regclass('audit_entry')")
        needed = {"audit_entry_no_update", "audit_entry_no_delete", "audit_entry_no_truncate"}
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'"
        needed = {"audit_entry_no_update", "audit_entry_no_delete"}
    return needed <= {row[0] for row in execute(database, sql)}


_ROW_COLUMNS = ", ".join(AuditRow.__slots__)


def _rows(sql: str, args: tuple[Any, ...]) -> list[AuditRow]:
    rows = []
    for values in execute(database, sql, args):
        row = dict(zip(AuditRow.__slots__, values, strict=True))
        row["params"] = json.loads(row["params"])
        rows.append(AuditRow(**row))
    return rows


class AuditListing:
    """Entries newest first, for the Audit pane. Sequence numbers have no gaps (the chain
    guarantees it), so an offset turns into a keyset bound on the primary key: any page
    is as fast as the first."""

    def count(self) -> int:
        return single_int(database, "SELECT COALESCE(MAX(seq), 0) FROM audit_entry")

    def page(self, offset: int, limit: int) -> list[AuditRow]:
        return _rows(
            f"SELECT {_ROW_COLUMNS} FROM audit_entry WHERE seq <= ? ORDER BY seq DESC LIMIT ?",
            (self.count() - offset, limit),
        )


def entries_touching(object_id: str, limit: int = 100) -> list[AuditRow]:
    """Entries whose target or resulting object is `object_id` (for a payment's detail)."""
    return _rows(
        f"SELECT {_ROW_COLUMNS} FROM audit_entry WHERE target = ? OR object_id = ? "
        "ORDER BY seq DESC LIMIT ?",
        (object_id, object_id, limit),
    )
