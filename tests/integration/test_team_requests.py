"""Team mode against a real PostgreSQL server with a service role and operator roles:
operators' actions become requests the service runs against the emulator; roles, limits,
approvals and the faults around them."""

from __future__ import annotations

import pytest
import stripe

from ledger import requests
from ledger.audit import entries_touching, verify_chain
from ledger.models import Payment
from sync.plans import ActionWaiting
from tests.helpers import TeamLedgerUrls, gateway_for, new_payment, sync


def _paid(team: TeamLedgerUrls, client: stripe.StripeClient, amount: int) -> str:
    intent = new_payment(client, amount, "usd")
    team.open_as("service")
    sync(gateway_for(team.api_base))
    return str(intent.id)


def test_a_refund_within_the_limit_runs_through_the_service(
        team: TeamLedgerUrls, stripe_client: stripe.StripeClient) -> None:
    payment_id = _paid(team, stripe_client, 4000)
    alice = team.desk("alice")
    plan = alice.plan_refund(payment_id, "30.00")
    with pytest.raises(ActionWaiting) as waiting:
        alice.execute(plan)
    request_id = waiting.value.request_id
    assert "waits for the team's sync service" in str(waiting.value)
    assert team.runner().run_once() >= 1
    alice = team.desk("alice")
    result = alice.wait_for(request_id, 0)
    assert result.ok and result.object_id and result.object_id.startswith("re_")
    assert Payment.get_by_id(payment_id).amount_refunded == 3000
    row = requests.request(request_id)
    assert row is not None and row.requested_by == "alice" and row.claimed_by == "service-test:1"
    results = [(e.operator, e.result) for e in entries_touching(payment_id)]
    assert ("alice", "requested") in results and ("alice", "succeeded") in results
    assert verify_chain().ok


def test_an_operator_cannot_write_stripe_data_nor_outcomes(team: TeamLedgerUrls,
                                                          stripe_client: stripe.StripeClient
                                                          ) -> None:
    import peewee

    payment_id = _paid(team, stripe_client, 1000)
    team.open_as("alice")
    from ledger.models import database

    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("UPDATE payment SET amount_refunded = 1000 WHERE id = %s",
                             (payment_id,))
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("INSERT INTO action_request (action, target, call, seen, summary,"
                             " status) VALUES ('refund', 'x', '{}', '{}', 's', 'succeeded')")
