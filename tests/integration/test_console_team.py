"""Operators' consoles on a team ledger (PostgreSQL only: the roles are the server's): the
Approvals pane, approving and rejecting from it, the header's operator line, the actions a
role does not allow, and the issue's two consoles on one ledger, one asking for a large
refund and the other approving it, the first seeing the outcome without a key press."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import stripe
from textual.pilot import Pilot
from textual.widgets import Input, Label

from console.app import PayConsoleApp
from console.palette import ConsoleCommands
from console.panes.approvals import ApprovalsPane
from console.panes.payments import PaymentsPane
from console.screens.confirm import ConfirmScreen
from console.screens.refund_dialog import RefundDialog
from console.screens.reject_dialog import RejectDialog
from ledger import requests
from ledger.models import Payment
from ledger.team import Limit, Operator, current_role, save_operator
from sync.plans import ActionWaiting
from tests.conftest import Waiter
from tests.helpers import (
    TeamLedgerUrls,
    approve_in_pane,
    cli_env,
    gateway_for,
    label_text,
    new_payment,
    operator_console,
    read_until,
    sync,
    toasts,
)

SIZE = (150, 40)
ROOT = Path(__file__).resolve().parents[2]
APPROVER = ROOT / "tests" / "console" / "team_approver.py"  # bob's console, in a process


def _paid(team: TeamLedgerUrls, client: stripe.StripeClient, amount: int) -> str:
    intent = new_payment(client, amount, "usd")
    team.open_as("service")
    sync(gateway_for(team.api_base))
    return str(intent.id)


def _waiting_for_approval(team: TeamLedgerUrls, payment_id: str, amount: str) -> int:
    """alice's refund of `amount` (over her 50.00 limit), admitted by the service."""
    alice = team.desk("alice")
    with pytest.raises(ActionWaiting) as waiting:
        alice.execute(alice.plan_refund(payment_id, amount))
    request_id = waiting.value.request_id
    team.runner().run_once()
    found = requests.request(request_id)
    assert found is not None and found.status == requests.AWAITING_APPROVAL
    return request_id


def _pane(app: PayConsoleApp) -> ApprovalsPane:
    return app.query_one(ApprovalsPane)


async def _connected(app: PayConsoleApp, pilot: Pilot[Any], wait_for: Waiter) -> None:
    team = app.context.team
    assert team is not None
    await wait_for(lambda: team.connected, pilot=pilot, what="the change feed")


async def test_the_pane_lists_a_waiting_request_and_approving_it_runs_it(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient, wait_for: Waiter) -> None:
    payment_id = _paid(team, stripe_client, 8000)
    request_id = _waiting_for_approval(team, payment_id, "80.00")
    app = operator_console(team.bob, "bob")
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app, pilot, wait_for)
        await pilot.press("9")
        await pilot.pause()
        (line,) = _pane(app).pending.lines
        assert (line.request.id, line.request.requested_by, line.request.action,
                line.request.target) == (request_id, "alice", "refund", payment_id)
        assert line.target_now == "succeeded"
        assert line.request.message == "80.00 USD is over alice's per-refund limit of 50.00 USD"
        assert label_text(pilot, "#approvals-summary").startswith(
            "1 request waits for approval · you are bob")
        await approve_in_pane(pilot, request_id)
        await wait_for(lambda: bool(requests.approvals_of(request_id)), pilot=pilot,
                       what="bob's approval")
        (approval,) = requests.approvals_of(request_id)
        assert (approval.approver, approval.decision) == ("bob", requests.APPROVE)
        team.runner().run_once()  # the service: the approval counts, the refund runs
        team.open_as("bob")
        await wait_for(lambda: not _pane(app).pending.lines, pilot=pilot,
                       what="the pane to drop the request once it ran")
        await pilot.press("q")
    assert Payment.get_by_id(payment_id).amount_refunded == 8000
    done = requests.request(request_id)
    assert done is not None and done.status == requests.SUCCEEDED


async def test_the_requester_cannot_approve_and_a_rejection_needs_a_reason(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient, wait_for: Waiter) -> None:
    payment_id = _paid(team, stripe_client, 9000)
    request_id = _waiting_for_approval(team, payment_id, "90.00")
    alice = operator_console(team.alice, "alice")
    async with alice.run_test(size=SIZE) as pilot:
        await approve_in_pane(pilot, request_id)
        await wait_for(lambda: any("nobody approves their own request" in note
                                   for note in toasts(alice)), pilot=pilot, what="the refusal")
        assert "1 of them yours" in label_text(pilot, "#approvals-summary")
        await pilot.press("q")
    assert requests.approvals_of(request_id) == []  # refused before anything was inserted
    bob = operator_console(team.bob, "bob")
    async with bob.run_test(size=SIZE) as pilot:
        await approve_in_pane(pilot, request_id, key="x")
        await pilot.pause()
        dialog = bob.screen
        assert isinstance(dialog, RejectDialog)
        await pilot.press("enter")  # no reason given
        await pilot.pause()
        assert "say why" in str(dialog.query_one("#reject-reason-error", Label).content)
        dialog.query_one("#reject-reason", Input).value = "not our customer"
        await pilot.press("enter")
        await wait_for(lambda: bool(requests.approvals_of(request_id)), pilot=pilot,
                       what="bob's rejection")
        await pilot.press("q")
    (rejection,) = requests.approvals_of(request_id)
    assert (rejection.decision, rejection.reason) == (requests.REJECT, "not our customer")
    team.runner().run_once()
    rejected = requests.request(request_id)
    assert rejected is not None and rejected.status == requests.REJECTED
    assert Payment.get_by_id(payment_id).amount_refunded == 0


async def test_the_header_shows_the_operator_the_service_and_what_waits(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient, wait_for: Waiter) -> None:
    payment_id = _paid(team, stripe_client, 7000)
    _waiting_for_approval(team, payment_id, "70.00")  # the service was seen: just now
    app = operator_console(team.alice, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: label_text(pilot, "#header-team").startswith(
            "team ledger postgresql://alice@"), pilot=pilot, what="the header's team line")
        line = label_text(pilot, "#header-team")
        assert " · operator alice (support) · service last seen " in line
        assert label_text(pilot, "#header-approvals").strip() == (
            "1 request waits for approval: see Approvals")
        assert not app.query_one("#header-privileges").display  # alice holds no more grants
        await pilot.press("q")
    team.open_as("admin")
    owner = current_role()  # the ledger's owner: it can write anything
    admin = operator_console(team.admin, owner)
    async with admin.run_test(size=SIZE) as pilot:
        await wait_for(lambda: f"operator {owner}" in label_text(pilot, "#header-team"),
                       pilot=pilot, what="the header's team line")
        warning = label_text(pilot, "#header-privileges")
        assert warning.startswith(f"role {owner} can write INSERT payment, UPDATE payment")
        assert "(not an operator)" in label_text(pilot, "#header-team")
        await pilot.press("q")


async def test_an_action_the_role_does_not_allow_is_hidden_and_says_why(
        team: TeamLedgerUrls, wait_for: Waiter) -> None:
    app = operator_console(team.alice, "alice")  # support: no disputes role
    async with app.run_test(size=SIZE) as pilot:
        why = "dispute.accept needs the disputes role; alice holds support"
        assert app.command_refusal("disputes.accept") == why
        assert app.command_refusal("payments.refund") is None
        assert not app.check_action("operator", ("disputes.accept",))
        assert app.check_action("operator", ("payments.refund",))
        hits = dict((command.id, help) for command, help in ConsoleCommands(app.screen)._hits())
        assert hits["disputes.accept"].startswith(f"unavailable: {why} · ")
        assert not hits["payments.refund"].startswith("unavailable")
        assert "app.pane.approvals" in hits
        await pilot.press("2", "a")  # the key is inert; the palette's run says why
        await pilot.pause()
        assert not any("accept" in note.lower() for note in toasts(app))
        await app.run_command("disputes.accept")
        await pilot.pause()
        assert any(f"Not available: {why}" in note for note in toasts(app))
        await pilot.press("q")


# -- the test: two consoles on one ledger ------------------------------------------

async def _request_refund(pilot: Pilot[Any], payment_id: str) -> None:
    """In alice's console: r on the payment, its whole remainder, review, confirm."""
    app = pilot.app
    await pilot.press("1")
    pane = app.query_one(PaymentsPane)
    position = pane.source.position_of(payment_id)
    assert position is not None
    pane.table.move_cursor(position)
    await pilot.press("r")
    assert isinstance(app.screen, RefundDialog)
    await pilot.click("#dialog-submit")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmScreen)
    await pilot.press("enter")


def _newest_request_of(who: str) -> requests.Request | None:
    mine = requests.requests_by(who, limit=1)
    return mine[0] if mine else None


async def test_two_consoles_one_asks_for_a_large_refund_the_other_approves_it(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient, wait_for: Waiter,
        tmp_path: Path) -> None:
    runs = 3
    team.open_as("admin")  # a daily limit that lets alice ask three times
    save_operator(Operator("alice", ("support",), {"usd": Limit(refund=5000, daily=100_000)}),
                  by="admin")
    payment_ids = [str(new_payment(stripe_client, 8000, "usd").id) for _ in range(runs)]
    service = subprocess.Popen(  # the team's sync service: the only one with the key
        [sys.executable, "-m", "console.cli", "sync", "--api-base", team.api_base,
         "--ledger", team.service], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=cli_env(tmp_path, PAYCONSOLE_SYNC__INTERVAL_SECONDS="30"))
    latencies = []
    try:
        read_until(service, "sync: leader")
        app = operator_console(team.alice, "alice")
        async with app.run_test(size=SIZE) as pilot:
            await _connected(app, pilot, wait_for)
            payments = app.query_one(PaymentsPane)
            await wait_for(lambda: all(payments.source.position_of(p) is not None
                                       for p in payment_ids), pilot=pilot, timeout=60,
                           what="the service's first sync to bring the payments")
            for payment_id in payment_ids:
                await _request_refund(pilot, payment_id)
                await wait_for(lambda: any("waits for another operator's approval" in note
                                           for note in toasts(app)), pilot=pilot,
                               what="the request sent, waiting for an approval")
                assert not isinstance(app.screen, RefundDialog | ConfirmScreen)  # sent
                assert any(": sent: request " in note for note in toasts(app))  # no error
                asked = _newest_request_of("alice")
                assert asked is not None and asked.target == payment_id
                app.clear_notifications()
                bob = subprocess.Popen(
                    [sys.executable, str(APPROVER), team.bob, str(asked.id)], cwd=ROOT,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    env={**os.environ, "PYTHONPATH": str(ROOT)})
                outcome = f"Request {asked.id} succeeded"
                try:
                    await wait_for(lambda o=outcome: any(o in n for n in toasts(app)),
                                   pilot=pilot, timeout=90, what="alice's console to show it")
                    shown = time.time()
                    out, err = bob.communicate(timeout=30)
                finally:
                    bob.kill()
                assert bob.returncode == 0, err.decode()
                approved = float(out.decode().split("APPROVED ", 1)[1].split()[0])
                latencies.append(shown - approved)
                assert Payment.get_by_id(payment_id).amount_refunded == 8000
                assert any("8000" in note or "80.00 USD" in note for note in toasts(app))
            await pilot.press("q")
    finally:
        service.terminate()
        service.communicate(timeout=30)
    median = statistics.median(latencies)
    print(f"two consoles: bob's approval to alice's console showing the refund: median "
          f"{median:.2f} s over {runs} runs ({', '.join(f'{s:.2f}' for s in latencies)})")
    assert median < 10, latencies
