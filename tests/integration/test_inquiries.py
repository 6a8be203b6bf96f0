"""Inquiries and the dispute's money, against the emulator over HTTP with the real SDK: an
inquiry (Stripe's test card 4000000000001976) is synced and shown as one, refunded from its
dispute detail with `r`, and then closed (`warning_closed`) the way Stripe closes it; a
chargeback's payment is still refused a refund; funds withdrawn then reinstated (won) reach
the detail with amounts and fees."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from console.panes.disputes import DisputesTable, dispute_columns
from console.screens.confirm import ConfirmScreen
from console.screens.dispute_detail import (
    DisputeDetailScreen,
    dispute_facts,
    funds_rows,
    kind_text,
)
from console.screens.refund_dialog import RefundDialog
from ledger.db import open_ledger
from ledger.dispute_views import dispute_detail
from ledger.models import Dispute, Event, Payment
from sync.actions import Actions
from sync.emulator import EmulatorProcess
from sync.gateway import StripeGateway
from sync.plans import ActionRefused
from sync.scheduler import Job
from sync.service import SyncService
from tests.conftest import Waiter
from tests.helpers import gateway_for, new_payment, sync

SIZE = (150, 40)
INQUIRY_CARD = "4000000000001976"
CHARGEBACK_CARD = "4000000000000259"
REFUSAL = "Stripe refunds a disputed payment through the dispute"


@pytest.fixture
def gateway(emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
            ledger_location: str) -> StripeGateway:
    open_ledger(ledger_location)
    return gateway_for(emulator.api_base)


def console(gateway: StripeGateway, ledger_location: str) -> PayConsoleApp:
    service = SyncService(gateway)
    service.run_once()
    context = ConsoleContext(
        ledger_location=ledger_location, mode=Mode.TEST, operator="ada",
        jobs=[Job("sync", service.run_once, every_seconds=3600, run_at_start=False)],
        actions=Actions(gateway, "ada"))
    return PayConsoleApp(context)


def status_cell(table: DisputesTable) -> str:
    status = next(c for c in dispute_columns(lambda: 0.0) if c.label == "Status")
    return str(status.cell(table.row_at(0)))


def rendered(screen: DisputeDetailScreen, selector: str) -> str:
    out = Console(width=160, record=True)
    out.print(screen.query_one(selector, Static).content)
    return out.export_text()


async def open_detail(pilot: Pilot[Any]) -> DisputeDetailScreen:
    await pilot.press("2")
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, DisputeDetailScreen)
    return screen


async def test_an_inquiry_is_shown_as_one_then_a_refund_from_its_detail_closes_it(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, ledger_location: str,
        wait_for: Waiter) -> None:
    intent = new_payment(stripe_client, 6400, number=INQUIRY_CARD)
    app = console(gateway, ledger_location)
    (dispute,) = Dispute.select()
    assert (dispute.status, dispute.is_charge_refundable) == ("warning_needs_response", True)
    assert json.loads(dispute.balance_transactions) == []  # an inquiry withdraws nothing
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot)
        assert status_cell(app.screen_stack[0].query_one(DisputesTable)) == (
            "inquiry needs_response")
        facts = rendered(detail, "#dispute-facts")
        assert "inquiry: no funds withdrawn yet; a full refund (r) closes it with no " \
               "dispute fee" in facts
        hint = detail.query_one("#dispute-detail-dialog").border_subtitle
        assert str(hint).startswith("r refund (closes the inquiry) · ")

        await pilot.press("r")
        dialog = app.screen
        assert isinstance(dialog, RefundDialog)
        assert dialog.prefill.payment_id == intent.id
        assert dialog.query_one("#refund-amount", Input).value == "64.00"  # all that is left
        await pilot.click("#dialog-submit")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"this full refund closes inquiry {dispute.id}: no chargeback, no dispute " \
               "fee" in app.screen.plan.warnings
        await pilot.press("enter")
        await wait_for(lambda: Payment.get_by_id(intent.id).amount_refunded == 6400,
                       pilot=pilot)
        await pilot.press("escape", "s")  # back to the pane; the sync brings the closing
        await wait_for(lambda: Dispute.get_by_id(dispute.id).status == "warning_closed",
                       pilot=pilot)
    closed = Dispute.get_by_id(dispute.id)
    assert closed.is_charge_refundable is False
    assert json.loads(closed.balance_transactions) == []  # no fee, nothing withdrawn
    assert stripe_client.v1.disputes.retrieve(dispute.id).status == "warning_closed"
    detail_after = dispute_detail(dispute.id)
    assert detail_after is not None and kind_text(detail_after) == (
        "inquiry: no funds withdrawn yet")


async def test_a_chargebacks_payment_is_still_refused_a_refund(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, ledger_location: str) -> None:
    intent = new_payment(stripe_client, 3000, number=CHARGEBACK_CARD)
    app = console(gateway, ledger_location)
    (dispute,) = Dispute.select()
    assert (dispute.status, dispute.is_charge_refundable) == ("needs_response", False)
    with pytest.raises(ActionRefused, match=REFUSAL):
        Actions(gateway, "ada").plan_refund(intent.id)
    warnings: list[str] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        warnings.append(message)
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot)
        assert "chargeback" in rendered(detail, "#dispute-facts")
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is detail  # no dialog: nothing can be sent
        assert any(REFUSAL in message for message in warnings)
    assert stripe_client.v1.refunds.list({"payment_intent": intent.id}).data == []


async def test_funds_withdrawn_then_reinstated_reach_the_detail(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway) -> None:
    intent = new_payment(stripe_client, 7500)
    sync(gateway)  # the backfill is done: what follows arrives as events
    dispute_id = emulator.control.create_dispute(str(intent.latest_charge))["id"]
    sync(gateway)
    withdrawn = dispute_detail(dispute_id)
    assert withdrawn is not None
    assert [row[1:5] for row in funds_rows(withdrawn.funds)] == [
        ("withdrawn", "-75.00 USD", "15.00 USD", "-90.00 USD")]

    stripe_client.v1.disputes.update(dispute_id, {"evidence": {"uncategorized_text": "Sent"}})
    emulator.control.resolve_dispute(dispute_id, "won")
    sync(gateway)
    types = [e.type for e in Event.select().where(Event.object_id == dispute_id)]
    assert {"charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated"} <= set(types)
    detail = dispute_detail(dispute_id)
    assert detail is not None and detail.dispute.status == "won"
    assert ("Submitted via", "manual") in dispute_facts(detail, now=0.0)
    assert [row[1:5] for row in funds_rows(detail.funds)] == [
        ("withdrawn", "-75.00 USD", "15.00 USD", "-90.00 USD"),
        ("reinstated", "75.00 USD", "-15.00 USD", "90.00 USD")]
    assert [m.id for m in detail.funds] == [
        t["id"] for t in stripe_client.v1.disputes.retrieve(dispute_id).balance_transactions]
