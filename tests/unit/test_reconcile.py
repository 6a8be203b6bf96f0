"""The reconcile's pieces without a network: Stripe's objects parsed the way the sync
parses them, the report's shapes, refusals, and a failed scheduled run recording nothing."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger.reconcile_views import TABLES, ids_in_window, ledger_rows, mark_gone
from sync.gateway import GatewayError, StripeGateway
from sync.reconcile import Finding, ReconcileReport, reconcile, scheduled_reconcile
from sync.reconcile_kinds import KINDS, expected_row
from sync.scheduler import Job, JobScheduler
from sync.trust import load_last_reconcile
from tests.helpers import API_KEY, NOWHERE, at, fill, intent


def test_the_kinds_are_the_ledger_views_kinds_and_columns() -> None:
    assert tuple(KINDS) == tuple(TABLES)
    for name, kind in KINDS.items():
        model = TABLES[name]
        assert all(hasattr(model, field) for field in kind.fields), name


def test_a_payment_compares_its_intent_over_its_latest_charge() -> None:
    obj = intent("pi_1", at(2), 5000, "usd", "succeeded", brand="visa", customer="cus_1")
    obj["latest_charge"]["amount_refunded"] = 1200
    row = expected_row(KINDS["payments"], obj, at(3))
    assert row == {"status": "succeeded", "amount": 5000, "amount_received": 5000,
                   "amount_captured": 5000, "amount_refunded": 1200, "captured": True,
                   "disputed": False, "currency": "usd", "customer": "cus_1"}
    waiting = expected_row(KINDS["payments"], intent("pi_2", at(2), 700, "usd",
                                                     "requires_action"), at(3))
    assert waiting is not None and "captured" not in waiting  # no charge: not compared


def test_ledger_views_read_mark_and_keep_history(ledger: SqliteDatabase) -> None:
    fill(ledger, [
        {"object": "customer", "id": "cus_1", "created": at(2), "email": "a@example.com"},
        {"object": "payment_method", "id": "pm_1", "type": "card", "created": at(2),
         "customer": "cus_1", "card": {"last4": "4242", "exp_month": 1, "exp_year": 2031}},
        intent("pi_1", at(2), 5000, "usd", "succeeded"),
        intent("pi_old", at(1), 100, "usd", "succeeded"),
    ])
    assert ids_in_window("payments", at(2, 0), at(3)) == {"pi_1"}
    assert ledger_rows("payment-methods", ["pm_1", "pm_x"], ("card_last4",)) == {
        "pm_1": {"id": "pm_1", "card_last4": "4242"}}
    with ledger.atomic():
        assert mark_gone("customers", {"cus_1"}, at(4)) == 1
        assert mark_gone("payment-methods", {"pm_1"}, at(4)) == 1
    assert ids_in_window("customers", at(1), at(3)) == set()  # deleted, still there
    assert ids_in_window("payment-methods", at(1), at(3)) == set()
    assert ledger_rows("customers", ["cus_1"], ("deleted",))["cus_1"]["deleted"] is True
    with pytest.raises(ValueError, match="never gone"):
        mark_gone("payments", {"pi_1"}, at(4))


def report() -> ReconcileReport:
    return ReconcileReport(
        since=at(1), until=at(4), checked={"payments": 2, "customers": 1},
        missing=[Finding("payments", "pi_1")],
        different=[Finding("customers", "cus_1", {"email": ("a@x.com", "b@x.com")})],
        extra=[Finding("payments", "pi_9"), Finding("customers", "cus_2")],
        repaired={("payments", "pi_1"), ("customers", "cus_1"), ("customers", "cus_2")},
        requests=3, seconds=0.5)


def test_the_report_in_json_text_and_summary() -> None:
    done = report()
    assert done.as_json() == {
        "window": {"since": at(1), "until": at(4)},
        "checked": {"payments": 2, "customers": 1},
        "missing": [{"type": "payments", "id": "pi_1"}],
        "different": [{"type": "customers", "id": "cus_1",
                       "fields": {"email": {"ledger": "a@x.com", "stripe": "b@x.com"}}}],
        "extra": [{"type": "payments", "id": "pi_9"}, {"type": "customers", "id": "cus_2"}],
        "repaired": 3,
    }
    assert done.lines() == [
        "missing   payments pi_1 (repaired: written)",
        "different customers cus_1: email ledger 'a@x.com', stripe 'b@x.com' "
        "(repaired: written)",
        "extra     payments pi_9: gone from Stripe (Stripe never deletes payments: left as is)",
        "extra     customers cus_2: gone from Stripe (repaired: marked deleted)",
        "reconciled 2026-11-01 12:00 UTC to 2026-11-04 12:00 UTC: checked 2 payments, "
        "1 customers; 1 missing, 1 different, 2 extra; repaired 3; 3 requests in 0.5s",
    ]
    assert done.unrepaired == 1
    summary = done.summary()
    assert (summary.missing, summary.different, summary.extra, summary.repaired,
            summary.drift) == (1, 1, 2, 3, 4)
    assert (summary.since, summary.until, summary.checked) == (at(1), at(4), done.checked)


def dead_gateway() -> StripeGateway:
    return StripeGateway(API_KEY, NOWHERE, max_network_retries=0, timeout_seconds=2)


@pytest.mark.parametrize(("options", "problem"), [
    ({"days": 0}, "days must be 1 or more"),
    ({"days": 3, "types": ["payments", "invoices"]}, "unknown type 'invoices'"),
])
def test_bad_input_is_refused_before_anything_is_sent(
        ledger: SqliteDatabase, options: dict[str, Any], problem: str) -> None:
    gateway = dead_gateway()
    with pytest.raises(ValueError, match=problem):
        reconcile(gateway, repair=True, now=at(4), **options)
    assert gateway.requests_made == 0


def test_a_failed_scheduled_run_records_nothing_and_runs_again(ledger: SqliteDatabase) -> None:
    outcomes: list[BaseException | None] = []

    async def run_twice() -> None:
        work = partial(scheduled_reconcile, dead_gateway(), days=3)
        scheduler = JobScheduler([Job("reconcile", work, 0.2,
                                      lambda _, error: outcomes.append(error))])
        scheduler.start()
        try:
            for _ in range(100):
                if len(outcomes) >= 2:
                    return
                await asyncio.sleep(0.1)
        finally:
            scheduler.shutdown()

    asyncio.run(run_twice())
    assert len(outcomes) >= 2 and all(isinstance(e, GatewayError) for e in outcomes)
    assert load_last_reconcile() is None
