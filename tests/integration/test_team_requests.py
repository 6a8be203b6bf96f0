"""Team mode against a real PostgreSQL server with a service role and operator roles:
operators' actions become requests the service runs against the emulator; roles, limits,
approvals and the faults around them."""

from __future__ import annotations

import threading
from typing import Any

import peewee
import pytest
import stripe

from ledger import requests
from ledger import team as team_ledger
from ledger.audit import entries_touching, verify_chain
from ledger.models import Dispute, Payment, database
from sync import actions as actions_module
from sync.emulator import ControlClient
from sync.plans import ActionFailed, ActionRefused, ActionWaiting
from sync.team_operators import request_change
from tests.helpers import TeamLedgerUrls, authorized, gateway_for, new_payment, sync

Ask = tuple[int, str]


def _paid(team_urls: TeamLedgerUrls, client: stripe.StripeClient, amount: int,
          number: str = "4242424242424242") -> str:
    intent = new_payment(client, amount, "usd", number)
    _sync(team_urls)
    return str(intent.id)


def _sync(team_urls: TeamLedgerUrls) -> None:
    team_urls.open_as("service")
    sync(gateway_for(team_urls.api_base))


def _request(team_urls: TeamLedgerUrls, who: str, method: str, *args: Any,
             **kwargs: Any) -> int:
    """`who` plans and sends an action; the id of the request it became."""
    desk = team_urls.desk(who)
    with pytest.raises(ActionWaiting) as waiting:
        desk.execute(getattr(desk, method)(*args, **kwargs))
    return waiting.value.request_id


def _status(team_urls: TeamLedgerUrls, request_id: int) -> requests.Request:
    team_urls.open_as("service")
    found = requests.request(request_id)
    assert found is not None
    return found


def _refunds_on_stripe(client: stripe.StripeClient, payment_id: str) -> list[Any]:
    return [r for r in client.v1.refunds.list({"limit": 100}).data
            if r.payment_intent == payment_id]


def test_a_refund_within_the_limit_runs_through_the_service(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 4000)
    alice = team.desk("alice")
    with pytest.raises(ActionWaiting) as waiting:
        alice.execute(alice.plan_refund(payment_id, "30.00"))
    request_id = waiting.value.request_id
    assert "waits for the team's sync service (never seen" in str(waiting.value)
    assert team.runner().run_once() >= 1
    result = team.desk("alice").wait_for(request_id, 0)
    assert result.ok and result.object_id and result.object_id.startswith("re_")
    assert Payment.get_by_id(payment_id).amount_refunded == 3000
    row = requests.request(request_id)
    assert row is not None and row.requested_by == "alice" and row.claimed_by == "service-test:1"
    results = [(e.operator, e.result) for e in reversed(entries_touching(payment_id))]
    assert results[:3] == [("alice", "requested"), ("alice", "attempted"),
                           ("alice", "succeeded")]
    assert [e.params for e in entries_touching(payment_id) if "request" not in e.params] == []
    assert verify_chain().ok
    (on_stripe,) = _refunds_on_stripe(stripe_client, payment_id)
    assert on_stripe.metadata["payconsole_operator"] == "alice"


def test_the_database_refuses_an_operators_writes_and_records_who_asked(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 1000)
    team.open_as("alice")
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("UPDATE payment SET amount_refunded = 1000 WHERE id = %s",
                             (payment_id,))
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("INSERT INTO action_request (action, target, call, seen, summary,"
                             " status) VALUES ('refund', 'x', '{}', '{}', 's', 'succeeded')")
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("UPDATE action_request SET status = 'approved'")
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("INSERT INTO audit_entry (seq) VALUES (999)")
    # A name in the row is the database's, whatever the client says.
    request_id = requests.insert_request(action="refund", target=payment_id, call={}, seen={},
                                         summary="x", amount=1, currency="usd",
                                         idempotency_key=None)
    assert _status(team, request_id).requested_by == "alice"
    assert team_ledger.excess_privileges("alice") == []
    assert "UPDATE payment" in team_ledger.excess_privileges("payconsole_service")


def test_a_large_refund_waits_for_a_second_operator(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 9000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "80.00")
    team.runner().run_once()
    waiting = _status(team, request_id)
    assert waiting.status == requests.AWAITING_APPROVAL
    assert "80.00 USD is over alice's per-refund limit of 50.00 USD" in (waiting.message or "")

    team.open_as("alice")  # nobody approves their own request: the database says so
    with pytest.raises(peewee.DatabaseError, match="nobody approves their own request"):
        requests.insert_approval(request_id, requests.APPROVE, "")
    team.open_as("carol")  # not an operator of the team: the service ignores it
    carol = requests.insert_approval(request_id, requests.APPROVE, "looks fine")
    team.runner().run_once()
    assert _status(team, request_id).status == requests.AWAITING_APPROVAL
    assert "carol is not an operator" in (requests.approvals_of(request_id)[0].verdict_message
                                          or "")
    assert requests.approvals_of(request_id)[0].id == carol

    team.open_as("bob")
    requests.insert_approval(request_id, requests.APPROVE, "customer called")
    team.runner().run_once()
    done = _status(team, request_id)
    assert done.status == requests.SUCCEEDED, done.message
    assert Payment.get_by_id(payment_id).amount_refunded == 8000
    trail = [(e.operator, e.result) for e in reversed(entries_touching(payment_id))]
    assert trail[:4] == [("alice", "requested"), ("bob", "approved"), ("alice", "attempted"),
                         ("alice", "succeeded")]
    assert verify_chain().ok


def test_a_rejected_request_never_reaches_stripe(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 9000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "60.00")
    team.runner().run_once()
    team.open_as("bob")
    requests.insert_approval(request_id, requests.REJECT, "not our customer")
    team.runner().run_once()
    rejected = _status(team, request_id)
    assert (rejected.status, rejected.message) == (requests.REJECTED,
                                                   "rejected by bob: not our customer")
    with pytest.raises(ActionRefused, match="rejected"):
        team.desk("alice").wait_for(request_id, 0)
    assert _refunds_on_stripe(stripe_client, payment_id) == []


def test_over_the_daily_limit_is_refused_before_a_request_exists(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    first, second = _paid(team, stripe_client, 5000), _paid(team, stripe_client, 5000)
    _request(team, "alice", "plan_refund", first, "50.00")
    _request(team, "alice", "plan_refund", second, "50.00")
    team.runner().run_once()
    third = _paid(team, stripe_client, 5000)
    alice = team.desk("alice")
    before = len(requests.recent_requests())
    with pytest.raises(ActionRefused) as refused:
        alice.execute(alice.plan_refund(third, "30.00"))
    assert "over alice's daily refund limit of 120.00 USD: 20.00 USD is left today" \
        in str(refused.value)
    assert len(requests.recent_requests()) == before


def test_roles_decide_what_an_operator_may_do(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient, emulator: Any) -> None:
    payment_id = _paid(team, stripe_client, 6000)
    charge = Payment.get_by_id(payment_id).latest_charge
    ControlClient(emulator.api_base).create_dispute(charge, reason="fraudulent", amount=6000)
    _sync(team)
    dispute_id = Dispute.get(Dispute.charge == charge).id
    alice = team.desk("alice")
    assert alice.refusal_for("dispute.accept") == (
        "dispute.accept needs the disputes role; alice holds support")
    with pytest.raises(ActionRefused, match="needs the disputes role"):
        alice.execute(alice.plan_accept(dispute_id))
    assert team.desk("carol").refusal() is not None  # no operator at all
    request_id = _request(team, "bob", "plan_accept", dispute_id)
    team.runner(require_approval=("dispute.accept",)).run_once()
    assert _status(team, request_id).status == requests.AWAITING_APPROVAL
    assert "every dispute.accept needs an approval" in (_status(team, request_id).message or "")


def test_a_role_revoked_while_a_request_waits_is_refused_at_execution(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 9000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "70.00")
    team.runner().run_once()
    team.open_as("admin")
    team_ledger.save_operator(team_ledger.Operator("alice", ("viewer",)), by="admin")
    team.open_as("bob")
    requests.insert_approval(request_id, requests.APPROVE, "")
    team.runner().run_once()
    refused = _status(team, request_id)
    assert refused.status == requests.REFUSED
    assert refused.message == "refund needs the support role; alice holds viewer"
    assert _refunds_on_stripe(stripe_client, payment_id) == []


def test_an_approval_after_expiry_is_ignored(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 9000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "70.00")
    team.runner().run_once()
    later = _status(team, request_id).requested_at + 3 * 3600
    team.open_as("bob")
    requests.insert_approval(request_id, requests.APPROVE, "")
    runner = team.runner(approval_hours=2)
    runner.clock = lambda: later
    runner.run_once()
    expired = _status(team, request_id)
    assert (expired.status, expired.message) == (requests.EXPIRED, "no approval within 2 h")
    (approval,) = requests.approvals_of(request_id)
    assert approval.verdict == requests.IGNORED
    assert "is expired, not waiting" in (approval.verdict_message or "")


def test_a_payment_refunded_elsewhere_meanwhile_is_refused_not_executed(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 9000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "60.00")
    team.runner().run_once()
    stripe_client.v1.refunds.create({"payment_intent": payment_id, "amount": 2000})
    _sync(team)
    team.open_as("bob")
    requests.insert_approval(request_id, requests.APPROVE, "")
    team.runner().run_once()
    refused = _status(team, request_id)
    assert refused.status == requests.REFUSED
    assert "changed since it was requested (remainder: 9000 -> 7000)" in (refused.message or "")
    assert len(_refunds_on_stripe(stripe_client, payment_id)) == 1


def test_two_services_racing_run_a_request_once(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 4000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "10.00")
    runners = [team.runner(f"service-{n}:1") for n in range(4)]
    start = threading.Barrier(len(runners))

    def race(runner: Any) -> None:
        start.wait()
        runner.run_once()

    threads = [threading.Thread(target=race, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _status(team, request_id).status == requests.SUCCEEDED
    assert len(_refunds_on_stripe(stripe_client, payment_id)) == 1
    results = [e.result for e in entries_touching(payment_id)]
    assert results.count("requested") == results.count("attempted") == 1


def test_requests_wait_for_a_stopped_service_and_run_once_it_returns(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 4000)
    team.runner().run_once()  # the service was here, then stopped
    request_id = _request(team, "alice", "plan_refund", payment_id, "10.00")
    with pytest.raises(ActionWaiting, match=r"waits for the team's sync service \(last seen"):
        team.desk("alice").wait_for(request_id, 0.2)
    team.runner().run_once()
    team.runner().run_once()
    assert _status(team, request_id).status == requests.SUCCEEDED
    assert len(_refunds_on_stripe(stripe_client, payment_id)) == 1


def test_a_service_killed_after_stripe_answered_recovers_the_answer(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    payment_id = _paid(team, stripe_client, 5000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "15.00")

    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed after Stripe answered, before the outcome was written")

    with monkeypatch.context() as patched:
        patched.setattr(actions_module, "apply_objects", killed)
        with pytest.raises(SystemExit):
            team.runner("dead-service:1").run_once()
    assert _status(team, request_id).status == requests.RUNNING
    (refund,) = _refunds_on_stripe(stripe_client, payment_id)

    team.runner("new-service:2").run_once()
    done = _status(team, request_id)
    assert (done.status, done.object_id, done.claimed_by) == (requests.SUCCEEDED, refund.id,
                                                              "new-service:2")
    assert len(_refunds_on_stripe(stripe_client, payment_id)) == 1
    assert Payment.get_by_id(payment_id).amount_refunded == 1500
    keys = {e.idempotency_key for e in entries_touching(payment_id) if e.idempotency_key}
    assert len(keys) == 1


def test_unknown_payments_and_malformed_requests_are_refused(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    alice = team.desk("alice")
    with pytest.raises(ActionRefused, match="no payment pi_nope in the ledger"):
        alice.plan_refund("pi_nope")
    team.open_as("alice")
    forged = requests.insert_request(
        action="refund", target="pi_x", call={"method": "execute", "args": [], "kwargs": {}},
        seen={}, summary="x", amount=None, currency=None, idempotency_key=None)
    mismatched = requests.insert_request(
        action="refund", target="pi_x",
        call={"method": "plan_refund", "args": ["pi_nope"], "kwargs": {}},
        seen={}, summary="x", amount=None, currency=None, idempotency_key=None)
    team.runner().run_once()
    assert "'execute' is not an action" in (_status(team, forged).message or "")
    assert _status(team, mismatched).message == "no payment pi_nope in the ledger"


def test_admins_manage_operators_through_the_service(team: TeamLedgerUrls) -> None:
    team.open_as("admin")
    team_ledger.save_operator(team_ledger.Operator("bob", ("admin",)), by="admin")
    team.open_as("alice")
    denied = request_change("set", "carol", ("support",))
    team.open_as("bob")
    added = request_change("add", "carol", ("disputes",),
                           {"eur": team_ledger.Limit(refund=10000, daily=None)})
    team.runner().run_once()
    assert _status(team, denied).message == (
        "only an admin manages operators; alice is not one")
    assert _status(team, added).status == requests.SUCCEEDED
    carol = team_ledger.operator("carol")
    assert carol is not None and carol.roles == ("disputes",)
    assert carol.describe_limits() == "refund 100.00 EUR"
    team.open_as("bob")
    removed = request_change("remove", "carol")
    team.runner().run_once()
    assert _status(team, removed).status == requests.SUCCEEDED
    assert team_ledger.operator("carol") is None
    entries = [(e.operator, e.result, e.target) for e in entries_touching("carol")]
    assert ("bob", "succeeded", "carol") in entries and ("alice", "refused", "carol") in entries


def test_a_failed_stripe_call_is_a_failed_request(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 4000)
    request_id = _request(team, "alice", "plan_refund", payment_id, "10.00")
    stripe_client.v1.refunds.create({"payment_intent": payment_id})  # refunded in full
    team.runner().run_once()
    failed = _status(team, request_id)
    assert failed.status == requests.FAILED, failed.message
    with pytest.raises(ActionFailed):
        team.desk("alice").wait_for(request_id, 0)


def test_holds_are_captured_through_the_service_and_cancels_can_need_approval(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    held, other = authorized(stripe_client, 3000), authorized(stripe_client, 2000)
    _sync(team)
    capture = _request(team, "alice", "plan_capture", held.id, "25.00")
    cancel = _request(team, "alice", "plan_cancel", other.id, reason="requested_by_customer")
    team.runner(require_approval=("cancel",)).run_once()
    assert _status(team, capture).status == requests.SUCCEEDED
    assert Payment.get_by_id(held.id).amount_captured == 2500
    assert _status(team, cancel).status == requests.AWAITING_APPROVAL
    team.open_as("bob")
    requests.insert_approval(cancel, requests.APPROVE, "duplicate order")
    team.runner(require_approval=("cancel",)).run_once()
    assert _status(team, cancel).status == requests.SUCCEEDED
    assert Payment.get_by_id(other.id).status == "canceled"
