"""Capturing and cancelling authorized payments against the emulator over HTTP with the real
SDK: what reaches the ledger, Stripe and the audit log; every refusal sends nothing; holds
that lapse; a double press or a rerun captures once."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ledger.audit import entries_touching
from ledger.models import Payment
from ledger.queries import DEFAULT_CAPTURE_WINDOW
from sync.actions import Actions
from sync.emulator import ControlClient
from sync.gateway import StripeGateway
from sync.plans import ActionFailed, ActionRefused
from tests.helpers import authorized, paid, sync


def held(client: stripe.StripeClient, gateway: StripeGateway, amount: int,
         currency: str = "usd") -> str:
    """An authorized, uncaptured payment synced into the ledger; its id."""
    intent = authorized(client, amount, currency)
    sync(gateway)
    return str(intent.id)


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ActionRefused) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_the_ledger_keeps_the_hold_and_its_capture_by_time(
        stripe_client: stripe.StripeClient, gateway: StripeGateway) -> None:
    payment_id = held(stripe_client, gateway, 2500)
    row = Payment.get_by_id(payment_id)
    assert (row.status, row.capture_method, row.amount_capturable) == (
        "requires_capture", "manual", 2500)
    charge = stripe_client.v1.charges.retrieve(row.latest_charge)
    assert row.capture_before == charge.payment_method_details.card.capture_before
    assert row.capture_before == charge.created + DEFAULT_CAPTURE_WINDOW


def test_partial_capture_releases_the_rest(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    payment_id = held(stripe_client, gateway, 1000)
    plan = actions.plan_capture(payment_id, "6.00")
    assert (plan.amount, plan.capturable, plan.released) == (600, 1000, 400)
    assert "the other 4.00 USD is released" in plan.summary
    result = actions.execute(plan)
    assert result.ok and result.status == "succeeded"
    row = Payment.get_by_id(payment_id)  # stored from the answer: no sync in between
    assert (row.status, row.amount_captured, row.amount_refunded, row.amount_capturable,
            row.captured) == ("succeeded", 600, 0, 0, True)
    assert stripe_client.v1.refunds.list().data == []  # released, not refunded
    intent = stripe_client.v1.payment_intents.retrieve(payment_id)
    assert (intent.status, intent.amount_received) == ("succeeded", 600)
    assert [e.result for e in entries_touching(payment_id)][:2] == ["succeeded", "attempted"]
    # Now an ordinary payment: no capture, and 6.00 (not 10.00) left to refund.
    assert "not awaiting capture (status succeeded)" in refusal(actions.plan_capture,
                                                                  payment_id)
    assert actions.plan_refund(payment_id).amount == 600


def test_full_capture_in_jpy(stripe_client: stripe.StripeClient, gateway: StripeGateway,
                             actions: Actions) -> None:
    payment_id = held(stripe_client, gateway, 5000, "jpy")
    plan = actions.plan_capture(payment_id)
    assert (plan.amount, plan.confirmation_text) == (5000, "5000")
    actions.execute(plan)
    assert Payment.get_by_id(payment_id).amount_captured == 5000


def test_cancel_with_a_reason(stripe_client: stripe.StripeClient, gateway: StripeGateway,
                              actions: Actions) -> None:
    payment_id = held(stripe_client, gateway, 3000)
    plan = actions.plan_cancel(payment_id, reason="abandoned")
    assert "the 30.00 USD authorization is released" in plan.summary
    result = actions.execute(plan)
    assert result.ok and result.status == "canceled"
    row = Payment.get_by_id(payment_id)
    assert (row.status, row.cancellation_reason) == ("canceled", "abandoned")
    assert stripe_client.v1.payment_intents.retrieve(payment_id).status == "canceled"
    assert "not awaiting capture (status canceled)" in refusal(actions.plan_cancel, payment_id)


def test_refunding_a_hold_names_the_cancel_command(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    payment_id = held(stripe_client, gateway, 3000)
    message = refusal(actions.plan_refund, payment_id)
    assert f"key x, or payconsole cancel {payment_id}" in message


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("10.01", "usd", "more than the 10.00 USD capturable"),
    ("0", "usd", "must be more than zero"),
    ("-1.00", "usd", "must be more than zero"),
    ("1.234", "usd", "capture amount:"),
    ("1.5", "jpy", "JPY amounts have no decimals"),
])
def test_bad_capture_amounts_are_refused_and_nothing_is_sent(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        amount: str, currency: str, expected: str) -> None:
    payment_id = held(stripe_client, gateway, 1000, currency)
    assert expected in refusal(actions.plan_capture, payment_id, amount)
    _nothing_sent(stripe_client, payment_id)


def test_refusals_on_the_wrong_payment_send_nothing(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    succeeded = paid(stripe_client, gateway, 1000)
    assert "not awaiting capture (status succeeded)" in refusal(actions.plan_capture, succeeded)
    assert "not awaiting capture" in refusal(actions.plan_cancel, succeeded)
    assert "no payment pi_unknown in the ledger" in refusal(actions.plan_capture, "pi_unknown")
    assert "no payment pi_unknown in the ledger" in refusal(actions.plan_cancel, "pi_unknown")
    payment_id = held(stripe_client, gateway, 1000)
    assert "cancel reason must be one of duplicate, fraudulent, requested_by_customer, " \
        "abandoned" in refusal(actions.plan_cancel, payment_id, reason="bored")
    _nothing_sent(stripe_client, payment_id)
    assert [e.result for e in entries_touching(succeeded)] == ["refused", "refused"]
    assert [e.result for e in entries_touching("pi_unknown")] == ["refused", "refused"]


def test_a_lapsed_hold_is_refused(stripe_client: stripe.StripeClient, gateway: StripeGateway
                                  ) -> None:
    payment_id = held(stripe_client, gateway, 1000)
    capture_by = Payment.get_by_id(payment_id).capture_before
    late = Actions(gateway, "ada", clock=lambda: capture_by + 1)
    assert "hold lapsed at" in refusal(late.plan_capture, payment_id)
    assert "hold lapsed at" in refusal(late.plan_cancel, payment_id)
    _nothing_sent(stripe_client, payment_id)


def test_a_hold_that_lapses_after_planning_is_refused_by_stripe(
        emulator: Any, stripe_client: stripe.StripeClient, gateway: StripeGateway,
        actions: Actions) -> None:
    payment_id = held(stripe_client, gateway, 1000)
    plan = actions.plan_capture(payment_id)
    ControlClient(emulator.api_base).set_clock(plan.capture_by + 60)
    with pytest.raises(ActionFailed) as caught:
        actions.execute(plan)
    assert caught.value.code == "charge_expired_for_capture"
    assert Payment.get_by_id(payment_id).amount_captured == 0
    assert [e.result for e in entries_touching(payment_id)][:2] == ["failed", "attempted"]


def test_a_double_press_or_a_rerun_captures_once(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    payment_id = held(stripe_client, gateway, 1000)
    plan = actions.plan_capture(payment_id, "4.00")
    first = actions.execute(plan)
    with pytest.raises(ActionRefused) as again:  # the second key press: same plan
        actions.execute(plan)
    assert again.value.repeatable and "already succeeded" in str(again.value)
    rerun = refusal(actions.plan_capture, payment_id, "4.00")  # e.g. the CLI run again
    assert "not awaiting capture" in rerun
    events = stripe_client.v1.events.list({"type": "charge.captured"}).data
    assert len(events) == 1
    results = [e.result for e in entries_touching(payment_id)]
    assert results.count("succeeded") == 1 and results.count("attempted") == 1
    assert {e.idempotency_key for e in entries_touching(payment_id)
            if e.idempotency_key} == {first.idempotency_key}


def _nothing_sent(client: stripe.StripeClient, payment_id: str) -> None:
    """The hold is as it was on Stripe, and the audit log has no attempt on it."""
    intent = client.v1.payment_intents.retrieve(payment_id)
    assert (intent.status, intent.amount_received) == ("requires_capture", 0)
    assert client.v1.events.list({"type": "charge.captured"}).data == []
    assert "attempted" not in [e.result for e in entries_touching(payment_id)]
