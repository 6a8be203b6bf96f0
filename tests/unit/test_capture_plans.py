"""Capture and cancel plans: the one request each is, what the operator is shown and types,
and the ledger fields an authorization fills (from Stripe-shaped objects)."""

from __future__ import annotations

from typing import Any

from peewee import SqliteDatabase

from ledger.models import Payment
from ledger.queries import DEFAULT_CAPTURE_WINDOW, capture_by, holds_lapsing
from ledger.records import records_for
from ledger.writes import write_records
from sync.plans_payments import CancelPlan, CapturePlan

CREATED = 1_700_000_000


def capture(amount: int, capturable: int = 120_000, currency: str = "usd", **kw: Any
            ) -> CapturePlan:
    return CapturePlan(operator="ada", target="pi_1", live=True, amount=amount,
                       currency=currency, capturable=capturable,
                       capture_by=CREATED + DEFAULT_CAPTURE_WINDOW, **kw)


def test_partial_capture_request_and_confirmation() -> None:
    plan = capture(100_050)
    assert plan.request().path == "/v1/payment_intents/pi_1/capture"
    assert plan.request().params == {"amount_to_capture": 100_050}
    assert plan.released == 19_950
    assert plan.summary == ("Capture 1,000.50 USD of the 1,200.00 USD authorized on pi_1; the "
                            "other 199.50 USD is released to the cardholder")
    assert plan.confirmation_text == "1000.50"
    assert plan.confirmed_by("1,000.50") and not plan.confirmed_by("pi_1")


def test_full_capture_releases_nothing_and_keys_differ_by_amount() -> None:
    full = capture(120_000)
    assert "released" not in full.summary
    assert full.idempotency_key != capture(100_050).idempotency_key
    assert full.idempotency_key == capture(120_000).idempotency_key
    assert capture(500, 500, "jpy").confirmation_text == "500"


def test_cancel_request_with_and_without_a_reason() -> None:
    plan = CancelPlan(operator="ada", target="pi_1", live=True, amount=2500, currency="usd",
                      reason="duplicate")
    assert plan.request().path == "/v1/payment_intents/pi_1/cancel"
    assert plan.request().params == {"cancellation_reason": "duplicate"}
    assert plan.confirmation_text == "pi_1"  # LIVE mode: the id, as for other non-amounts
    bare = CancelPlan(operator="ada", target="pi_1", live=False, amount=2500, currency="usd",
                      reason=None)
    assert bare.request().params == {}
    assert bare.fingerprint != plan.fingerprint


def test_capture_by_is_stripes_time_else_seven_days() -> None:
    assert capture_by(CREATED, CREATED + 3600) == CREATED + 3600
    assert capture_by(CREATED, None) == CREATED + 7 * 86400


def test_an_authorization_fills_the_capture_columns(ledger: SqliteDatabase) -> None:
    intent = {"object": "payment_intent", "id": "pi_1", "created": CREATED, "amount": 2500,
              "currency": "usd", "status": "requires_capture", "capture_method": "manual",
              "amount_capturable": 2500, "latest_charge": "ch_1"}
    charge = {"object": "charge", "id": "ch_1", "payment_intent": "pi_1", "created": CREATED,
              "amount": 2500, "currency": "usd", "captured": False, "status": "succeeded",
              "payment_method_details": {"type": "card", "card": {
                  "brand": "visa", "last4": "4242", "capture_before": CREATED + 86400}}}
    write_records(ledger, records_for(intent, as_of=CREATED))
    write_records(ledger, records_for(charge, as_of=CREATED))
    row = Payment.get_by_id("pi_1")
    assert (row.capture_method, row.amount_capturable, row.capture_before) == (
        "manual", 2500, CREATED + 86400)
    # A later charge payload without the field (captured since) keeps the deadline known.
    write_records(ledger, records_for({**charge, "captured": True, "amount_captured": 2500,
                                       "payment_method_details": {}}, as_of=CREATED + 5))
    cancelled = {**intent, "status": "canceled", "amount_capturable": 0,
                 "cancellation_reason": "abandoned"}
    write_records(ledger, records_for(cancelled, as_of=CREATED + 9))
    row = Payment.get_by_id("pi_1")
    assert (row.capture_before, row.amount_capturable, row.cancellation_reason) == (
        CREATED + 86400, 0, "abandoned")


def test_holds_lapsing_counts_only_holds_due_within_the_window(ledger: SqliteDatabase) -> None:
    def hold(pid: str, capture_before: int | None, status: str = "requires_capture") -> None:
        Payment.create(id=pid, created=CREATED, amount=100, currency="usd", status=status,
                       capture_before=capture_before)

    now = CREATED + 6 * 86400
    hold("pi_soon", now + 3600)
    hold("pi_default", None)  # created + 7 days: 24 h from now
    hold("pi_later", now + 2 * 86400)
    hold("pi_lapsed", now - 60)
    hold("pi_captured", now + 3600, status="succeeded")
    assert holds_lapsing(now, 86400) == 2
    assert holds_lapsing(now, 3599) == 0
