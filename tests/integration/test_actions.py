"""Operator actions against the emulator over HTTP with the real SDK: refunds, charges,
payment-method edits and disputes; idempotency across double presses and crashes; what
reaches the ledger and the audit log."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ledger.audit import AuditListing, entries_touching, verify_chain
from ledger.models import Customer, Dispute, Payment, PaymentMethod, PendingAction, Refund
from sync import actions as actions_module
from sync.actions import Actions
from sync.emulator import ControlClient
from sync.gateway import StripeGateway
from sync.plans import ActionFailed, ActionRefused, ActionResult
from tests.helpers import customer_with_cards, paid, sync


def refunds_on_stripe(client: stripe.StripeClient, payment_id: str) -> list[Any]:
    return [r for r in client.v1.refunds.list({"limit": 100}).data
            if r.payment_intent == payment_id]


# -- refunds ------------------------------------------------------------------------------

def test_full_refund_in_usd_reaches_the_ledger_at_once(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    payment_id = paid(stripe_client, gateway, 4200)
    plan = actions.plan_refund(payment_id, reason="requested_by_customer", note="late parcel")
    assert plan.amount == 4200
    result = actions.execute(plan)
    assert result.ok and result.status == "succeeded" and result.object_id.startswith("re_")
    row = Payment.get_by_id(payment_id)  # no sync in between: the response was stored
    assert (row.amount_refunded, row.refunded) == (4200, True)
    refund = Refund.get_by_id(result.object_id)
    assert (refund.amount, refund.reason, refund.payment) == (4200, "requested_by_customer",
                                                              payment_id)
    assert '"note":"late parcel"' in refund.metadata
    (on_stripe,) = refunds_on_stripe(stripe_client, payment_id)
    assert on_stripe.metadata["payconsole_operator"] == "ada"
    assert "already fully refunded" in _refusal(actions.plan_refund, payment_id)


def test_partial_refunds_in_jpy(stripe_client: stripe.StripeClient, gateway: StripeGateway,
                                actions: Actions) -> None:
    payment_id = paid(stripe_client, gateway, 5000, "jpy")
    first = actions.execute(actions.plan_refund(payment_id, "1200"))
    second = actions.plan_refund(payment_id, "800")
    assert (second.amount, second.remainder) == (800, 3800)
    actions.execute(second)
    assert "JPY amounts have no decimals" in _refusal(actions.plan_refund, payment_id, "1.5")
    assert Payment.get_by_id(payment_id).amount_refunded == 2000
    assert sorted(r.amount for r in refunds_on_stripe(stripe_client, payment_id)) == [800, 1200]
    refund = Refund.get_by_id(first.object_id)
    assert (refund.amount, refund.currency) == (1200, "jpy")


def test_over_refund_refused_by_stripe_when_the_ledger_was_stale(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    payment_id = paid(stripe_client, gateway, 5000)
    stripe_client.v1.refunds.create({"payment_intent": payment_id, "amount": 3000})
    plan = actions.plan_refund(payment_id, "40.00")  # the ledger still says 50.00 is left
    with pytest.raises(ActionFailed) as caught:
        actions.execute(plan)
    assert "greater than unrefunded amount" in str(caught.value)
    assert caught.value.code == "amount_too_large" and not caught.value.outcome_unknown
    # The refusal made the ledger re-read the payment: the next plan knows better.
    assert Payment.get_by_id(payment_id).amount_refunded == 3000
    assert "left to refund" in _refusal(actions.plan_refund, payment_id, "40.00")
    assert [e.result for e in entries_touching(payment_id)][:3] == ["refused", "failed",
                                                                    "attempted"]


def test_the_same_refund_twice_refunds_once(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    payment_id = paid(stripe_client, gateway, 5000)
    plan = actions.plan_refund(payment_id, "10.00")
    first = actions.execute(plan)
    with pytest.raises(ActionRefused) as pressed_again:  # the same dialog confirmed twice
        actions.execute(plan)
    assert pressed_again.value.repeatable
    with pytest.raises(ActionRefused) as planned_again:  # the same command run again
        actions.plan_refund(payment_id, "10.00")
    assert first.object_id in str(planned_again.value)
    assert len(refunds_on_stripe(stripe_client, payment_id)) == 1
    again = actions.execute(actions.plan_refund(payment_id, "10.00", repeat=True))
    assert again.object_id != first.object_id and again.idempotency_key != first.idempotency_key
    assert len(refunds_on_stripe(stripe_client, payment_id)) == 2
    assert Payment.get_by_id(payment_id).amount_refunded == 2000


def test_a_rerun_after_a_crash_reuses_the_key_and_refunds_once(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        monkeypatch: pytest.MonkeyPatch) -> None:
    payment_id = paid(stripe_client, gateway, 5000)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed after Stripe answered, before the ledger stored it")

    with monkeypatch.context() as patched:
        patched.setattr(actions_module, "apply_objects", crash)
        with pytest.raises(SystemExit):
            actions.execute(actions.plan_refund(payment_id, "15.00"))
    assert PendingAction.get().status == "pending"
    assert Payment.get_by_id(payment_id).amount_refunded == 0  # the ledger never learned
    (refund,) = refunds_on_stripe(stripe_client, payment_id)

    rerun = Actions(gateway, "ada")  # a new process, same ledger
    plan = rerun.plan_refund(payment_id, "15.00")
    assert any("resumes the unfinished attempt" in w for w in plan.warnings)
    result = rerun.execute(plan)
    assert result.object_id == refund.id  # Stripe answered with the first result
    assert len(refunds_on_stripe(stripe_client, payment_id)) == 1
    assert Payment.get_by_id(payment_id).amount_refunded == 1500
    keys = {e.idempotency_key for e in entries_touching(payment_id)}
    assert keys == {result.idempotency_key}


# -- charging a saved method --------------------------------------------------------------

def test_a_charge_that_succeeds(stripe_client: stripe.StripeClient, gateway: StripeGateway,
                                actions: Actions) -> None:
    customer, (method,) = customer_with_cards(stripe_client, "4242424242424242")
    sync(gateway)
    plan = actions.plan_charge(customer, "25.00", "usd", description="order 1001")
    assert plan.payment_method_id == method  # the only card
    result = actions.execute(plan)
    assert result.ok and result.status == "succeeded"
    row = Payment.get_by_id(result.object_id)
    assert (row.status, row.amount_received, row.card_last4, row.description) == (
        "succeeded", 2500, "4242", "order 1001")
    assert entries_touching(result.object_id)[0].object_status == "succeeded"


def charge_a_new_card(client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
                      number: str, amount: str, currency: str) -> tuple[str, ActionResult]:
    """Charge a new customer's only card (`number`), once the ledger knows the customer."""
    customer, _ = customer_with_cards(client, number)
    sync(gateway)
    return customer, actions.execute(actions.plan_charge(customer, amount, currency))


def test_a_declined_charge_is_stored_as_failed(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    customer, result = charge_a_new_card(stripe_client, gateway, actions, "4000000000000341",
                                         "9.00", "usd")
    assert (result.ok, result.status, result.failure_code, result.decline_code) == (
        False, "requires_payment_method", "card_declined", "generic_decline")
    assert "Your card was declined." in result.message
    row = Payment.get_by_id(result.object_id)
    assert (row.status, row.failure_code, row.decline_code) == (
        "requires_payment_method", "card_declined", "generic_decline")
    entry = AuditListing().page(0, 1)[0]
    assert (entry.result, entry.object_id) == ("failed", result.object_id)
    # A declined charge did not happen: trying again is a new attempt, not a replay.
    retry = actions.plan_charge(customer, "9.00", "usd")
    assert retry.attempt == 2


def test_a_charge_needing_3d_secure_is_reported_as_such(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    _, result = charge_a_new_card(stripe_client, gateway, actions, "4000002500003155",
                                  "30.00", "eur")
    assert (result.ok, result.status) == (False, "requires_action")
    assert "3-D Secure" in result.message
    assert Payment.get_by_id(result.object_id).status == "requires_action"


# -- payment methods ------------------------------------------------------------------------

def test_expiry_edit_keeps_brand_and_last4(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    _, (method,) = customer_with_cards(stripe_client, "5555555555554444")
    sync(gateway)
    result = actions.execute(actions.plan_method_update(
        method, exp_month="4", exp_year="2032", name="Ada Lovelace", postal_code="94107"))
    assert result.ok
    row = PaymentMethod.get_by_id(method)
    assert (row.card_brand, row.card_last4, row.exp_month, row.exp_year) == (
        "mastercard", "4444", 4, 2032)
    assert (row.billing_name, row.billing_postal_code) == ("Ada Lovelace", "94107")
    card = stripe_client.v1.payment_methods.retrieve(method).card
    assert (card.brand, card.last4, card.exp_month) == ("mastercard", "4444", 4)


def test_set_default_then_detach_clears_the_default(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    customer, (first, second) = customer_with_cards(
        stripe_client, "4242424242424242", "4000056655665556")
    sync(gateway)
    actions.execute(actions.plan_set_default(second))
    assert Customer.get_by_id(customer).default_payment_method == second
    plan = actions.plan_detach(second)
    assert plan.was_default and first in plan.warnings[0] and "no default" in plan.warnings[0]
    actions.execute(plan)
    assert PaymentMethod.get_by_id(second).customer is None
    assert Customer.get_by_id(customer).default_payment_method is None  # re-read after
    assert stripe_client.v1.customers.retrieve(customer).invoice_settings.default_payment_method \
        is None


# -- disputes -------------------------------------------------------------------------------

def test_evidence_draft_submit_then_second_submit_refused(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        emulator: Any) -> None:
    payment_id = paid(stripe_client, gateway, 7500, number="4000000000000259")
    dispute = Dispute.get(Dispute.payment == payment_id)  # created by the test card, synced
    assert dispute.status == "needs_response"
    assert "through the dispute" in _refusal(actions.plan_refund, payment_id)

    actions.execute(actions.plan_evidence(dispute.id, {"product_description": "A blue mug"}))
    assert (Dispute.get_by_id(dispute.id).status, Dispute.get_by_id(dispute.id).has_evidence) \
        == ("needs_response", True)
    submitted = actions.execute(actions.plan_evidence(
        dispute.id, {"shipping_date": "2024-05-02"}, submit=True))
    assert submitted.status == "under_review"
    assert Dispute.get_by_id(dispute.id).submission_count == 1
    with pytest.raises(ActionFailed) as caught:
        actions.execute(actions.plan_evidence(
            dispute.id, {"uncategorized_text": "more"}, submit=True))
    assert "already been submitted" in str(caught.value)

    ControlClient(emulator.api_base).resolve_dispute(dispute.id, "won")
    sync(gateway)
    assert Dispute.get_by_id(dispute.id).status == "won"
    assert "closed (won)" in _refusal(actions.plan_accept, dispute.id)


def test_accepting_an_open_dispute_loses_it(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        emulator: Any) -> None:
    payment_id = paid(stripe_client, gateway, 6000)
    charge = Payment.get_by_id(payment_id).latest_charge
    ControlClient(emulator.api_base).create_dispute(charge, reason="product_not_received",
                                                    amount=4500)
    sync(gateway)
    plan = actions.plan_accept(Dispute.get(Dispute.charge == charge).id)
    assert "concedes 45.00 USD" in plan.summary
    result = actions.execute(plan)
    assert result.status == "lost" and Dispute.get_by_id(plan.dispute_id).status == "lost"


def test_a_lost_resolution_reaches_the_ledger_after_a_sync(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, emulator: Any) -> None:
    payment_id = paid(stripe_client, gateway, 3000)
    control = ControlClient(emulator.api_base)
    dispute = control.create_dispute(Payment.get_by_id(payment_id).latest_charge)
    control.resolve_dispute(dispute["id"], "lost")
    sync(gateway)
    assert Dispute.get_by_id(dispute["id"]).status == "lost"
    assert Payment.get_by_id(payment_id).disputed


def test_a_key_without_the_right_is_told_so(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, emulator: Any) -> None:
    payment_id = paid(stripe_client, gateway, 5000)
    restricted = StripeGateway("rk_test_readonly", emulator.api_base, max_network_retries=0)
    restricted.account = gateway.account  # type: ignore[method-assign]  # it may read that
    actions = Actions(restricted, "ada")
    with pytest.raises(ActionFailed) as caught:
        actions.execute(actions.plan_refund(payment_id, "1.00"))
    assert str(caught.value).startswith("this key may not create refunds:")
    assert refunds_on_stripe(stripe_client, payment_id) == []


def test_every_attempt_is_in_a_chain_that_verifies(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    payment_id = paid(stripe_client, gateway, 2000)
    actions.execute(actions.plan_refund(payment_id, "5"))
    _refusal(actions.plan_refund, payment_id, "500")
    entries = AuditListing().page(0, 10)
    assert [e.result for e in entries] == ["refused", "succeeded", "attempted"]
    assert all(e.operator == "ada" and e.target == payment_id for e in entries)
    assert entries[1].params == {"amount": 500, "currency": "usd", "reason": None, "note": None}
    assert verify_chain().ok


def _refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ActionRefused) as caught:
        call(*args, **kwargs)
    return str(caught.value)
