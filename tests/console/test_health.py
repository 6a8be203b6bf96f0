"""Health you can see: the account, the last reconcile's drift and the webhook receiver in
the header, and the last reconcile in the Events pane."""

from __future__ import annotations

import json

import aiohttp
import pytest

from console.widgets.trust_text import (
    account_text,
    drift_text,
    receiver_text,
    reconcile_report,
    unrepaired,
)
from sync.scheduler import Job
from sync.trust import ReconcileSummary, StripeAccount, save_account, save_last_reconcile
from sync.webhook import WebhookReceiver, WebhookStats
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, AppFactory
from tests.helpers import SECRET, idle_job, intent_event, label_text, store_event, stripe_headers

ACME = StripeAccount(id="acct_1Acme", livemode=False, name="Acme", country="GB",
                     default_currency="gbp")


def reconciled(minutes_ago: int, *, missing: int = 0, different: int = 0, extra: int = 0,
               repaired: int = 0) -> ReconcileSummary:
    at = NOW - minutes_ago * 60
    return ReconcileSummary(at=at, since=at - 3 * 86400, until=at,
                            checked={"payments": 7, "refunds": 1, "disputes": 1},
                            missing=missing, different=different, extra=extra,
                            repaired=repaired)


# -- the texts ------------------------------------------------------------------------


@pytest.mark.parametrize(("account", "text"), [
    (None, ""),
    (ACME, "acct_1Acme Acme (test)"),
    (StripeAccount(id="acct_1Live", livemode=True), "acct_1Live (live)"),
])
def test_account_text(account: StripeAccount | None, text: str) -> None:
    assert account_text(account) == text


@pytest.mark.parametrize(("summary", "text", "warn"), [
    (None, "reconcile: never", False),
    (reconciled(12), "drift: none 12m ago", False),
    (reconciled(12, missing=2, different=1, repaired=3), "drift: 3 repaired 12m ago", False),
    (reconciled(90, missing=3, extra=2, repaired=2), "drift: 5 found, 2 repaired 1h ago", True),
    (reconciled(0, different=1), "drift: 1 found, 0 repaired 0s ago", True),
])
def test_drift_text(summary: ReconcileSummary | None, text: str, warn: bool) -> None:
    assert drift_text(summary, NOW) == text
    assert unrepaired(summary) is warn


@pytest.mark.parametrize(("stats", "text"), [
    (WebhookStats(), "webhook: not listening"),
    (WebhookStats(address="127.0.0.1:8787"), "webhook 127.0.0.1:8787 · no event yet · 0 rejected"),
    (WebhookStats(address="127.0.0.1:8787", last_event_at=NOW - 5, accepted=9, rejected=2),
     "webhook 127.0.0.1:8787 · last event 5s ago · 2 rejected"),
])
def test_receiver_text(stats: WebhookStats, text: str) -> None:
    assert receiver_text(stats, NOW) == text


def test_reconcile_report() -> None:
    assert reconcile_report(None).startswith("No reconcile yet")
    report = reconcile_report(reconciled(12, missing=2, different=1, extra=1, repaired=3))
    assert report.splitlines() == [
        "Last reconcile 2026-11-18 10:54:40, window 2026-11-15 10:54 to 2026-11-18 10:54",
        "2 missing, 1 different, 1 extra, 3 repaired · checked payments 7, refunds 1, "
        "disputes 1"]
    assert reconcile_report(ReconcileSummary(at=NOW, since=NOW, until=NOW)).endswith(
        "checked nothing")


# -- in the app -----------------------------------------------------------------------


async def test_before_the_first_sync_there_is_no_account_and_no_reconcile(
        make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query_one("#header-account").display
        assert label_text(pilot, "#header-drift") == "reconcile: never"
        assert not app.query_one("#header-webhook").display  # no receiver in this session
        assert label_text(pilot, "#events-reconcile").startswith("No reconcile yet")


async def test_the_header_and_events_pane_reread_the_records_after_each_job(
        make_app: AppFactory, wait_for: Waiter) -> None:
    def first_sync_and_reconcile() -> str:  # what the account check and reconcile record
        save_account(ACME)
        save_last_reconcile(reconciled(0, missing=5, repaired=2))
        return "reconciled"

    job = Job("sync", first_sync_and_reconcile, every_seconds=3600, run_at_start=False)
    app = make_app(jobs=[job])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_for(lambda: app.query_one("#header-account").display, pilot=pilot)
        assert label_text(pilot, "#header-account") == "acct_1Acme Acme (test)"
        assert label_text(pilot, "#header-drift") == "drift: 5 found, 2 repaired 0s ago"
        assert app.query_one("#header-drift").has_class("-unrepaired")
        report = label_text(pilot, "#events-reconcile")
        assert "5 missing, 0 different, 0 extra, 2 repaired" in report
        assert app.query_one("#events-reconcile").has_class("-unrepaired")


async def test_the_header_counts_a_real_receivers_accepted_and_rejected_deliveries(
        make_app: AppFactory, wait_for: Waiter) -> None:
    # The receiver's clock runs 5 s behind the app's: its last event shows as 5 s old.
    receiver = WebhookReceiver(SECRET, store_event, port=0, clock=lambda: NOW - 5)
    app = make_app(jobs=[idle_job()], services=[receiver])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: receiver.stats.address is not None, pilot=pilot)
        webhook = lambda: label_text(pilot, "#header-webhook")  # noqa: E731
        await wait_for(lambda: "no event yet · 0 rejected" in webhook(), pilot=pilot)
        assert webhook().startswith(f"webhook 127.0.0.1:{receiver.port} ")
        body = json.dumps(intent_event("evt_h1", NOW - 60, "succeeded")).encode()
        async with aiohttp.ClientSession() as session:
            for headers in (stripe_headers(body, at=NOW - 5),
                            stripe_headers(body, at=NOW - 5, secret="whsec_other")):
                await session.post(receiver.url, data=body, headers=headers)
        await wait_for(lambda: "last event 5s ago · 1 rejected" in webhook(), pilot=pilot)
        assert (receiver.stats.accepted, receiver.stats.rejected) == (1, 1)

