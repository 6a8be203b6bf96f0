"""Reconcile against Stripe: list what Stripe has created in a window, compare it field by
field with the ledger, and (asked to) repair the drift.

- `missing`: in Stripe, not in the ledger; `different`: in both, some field differs (both
  values are kept); `extra`: in the ledger in the window, gone from Stripe.
- A repair writes Stripe's objects through the normal apply path with the listing's time
  as `as_of`, so a row the sync updated from a newer event meanwhile is left alone, and
  marks extra customers deleted and extra payment methods detached (rows are never
  dropped). Stripe never deletes payments, refunds or disputes: such extras are reported
  and left as they are.
- Cost: ceil(N / 100) list requests per kind (PaymentIntents come with their latest charge
  expanded), plus one list per customer for payment methods, through the gateway's rate
  limit; no per-object fetch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.db import retry_locked
from ledger.models import database
from ledger.reconcile_views import MARKABLE, ids_in_window, ledger_rows, mark_gone
from ledger.records import RecordError
from sync.account import check_account
from sync.apply import apply_objects
from sync.gateway import StripeGateway
from sync.reconcile_kinds import KINDS, Kind, expected_row
from sync.resources import PAYMENT_METHODS_PATH, created_of, newest_first
from sync.trust import ReconcileSummary, save_last_reconcile

log = logging.getLogger(__name__)

DAY = 86_400
KIND_NAMES: tuple[str, ...] = tuple(KINDS)
_MARKED = {"customers": "marked deleted", "payment-methods": "marked detached"}


@dataclass(frozen=True)
class Finding:
    kind: str
    id: str
    # For a difference: field -> (ledger's value, Stripe's value).
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ReconcileReport:
    since: int  # the window of `created` compared, both ends included
    until: int
    checked: dict[str, int] = field(default_factory=dict)
    missing: list[Finding] = field(default_factory=list)
    different: list[Finding] = field(default_factory=list)
    extra: list[Finding] = field(default_factory=list)
    repaired: set[tuple[str, str]] = field(default_factory=set)  # (kind, id)
    requests: int = 0
    seconds: float = 0.0

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.different) + len(self.extra)

    @property
    def unrepaired(self) -> int:
        return self.drift - len(self.repaired)

    def summary(self) -> ReconcileSummary:
        return ReconcileSummary(
            at=self.until + round(self.seconds), since=self.since, until=self.until,
            checked=dict(self.checked), missing=len(self.missing),
            different=len(self.different), extra=len(self.extra),
            repaired=len(self.repaired))

    def as_json(self) -> dict[str, Any]:
        """The stable shape scripts read (money in minor units, times in unix seconds)."""
        return {
            "window": {"since": self.since, "until": self.until},
            "checked": dict(self.checked),
            "missing": [{"type": f.kind, "id": f.id} for f in self.missing],
            "different": [
                {"type": f.kind, "id": f.id,
                 "fields": {name: {"ledger": ledger, "stripe": stripe}
                            for name, (ledger, stripe) in f.fields.items()}}
                for f in self.different],
            "extra": [{"type": f.kind, "id": f.id} for f in self.extra],
            "repaired": len(self.repaired),
        }

    def lines(self) -> list[str]:
        """One line per finding, then the summary line."""
        found = [f"missing   {f.kind} {f.id}{self._outcome(f, 'written')}"
                 for f in self.missing]
        found += [f"different {f.kind} {f.id}: {_differences(f)}{self._outcome(f, 'written')}"
                  for f in self.different]
        found += [f"extra     {f.kind} {f.id}: gone from Stripe"
                  f"{self._outcome(f, _MARKED.get(f.kind, ''))}" for f in self.extra]
        return [*found, str(self)]

    def _outcome(self, finding: Finding, repaired: str) -> str:
        if (finding.kind, finding.id) in self.repaired:
            return f" (repaired: {repaired})"
        if finding.kind not in _MARKED and finding in self.extra:
            return f" (Stripe never deletes {finding.kind}: left as is)"
        return ""

    def __str__(self) -> str:
        checked = ", ".join(f"{n} {kind}" for kind, n in self.checked.items())
        return (f"reconciled {_day(self.since)} to {_day(self.until)}: checked {checked}; "
                f"{len(self.missing)} missing, {len(self.different)} different, "
                f"{len(self.extra)} extra; repaired {len(self.repaired)}; "
                f"{self.requests} requests in {self.seconds:.1f}s")


def _differences(finding: Finding) -> str:
    return "; ".join(f"{name} ledger {ledger!r}, stripe {stripe!r}"
                     for name, (ledger, stripe) in finding.fields.items())


def _day(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M UTC")


def reconcile(gateway: StripeGateway, *, days: int, types: Sequence[str] | None = None,
              repair: bool, now: float) -> ReconcileReport:
    """Compare the last `days` days of `types` (all kinds by default) with Stripe; with
    `repair`, write Stripe's version of what differs. Raises GatewayError (having written
    nothing) when Stripe fails, AccountRefused for a key of another account, ValueError
    for a bad `days` or type."""
    if days < 1:
        raise ValueError(f"days must be 1 or more, not {days}")
    unknown = sorted(set(types or ()) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown type {unknown[0]!r} (known: {', '.join(KINDS)})")
    started = time.perf_counter()
    requests_before = gateway.requests_made
    check_account(gateway)  # another account's objects are no drift: refuse, compare nothing
    until = int(now)
    run = _Reconcile(gateway, since=until - days * DAY, until=until)
    run.compare([KINDS[name] for name in KIND_NAMES if types is None or name in types])
    if repair:
        run.repair()
    run.report.requests = gateway.requests_made - requests_before
    run.report.seconds = time.perf_counter() - started
    return run.report


def scheduled_reconcile(gateway: StripeGateway, *, days: int) -> ReconcileReport:
    """The scheduler's job: reconcile, repair and record the summary; on a failure it
    raises and records nothing, and the next run tries again."""
    report = reconcile(gateway, days=days, repair=True, now=time.time())
    record_summary(report)
    return report


def record_summary(report: ReconcileReport) -> None:
    """Keep the outcome for the console's header and Events pane and `payconsole status`."""

    def record() -> None:
        with database.atomic():
            save_last_reconcile(report.summary())

    retry_locked(record)


class _Reconcile:
    def __init__(self, gateway: StripeGateway, *, since: int, until: int) -> None:
        self.gateway = gateway
        self.report = ReconcileReport(since=since, until=until)
        # Stripe's objects that the ledger lacks or differs from: what a repair writes.
        self.to_write: list[dict[str, Any]] = []
        self.listed: dict[str, set[str]] = {}  # kind -> every id Stripe listed

    def compare(self, kinds: list[Kind]) -> None:
        names = {kind.name for kind in kinds}
        customers: list[str] = []
        if names & {"customers", "payment-methods"}:
            # Payment methods are listed per customer, of every age: all customers, then.
            whole = "payment-methods" in names
            for page in self._pages(KINDS["customers"], {}, whole=whole):
                customers += [obj["id"] for obj in page]
                if "customers" in names:
                    self._compare_page(KINDS["customers"], page)
        for kind in kinds:
            if kind.name == "payment-methods":
                for customer in customers:
                    params = {"customer": customer, "type": "card"}
                    for page in self._pages(kind, params, whole=True, path=PAYMENT_METHODS_PATH):
                        self._compare_page(kind, page)
            elif kind.name != "customers":
                for page in self._pages(kind, kind.list_params):
                    self._compare_page(kind, page)
            self._find_extra(kind)

    def _pages(self, kind: Kind, params: dict[str, Any], *, whole: bool = False,
               path: str = "") -> Iterator[list[dict[str, Any]]]:
        """Pages of Stripe's list (objects with an id); unless `whole` is asked for, a list
        newest first stops at the first page reaching past the window."""
        listed = self.listed.setdefault(kind.name, set())
        for page in self.gateway.pages(path or kind.list_path, params):
            objects = [obj for obj in page if isinstance(obj.get("id"), str)]
            listed.update(obj["id"] for obj in objects)
            yield objects
            if not whole and newest_first(objects) and created_of(objects[-1]) < self.report.since:
                return

    def _compare_page(self, kind: Kind, page: Iterable[dict[str, Any]]) -> None:
        window = self.report.since, self.report.until
        expected: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        for obj in page:
            if not window[0] <= created_of(obj) <= window[1]:
                continue
            try:
                row = expected_row(kind, obj, self.report.until)
            except (RecordError, KeyError, TypeError, AttributeError) as exc:
                log.warning("reconcile skipped a %s that does not parse: %s", kind.name, exc)
                continue
            if row is not None:
                expected[obj["id"]] = (obj, row)
        held = ledger_rows(kind.name, expected, kind.fields)
        self.report.checked[kind.name] = self.report.checked.get(kind.name, 0) + len(expected)
        for object_id, (obj, row) in expected.items():
            ledger = held.get(object_id)
            if ledger is None:
                self.report.missing.append(Finding(kind.name, object_id))
                self.to_write.append(obj)
                continue
            differs = {name: (ledger[name], value) for name, value in row.items()
                       if ledger[name] != value}
            if differs:
                self.report.different.append(Finding(kind.name, object_id, differs))
                self.to_write.append(obj)

    def _find_extra(self, kind: Kind) -> None:
        self.report.checked.setdefault(kind.name, 0)
        gone = ids_in_window(kind.name, self.report.since, self.report.until)
        self.report.extra += [Finding(kind.name, object_id)
                              for object_id in sorted(gone - self.listed.get(kind.name, set()))]

    def repair(self) -> None:
        """One transaction: Stripe's objects through the apply path, extras marked."""
        as_of = self.report.until
        marks = {kind: {f.id for f in self.report.extra if f.kind == kind} for kind in MARKABLE}

        def store() -> None:
            with database.atomic():
                apply_objects(database, self.to_write, as_of)
                for kind, ids in marks.items():
                    mark_gone(kind, ids, as_of)

        retry_locked(store)
        self.report.repaired = {(f.kind, f.id) for f in self.report.missing + self.report.different}
        self.report.repaired |= {(kind, object_id) for kind, ids in marks.items()
                                 for object_id in ids}

