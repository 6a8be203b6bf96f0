"""How an authorization awaiting capture shows: the time left to capture it, coloured by
urgency like a dispute deadline, the capturable amount in the payment detail, and the
header's count of holds lapsing within 24 h."""

from __future__ import annotations

from peewee import Database
from rich.text import Text

from console.panes.payments import PaymentsPane
from console.screens.payment_detail import PaymentDetailScreen, hold_facts, status_with_hold
from ledger.models import Payment
from ledger.queries import PaymentDetail
from tests.console.conftest import NOW, SIZE, AppFactory, write_objects
from tests.helpers import label_text

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


def hold(pid: str, created: int, capture_before: int | None) -> list[dict[str, object]]:
    """An authorized intent and its uncaptured charge, as Stripe sends them."""
    card = {"brand": "visa", "last4": "4242", "capture_before": capture_before}
    return [{"object": "payment_intent", "id": pid, "created": created, "amount": 4000,
             "currency": "usd", "status": "requires_capture", "capture_method": "manual",
             "amount_capturable": 4000, "latest_charge": f"ch_{pid}"},
            {"object": "charge", "id": f"ch_{pid}", "payment_intent": pid, "created": created,
             "amount": 4000, "currency": "usd", "captured": False, "status": "succeeded",
             "payment_method_details": {"type": "card", "card": card}}]


async def test_holds_in_the_header_pane_and_detail(filled_ledger: Database,
                                                   make_app: AppFactory) -> None:
    write_objects(filled_ledger, [*hold("pi_hold_soon", NOW + 60, NOW + 5 * 3600),
                                  *hold("pi_hold_later", NOW + 120, NOW + 5 * DAY)],
                  as_of=NOW)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert label_text(pilot, "#header-holds").strip() == \
            "1 hold lapses within 24 h: capture or cancel"
        pane = app.query_one(PaymentsPane)
        assert pane.table.cursor_id == "pi_hold_later"  # newest first
        assert str(pane.table.columns[2].cell(pane.table.row_at(1))) == "requires_capture 5h"
        await pilot.press("down", "enter")
        screen = app.screen
        assert isinstance(screen, PaymentDetailScreen)
        facts = dict(hold_facts(screen.detail, NOW))
        assert facts["Capturable"] == "40.00 USD"
        assert "5h left" in str(facts["Capture by"])
