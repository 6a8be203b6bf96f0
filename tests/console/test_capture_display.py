"""How an authorization awaiting capture shows: the time left to capture it, coloured by
urgency like a dispute deadline, and the capturable amount in the payment detail."""

from __future__ import annotations

from rich.text import Text

from console.screens.payment_detail import hold_facts, status_with_hold
from ledger.models import Payment
from ledger.queries import PaymentDetail

CREATED = 1_700_000_000
DAY = 86_400


def countdown_style(text: Text) -> str:
    """The style of the countdown after the status (none: "")."""
    return next((str(span.style) for span in text.spans
                 if span.start >= len("requires_capture")), "")


def test_the_status_counts_down_to_capture_by_and_colours_by_urgency() -> None:
    due = CREATED + 3 * DAY
    assert str(status_with_hold("requires_capture", CREATED, due, due - 4 * DAY)) == \
        "requires_capture 4d 0h"
    later = status_with_hold("requires_capture", CREATED, due, due - 4 * DAY)
    soon = status_with_hold("requires_capture", CREATED, due, due - 5 * 3600)
    lapsed = status_with_hold("requires_capture", CREATED, due, due + 1)
    assert str(soon) == "requires_capture 5h" and str(lapsed) == "requires_capture lapsed"
    assert [countdown_style(text) for text in (later, soon, lapsed)] == [
        "", "bold yellow", "bold red"]
    assert str(status_with_hold("succeeded", CREATED, due, due + 1)) == "succeeded"


def test_without_stripes_capture_before_it_is_created_plus_seven_days() -> None:
    assert str(status_with_hold("requires_capture", CREATED, None, CREATED + DAY)) == \
        "requires_capture 6d 0h"
    payment = Payment(id="pi_1", created=CREATED, amount=2500, currency="usd",
                      status="requires_capture", amount_capturable=2500, capture_before=None)
    facts = dict(hold_facts(PaymentDetail(payment, [], [], []), CREATED + DAY))
    assert facts["Capturable"] == "25.00 USD"
    assert "6d 0h left (created + 7 days: Stripe did not say)" in str(facts["Capture by"])
    payment.status = "succeeded"
    assert hold_facts(PaymentDetail(payment, [], [], []), CREATED) == []
