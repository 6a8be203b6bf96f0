"""The one apply path: polling, backfill and webhooks all end here.

`apply_events` stores each new raw event (unique by id: an event seen twice, by poll and
by webhook, is applied once) and upserts the objects it concerns, all in the caller's
transaction. Rows carry the `created` of what wrote them, and the ledger's upserts refuse
older snapshots, so events arriving late or out of order never roll a row back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.events import EventRow, insert_events, known_event_ids
from ledger.fees import Balance, balance_of, save_balance
from ledger.records import RecordError, Records, records_for
from ledger.sql import LedgerDatabase
from ledger.writes import WriteCounts, write_records

log = logging.getLogger(__name__)

BALANCE_AVAILABLE = "balance.available"  # its object is the balance (no id): kept as a record


@dataclass
class ApplyResult:
    new: int = 0
    duplicates: int = 0
    malformed: int = 0
    newest_created: int | None = None
    writes: WriteCounts = field(default_factory=WriteCounts)


def event_problem(event: Any) -> str | None:
    """Why an event body cannot be applied, or None when it is well formed."""
    if not isinstance(event, Mapping):
        return "not a JSON object"
    for key, kind in (("id", str), ("type", str), ("created", int)):
        if not isinstance(event.get(key), kind) or isinstance(event.get(key), bool):
            return f"missing or invalid {key!r}"
    data = event.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("object"), Mapping):
        return "missing data.object"
    return None


def event_object(event: Mapping[str, Any]) -> dict[str, Any]:
    """The object an event concerns, as of the event; a deletion is marked as such."""
    obj = event["data"]["object"]
    return {**obj, "deleted": True} if event["type"].endswith(".deleted") else obj


def order_events(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Oldest first by (created, id), whichever order the server listed them in."""
    return sorted(events, key=lambda e: (e["created"], e["id"]))


def apply_events(
    db: LedgerDatabase,
    events: Iterable[Any],
    *,
    via: str,
    fresh_objects: Mapping[str, tuple[dict[str, Any], int]] | None = None,
) -> ApplyResult:
    """Store and apply events (in the caller's transaction).

    `fresh_objects` maps an object id to a re-fetched copy and the `as_of` to give it; it
    replaces the event payloads of that object (SyncService re-fetches an object whose
    events share a second, their order being unknown).
    """
    result = ApplyResult()
    wellformed = []
    for event in events:
        problem = event_problem(event)
        if problem:
            result.malformed += 1
            log.warning("skipped a malformed event (%s): id=%r", problem,
                        event.get("id") if isinstance(event, Mapping) else None)
        else:
            wellformed.append(event)
    ordered = order_events(wellformed)
    known = known_event_ids(db, [e["id"] for e in ordered])
    fresh = fresh_objects or {}
    records = Records()
    rows: list[EventRow] = []
    balance: Balance | None = None  # the newest balance.available event's
    now = int(time.time())
    for event in ordered:
        if event["id"] in known:
            result.duplicates += 1
            continue
        known.add(event["id"])
        obj = event_object(event)
        rows.append((event["id"], event["created"], event["type"], obj.get("id"),
                     event.get("api_version"), via, now, orjson.dumps(event).decode()))
        result.new += 1
        result.newest_created = event["created"]
        if event["type"] == BALANCE_AVAILABLE:
            balance = balance_of(obj, event["created"])
        if obj.get("id") not in fresh:
            records.extend(_records_or_log(obj, event["created"], event["id"]))
    for obj, as_of in fresh.values():
        records.extend(_records_or_log(obj, as_of, obj.get("id")))
    insert_events(db, rows)
    result.writes = write_records(db, records)
    if balance is not None:
        save_balance(balance)
    return result


def apply_objects(db: LedgerDatabase, objects: Iterable[dict[str, Any]], as_of: int) -> WriteCounts:
    """Upsert objects fetched from a list endpoint (backfill, reconcile), with one `as_of`."""
    records = Records()
    for obj in objects:
        records.extend(_records_or_log(obj, as_of, obj.get("id")))
    return write_records(db, records)


def _records_or_log(obj: dict[str, Any], as_of: int, source: Any) -> Records:
    try:
        return records_for(obj, as_of)
    except (RecordError, KeyError, TypeError, AttributeError) as exc:
        log.warning("skipped an object that does not parse (from %s): %s", source, exc)
        return Records()
