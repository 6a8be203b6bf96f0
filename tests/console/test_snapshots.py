"""Screenshots of the console on the fixed ledger, UTC and a frozen clock (conftest).

After a deliberate change of the look, review and refresh them with
`pytest tests/console/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Label

from console.context import Mode
from ledger import requests
from ledger.db import open_ledger
from ledger.team import TeamSettings, publish_settings
from sync.apply import ApplyResult
from sync.health import SyncHealth, save_health
from sync.scheduler import Job
from sync.trust import ReconcileSummary, StripeAccount, save_account, save_last_reconcile
from sync.webhook import WebhookReceiver, WebhookStats
from tests.console.conftest import NOW, SIZE, AppFactory, fixed_objects, write_objects
from tests.helpers import (
    NOWHERE,
    attach_file,
    offline_actions,
    operator_console,
    pdf_bytes,
    png_bytes,
    saved_evidence_file,
    team_ledger,
    with_actions,
    write_file,
)


def idle_sync() -> Job:
    return Job("sync", lambda: None, every_seconds=3600, run_at_start=False)


def test_payments_pane(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(jobs=[idle_sync()]), terminal_size=SIZE)


def test_live_header_with_a_failing_sync(make_app: AppFactory, snap_compare: Any) -> None:
    save_health(SyncHealth(last_success=NOW - 4000, consecutive_failures=2,
                           last_error="Stripe API unreachable: connection refused",
                           newest_event=NOW - 4100, events_total=4))
    assert snap_compare(make_app(mode=Mode.LIVE, jobs=[idle_sync()]), terminal_size=(150, 8))


def test_payment_detail_of_a_refunded_payment(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["down", "down", "enter"], terminal_size=SIZE)


def test_payment_detail_of_a_declined_payment(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["down", "down", "down", "enter"],
                        terminal_size=SIZE)


def test_header_with_account_drift_and_webhook_at_120_columns(
        make_app: AppFactory, snap_compare: Any) -> None:
    save_account(StripeAccount(id="acct_1Acme", livemode=False, name="Acme"))
    at = NOW - 12 * 60
    save_last_reconcile(ReconcileSummary(at=at, since=at - 3 * 86400, until=at, missing=3,
                                         extra=2, repaired=2))
    # Not started (no jobs, so no services either): its stats as a running one has them.
    receiver = WebhookReceiver("whsec_snapshot", lambda event: ApplyResult())
    receiver.stats = WebhookStats(address="127.0.0.1:8787", last_event_at=NOW - 5,
                                  accepted=40, rejected=2)
    assert snap_compare(make_app(services=[receiver]), terminal_size=(120, 8))


def test_events_pane_with_the_last_reconcile(make_app: AppFactory, snap_compare: Any) -> None:
    at = NOW - 12 * 60
    save_last_reconcile(ReconcileSummary(
        at=at, since=at - 3 * 86400, until=at, missing=2, different=1, repaired=3,
        checked={"payments": 7, "refunds": 1, "disputes": 1, "customers": 2,
                 "payment-methods": 3, "early-fraud-warnings": 0}))
    assert snap_compare(make_app(jobs=[idle_sync()]), press=["5"], terminal_size=(120, 16))


def test_evidence_form_with_files_attached(make_app: AppFactory, snap_compare: Any,
                                           tmp_path: Path) -> None:
    saved_evidence_file()  # the receipt is on Stripe already
    chat = write_file(tmp_path, "chat-with-customer.png", png_bytes())
    tracking = write_file(tmp_path, "tracking.pdf", pdf_bytes(3))

    async def attach(pilot: Pilot) -> None:
        await pilot.press("2", "v")
        await attach_file(pilot, "customer_communication", chat)
        await attach_file(pilot, "shipping_documentation", tracking)

    app = with_actions(make_app(), offline_actions())
    assert snap_compare(app, run_before=attach, terminal_size=SIZE)


def test_approvals_pane_on_a_team_ledger(pg_url: str, snap_compare: Any) -> None:
    """PostgreSQL only: a team ledger needs the server's roles (the operators, the
    service). bob's console: alice's refund waiting for an approval over bob's own two
    requests, one refunded, one rejected; the service seen 12 s ago."""
    team = team_ledger(pg_url, NOWHERE)
    write_objects(open_ledger(team.admin), fixed_objects(), as_of=NOW - 3600)
    asked = [("alice", "pi_usd", 1250, "usd"), ("bob", "pi_jpy", 1500, "jpy"),
             ("bob", "pi_kwd", 1250, "kwd")]
    for who, payment_id, amount, currency in asked:
        team.open_as(who)
        requests.insert_request(action="refund", target=payment_id, call={}, seen={},
                                summary=f"refund {payment_id}", amount=amount,
                                currency=currency, idempotency_key=None)
    team.open_as("service")
    for request_id, status, at, message in (
            (1, requests.AWAITING_APPROVAL, NOW - 600,
             "every refund needs an approval ([team] require_approval)"),
            (2, requests.SUCCEEDED, NOW - 300, "refunded 1,500 JPY (re_jpy)"),
            (3, requests.REJECTED, NOW - 120, "rejected by alice: not our customer")):
        requests.move(request_id, to=status, when=[requests.PENDING], now=at, message=message)
    publish_settings(TeamSettings(service_seen_at=NOW - 12))
    app = operator_console(team.bob, "bob", clock=lambda: NOW)
    ledger = app.context.team
    assert ledger is not None
    ledger.where = "postgresql://bob@db.example:5432/payments"  # not the test server's port

    async def show_it(pilot: Pilot) -> None:
        await pilot.press("9")
        deadline = time.monotonic() + 15
        while not str(pilot.app.query_one("#header-team", Label).content).startswith(
                "team ledger postgresql://bob@db.example"):
            assert time.monotonic() < deadline, "the change feed never connected"
            await pilot.pause(0.05)

    assert snap_compare(app, run_before=show_it, terminal_size=SIZE)
