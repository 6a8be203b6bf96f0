"""One sync run: backfill when needed, then poll events from the cursor.

Used the same way by the console's scheduler and by `payconsole sync` headless.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ledger.db import ledger_problem, retry_locked
from ledger.events import event_stats, event_times_of
from ledger.leader import Leadership
from ledger.lookups import live_customer_ids
from ledger.models import database
from ledger.sql import write_transaction
from ledger.state import get_state, set_state
from sync.account import AccountRefused, check_account
from sync.apply import ApplyResult, apply_events, apply_objects, event_object, event_problem
from sync.fees import fetch_missing_transactions, refresh_balance
from sync.gateway import GatewayError, NotFound, StripeGateway
from sync.health import SyncHealth, load_health, save_health
from sync.payouts import fetch_recent_payout_transactions
from sync.resources import (
    BACKFILL_RESOURCES,
    OBJECT_PATHS,
    PAYMENT_METHODS_PATH,
    Resource,
    created_of,
    newest_first,
)
from sync.secrets import redact

log = logging.getLogger(__name__)

CURSOR_KEY = "events_cursor"
EVENT_RETENTION_SECONDS = 30 * 86400  # Stripe keeps events for 30 days
DAY = 86400


class SyncError(Exception):
    """A sync run failed; nothing of it was half-written. `str()` is safe to show."""


@dataclass
class SyncReport:
    backfilled: dict[str, int] = field(default_factory=dict)
    events_fetched: int = 0
    events_new: int = 0
    duplicates: int = 0
    malformed: int = 0
    refetched: int = 0
    transactions_found: int = 0  # balance transactions Stripe set after their charge event
    payout_transactions: int = 0  # balance transactions of paid payouts, fetched
    requests: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        parts = []
        if self.backfilled:
            listed = ", ".join(f"{n} {name}" for name, n in self.backfilled.items())
            parts.append(f"backfilled {listed}")
        parts.append(
            f"{self.events_new} new events ({self.duplicates} already had, "
            f"{self.malformed} malformed), {self.refetched} objects re-fetched"
        )
        if self.transactions_found:
            parts.append(f"{self.transactions_found} balance transactions found late")
        if self.payout_transactions:
            parts.append(f"{self.payout_transactions} payout transactions fetched")
        parts.append(f"{self.requests} requests in {self.seconds:.1f}s")
        return "; ".join(parts)


@dataclass
class SyncSettings:
    backfill_days: int = 30
    overlap_seconds: int = 120
    window_seconds: int = 6 * 3600  # catch-up reads the backlog a window at a time
    # After failures in a row, scheduled runs wait base, 2 x base, 4 x base... up to max,
    # so a dead or struggling Stripe is not hammered every interval.
    retry_base_seconds: float = 10.0
    retry_max_seconds: float = 300.0


def backoff_seconds(failures: int, settings: SyncSettings) -> float:
    """How long scheduled runs leave Stripe alone after `failures` failed runs in a row."""
    if failures <= 0:
        return 0.0
    doubled = settings.retry_base_seconds * 2.0 ** min(failures - 1, 30)
    return min(settings.retry_max_seconds, doubled)


class SyncService:
    def __init__(self, gateway: StripeGateway, settings: SyncSettings | None = None,
                 clock: Callable[[], float] = time.time,
                 leadership: Leadership | None = None) -> None:
        self.gateway = gateway
        # On a PostgreSQL ledger only the leader syncs (ledger/leader.py); None: always.
        self.leadership = leadership
        self.role: str | None = None  # "leader" / "following host:pid", once known
        self.settings = settings or SyncSettings()
        self._clock = clock
        self._failures = 0  # failed runs in a row, as this process counts them
        self._next_due = 0.0  # scheduled runs before this time are skipped (backoff)
        self._refused: AccountRefused | None = None  # the key is not of the ledger's account

    def run_due(self) -> SyncReport | None:
        """For a scheduler: `run_once`, unless backing off after failures, in which case
        nothing is sent and None is returned."""
        if self._clock() < self._next_due or not self.leads():
            return None
        return self.run_once()

    def leads(self) -> bool:
        """Whether this process may write Stripe's data now (and `role` says so)."""
        if self.leadership is None:
            return True
        leading = self.leadership.try_lead()
        role = "leader" if leading else f"following {self.leadership.leader() or 'nobody yet'}"
        if role != self.role:
            log.info("sync: %s", role)
        self.role = role
        return leading

    def retry_now(self) -> None:
        """End the backoff (the operator asked for a sync): the next `run_due` runs."""
        self._next_due = 0.0

    def run_once(self) -> SyncReport:
        """Bring the ledger up to date; record health either way, except when the key is
        refused for this ledger (AccountRefused): then nothing at all is written, and the
        scheduled runs stop until the operator asks again (`retry_now`)."""
        started = self._clock()
        requests_before = self.gateway.requests_made
        report = SyncReport()
        try:
            check_account(self.gateway)
            if self._needs_backfill():
                report.backfilled = self.backfill()
            self.poll(report)
            self._money(report)
            report.requests = self.gateway.requests_made - requests_before
            report.seconds = self._clock() - started
            self._record_success(report)
        except AccountRefused as exc:
            self._refused, self._next_due = exc, math.inf
            raise
        except GatewayError as exc:
            self._record_failure(str(exc))
            raise SyncError(str(exc)) from None
        except Exception as exc:
            problem = ledger_problem(exc)  # a full disk, a read-only file: say so plainly
            message = str(problem) if problem else redact(f"{type(exc).__name__}: {exc}")
            self._record_failure(message)
            raise SyncError(message) from (None if problem else exc)
        return report

    def apply_pushed(self, event: Mapping[str, Any]) -> ApplyResult:
        """An event a webhook delivered (well formed: see event_problem), applied in its own
        transaction like a polled one. The cursor does not move: the poll still reads
        everything up to it, so an event missed by the webhook is not skipped, and one seen
        by both is applied once. Once the sync has refused the key for this ledger, so is
        every delivery (the receiver answers 503, storing nothing); the check itself is the
        sync's, so that a delivery never waits on Stripe for it."""
        if self._refused is not None:
            raise SyncError(str(self._refused))
        if self.leadership is not None and not self.leads():
            raise SyncError(f"{self.role}: only the sync leader applies webhook deliveries")
        return self._apply_batch([event], via="webhook", advance_cursor=False)[0]

    def _apply_batch(self, events: list[Any], *, via: str, advance_cursor: bool
                     ) -> tuple[ApplyResult, int]:
        """Apply `events` in one transaction (with the cursor, if asked); objects with two
        events in the same second are re-fetched, their order being unknown. Returns the
        result and how many objects were re-fetched.

        The poll and the webhook receiver (threads, or processes) write concurrently: an
        event stored by one between the other's look at the ledger and its transaction can
        make an object ambiguous unseen. The look is repeated inside the transaction, under
        the write lock; if it finds more, the batch starts over."""
        for _ in range(_OVERTAKEN_ATTEMPTS):
            ambiguous = _ambiguous_objects(events)
            fresh = self._fetch_fresh(ambiguous)
            store = partial(_store_batch, events, via, ambiguous, fresh, advance_cursor)
            try:
                return retry_locked(store), len(fresh)
            except _Overtaken:
                log.info("another writer stored a same-second event meanwhile; looking again")
        raise SyncError("the ledger kept changing under this batch of events; the next "
                        "sync retries it")

    # -- backfill --------------------------------------------------------------------

    def _needs_backfill(self) -> bool:
        cursor = get_state(CURSOR_KEY)
        return cursor is None or cursor < self._clock() - EVENT_RETENTION_SECONDS

    def backfill(self) -> dict[str, int]:
        """Page the list endpoints for the configured window; no per-object fetch."""
        as_of = int(self._clock())
        since = as_of - self.settings.backfill_days * DAY
        counts = {r.name: self._backfill_resource(r, since, as_of) for r in BACKFILL_RESOURCES}
        counts["payment_methods"] = self._backfill_payment_methods(as_of)
        # Events from the start of the backfill on are still to be read.
        set_state(CURSOR_KEY, as_of)
        return counts

    def _backfill_resource(self, resource: Resource, since: int, as_of: int) -> int:
        stored = 0
        for page in self.gateway.pages(resource.list_path):
            keep = [o for o in page if not resource.windowed or created_of(o) >= since]
            _store_objects(keep, as_of)
            stored += len(keep)
            if newest_first(page) and len(keep) < len(page):
                break  # the rest of a newest-first list is older than the window
        return stored

    def _backfill_payment_methods(self, as_of: int) -> int:
        stored = 0
        for customer in live_customer_ids():
            params = {"customer": customer, "type": "card"}
            for page in self.gateway.pages(PAYMENT_METHODS_PATH, params):
                _store_objects(page, as_of)
                stored += len(page)
        return stored

    def _money(self, report: SyncReport) -> None:
        """The balance transactions still missing (see sync.fees), those of recently paid
        payouts (see sync.payouts), and the balance."""
        as_of = int(self._clock())
        since = as_of - self.settings.backfill_days * DAY
        report.transactions_found = fetch_missing_transactions(self.gateway, since, as_of).found
        report.payout_transactions = fetch_recent_payout_transactions(self.gateway, as_of)
        refresh_balance(self.gateway, as_of)

    # -- events ----------------------------------------------------------------------

    def poll(self, report: SyncReport) -> None:
        """Read events from the cursor (less the overlap), a time window at a time."""
        start = int(get_state(CURSOR_KEY)) - self.settings.overlap_seconds
        now = int(self._clock())
        while True:
            end = start + self.settings.window_seconds
            last_window = end > now
            created: dict[str, int] = {"gte": start} if last_window else {"gte": start, "lt": end}
            self._poll_window(created, report)
            if last_window:
                return
            start = end

    def _poll_window(self, created: dict[str, int], report: SyncReport) -> None:
        events = [e for page in self.gateway.pages("/v1/events", {"created": created})
                  for e in page]
        report.events_fetched += len(events)
        # The events, their objects and the cursor: all of it or, on a crash, none.
        result, refetched = self._apply_batch(events, via="poll", advance_cursor=True)
        report.refetched += refetched
        report.events_new += result.new
        report.duplicates += result.duplicates
        report.malformed += result.malformed

    def _fetch_fresh(self, ambiguous: Mapping[str, tuple[str, int]]
                     ) -> dict[str, tuple[dict[str, Any], int]]:
        """Each ambiguous object as it is now, instead of trusting either payload."""
        fresh: dict[str, tuple[dict[str, Any], int]] = {}
        for object_id, (kind, as_of) in ambiguous.items():
            if kind not in OBJECT_PATHS:
                continue
            try:
                fresh[object_id] = (self.gateway.get(OBJECT_PATHS[kind].format(object_id)), as_of)
            except NotFound:
                continue
        return fresh

    # -- health ----------------------------------------------------------------------

    def _record_failure(self, message: str) -> None:
        """Count the failure and start (or lengthen) the backoff, even when the ledger
        itself is what failed and cannot record it."""
        now = self._clock()
        try:
            health = load_health()
        except Exception:
            health = SyncHealth()
        self._failures = max(self._failures, health.consecutive_failures) + 1
        self._next_due = now + backoff_seconds(self._failures, self.settings)
        health.consecutive_failures = self._failures
        health.last_attempt = health.last_error_at = int(now)
        health.last_error = message
        health.next_attempt = math.ceil(self._next_due)
        try:
            retry_locked(lambda: _save(health))
        except Exception as exc:
            log.warning("could not record the sync failure in the ledger: %s",
                        ledger_problem(exc) or redact(str(exc)))

    def _record_success(self, report: SyncReport) -> None:
        health = load_health()
        health.last_attempt = health.last_success = int(self._clock())
        health.consecutive_failures = 0
        health.next_attempt = None
        health.events_applied_last_run = report.events_new
        stats = event_stats(database)
        health.events_total, health.newest_event = stats.total, stats.newest_created
        retry_locked(lambda: _save(health))
        self._failures, self._next_due = 0, 0.0


def _save(health: SyncHealth) -> None:
    with database.atomic():
        save_health(health)


def _store_objects(objects: list[dict[str, Any]], as_of: int) -> None:
    def store() -> None:
        with database.atomic():
            apply_objects(database, objects, as_of)

    retry_locked(store)


class _Overtaken(Exception):
    """Another writer stored a same-second event for an object of this batch meanwhile."""


_OVERTAKEN_ATTEMPTS = 3


def _store_batch(events: list[Any], via: str, ambiguous: Mapping[str, tuple[str, int]],
                 fresh: Mapping[str, tuple[dict[str, Any], int]], advance_cursor: bool
                 ) -> ApplyResult:
    """One transaction (see SyncService._apply_batch)."""
    with write_transaction(database, "sync"):
        if _ambiguous_objects(events).keys() - ambiguous.keys():
            raise _Overtaken
        result = apply_events(database, events, via=via, fresh_objects=fresh)
        if advance_cursor and result.newest_created is not None:
            cursor = get_state(CURSOR_KEY) or 0
            set_state(CURSOR_KEY, max(cursor, result.newest_created))
        return result


def _ambiguous_objects(events: list[Any]) -> dict[str, tuple[str, int]]:
    """Objects that get a new event from `events` and have two events (stored or new) in
    the same second: object id -> (kind, newest second)."""
    batch = _event_times_by_object(events)
    stored = event_times_of(database, list(batch))
    found: dict[str, tuple[str, int]] = {}
    for object_id, (kind, times) in batch.items():
        known = stored.get(object_id, {})
        merged = {**known, **times}
        if len(merged) > len(known) and len(set(merged.values())) < len(merged):
            found[object_id] = (kind, max(merged.values()))
    return found


def _event_times_by_object(events: list[Any]) -> dict[str, tuple[str, dict[str, int]]]:
    """object id -> (object kind, {event id: created}) for the well-formed events."""
    result: dict[str, tuple[str, dict[str, int]]] = {}
    for event in events:
        if event_problem(event):
            continue
        obj = event_object(event)
        object_id = obj.get("id")
        if isinstance(object_id, str):
            times = result.setdefault(object_id, (obj.get("object", ""), {}))[1]
            times[event["id"]] = event["created"]
    return result
