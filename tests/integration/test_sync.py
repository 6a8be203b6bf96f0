"""The sync against the emulator over HTTP with the real SDK: backfill, incremental
polling, events seen twice, and a restart resuming from its cursor."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ledger.db import open_ledger
from ledger.models import Customer, Event, Payment, PaymentMethod
from ledger.state import get_state
from sync.gateway import StripeGateway
from sync.health import load_health
from sync.service import CURSOR_KEY, SyncError, SyncService
from tests.helpers import gateway_for, make_customer_with_card, pay

pytestmark = pytest.mark.integration


@pytest.fixture
def service(emulator: Any, stripe_client: stripe.StripeClient, ledger_location: str
            ) -> SyncService:
    open_ledger(ledger_location)
    return SyncService(gateway_for(emulator.api_base))


def test_first_sync_backfills_then_polls(stripe_client: stripe.StripeClient,
                                         service: SyncService) -> None:
    customer, method = make_customer_with_card(stripe_client, "ada@example.com")
    intents = [pay(stripe_client, customer, method, amount) for amount in (1000, 2500)]
    report = service.run_once()
    assert report.backfilled["payment_intents"] == 2
    assert report.backfilled["customers"] == 1
    assert report.backfilled["payment_methods"] == 1
    row = Payment.get_by_id(intents[0].id)
    assert (row.amount, row.status, row.customer_email) == (1000, "succeeded", "ada@example.com")
    assert row.card_last4 == "4242"
    assert PaymentMethod.get_by_id(method).customer == customer
    assert get_state(CURSOR_KEY) is not None
    health = load_health()
    assert health.last_success is not None and health.consecutive_failures == 0


def test_incremental_sync_brings_new_payments_and_refunds(
    stripe_client: stripe.StripeClient, service: SyncService
) -> None:
    customer, method = make_customer_with_card(stripe_client, "bo@example.com")
    service.run_once()
    intent = pay(stripe_client, customer, method, 4200)
    stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 1200})
    report = service.run_once()
    assert report.events_new > 0 and not report.backfilled
    row = Payment.get_by_id(intent.id)
    assert (row.status, row.amount_refunded) == ("succeeded", 1200)


def test_a_declined_payment_is_stored_with_its_failure(
    stripe_client: stripe.StripeClient, service: SyncService
) -> None:
    service.run_once()
    customer, method = make_customer_with_card(stripe_client, "cy@example.com",
                                               "4000000000000341")
    assert pay(stripe_client, customer, method, 900) is None
    service.run_once()
    row = Payment.get(Payment.customer == customer)
    assert row.status == "requires_payment_method"
    assert row.failure_code == "card_declined"


def test_events_re_read_in_the_overlap_are_applied_once(
    stripe_client: stripe.StripeClient, service: SyncService
) -> None:
    service.run_once()
    stripe_client.v1.customers.create({"email": "dee@example.com"})
    first = service.run_once()
    second = service.run_once()  # the overlap window reads the same events again
    assert first.events_new >= 1
    assert second.events_new == 0 and second.duplicates >= first.events_new
    assert Event.select().count() == first.events_new
    assert Customer.get(Customer.email == "dee@example.com")


def test_a_restarted_sync_resumes_from_its_cursor(
    emulator: Any, stripe_client: stripe.StripeClient, service: SyncService, ledger_location: str
) -> None:
    customer, method = make_customer_with_card(stripe_client, "eve@example.com")
    service.run_once()
    cursor = get_state(CURSOR_KEY)
    pay(stripe_client, customer, method, 700)
    # A new process: new gateway, new service, same ledger file.
    open_ledger(ledger_location)
    restarted = SyncService(gateway_for(emulator.api_base))
    report = restarted.run_once()
    assert not report.backfilled
    assert get_state(CURSOR_KEY) >= cursor
    assert Payment.select().where(Payment.amount == 700).count() == 1


def test_an_unreachable_server_fails_cleanly_and_records_health(ledger_location: str) -> None:
    open_ledger(ledger_location)
    dead = SyncService(StripeGateway("sk_test_secretvalue", "http://127.0.0.1:9",
                                     max_network_retries=0, timeout_seconds=2))
    with pytest.raises(SyncError) as caught:
        dead.run_once()
    assert "cannot reach Stripe" in str(caught.value)
    health = load_health()
    assert health.consecutive_failures == 1 and "secretvalue" not in (health.last_error or "")
    assert Payment.select().count() == 0


def test_same_second_events_are_resolved_by_fetching_the_object(
    stripe_client: stripe.StripeClient, service: SyncService) -> None:
    service.run_once()
    customer, method = make_customer_with_card(stripe_client, "fay@example.com")
    intent = pay(stripe_client, customer, method, 1234)
    report = service.run_once()
    # payment_intent.created and .succeeded share a second on the emulator.
    assert report.refetched >= 1
    assert Payment.get_by_id(intent.id).status == "succeeded"
