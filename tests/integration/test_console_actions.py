"""Operator actions from the console against the emulator, over HTTP with the real SDK:
a refund from the key press to the Payments pane, and a declined charge showing Stripe's
decline code in the dialog."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from console.panes.audit import AuditPane
from console.panes.customers import CustomersPane
from console.panes.payments import PaymentsPane
from console.screens.capture_dialog import CaptureDialog
from console.screens.charge_dialog import ChargeDialog
from console.screens.confirm import ConfirmScreen
from console.screens.refund_dialog import RefundDialog
from ledger.db import open_ledger
from ledger.models import Payment
from sync.actions import Actions
from sync.gateway import StripeGateway
from tests.conftest import Waiter
from tests.helpers import authorized, customer_with_cards, gateway_for, paid, sync

SIZE = (150, 40)


@pytest.fixture
def console(emulator: Any, stripe_client: stripe.StripeClient, ledger_location: str
            ) -> tuple[StripeGateway, PayConsoleApp]:
    open_ledger(ledger_location)
    gateway = gateway_for(emulator.api_base)
    context = ConsoleContext(ledger_location=ledger_location, mode=Mode.TEST,
                             operator="ops", actions=Actions(gateway, "ops"))
    return gateway, PayConsoleApp(context)


async def review_and_confirm(pilot: Pilot) -> None:
    await pilot.click("#dialog-submit")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await pilot.press("enter")


async def test_a_refund_from_the_key_press_to_the_payments_pane(
        console: tuple[StripeGateway, PayConsoleApp], stripe_client: stripe.StripeClient,
        wait_for: Waiter) -> None:
    gateway, app = console
    payment_id = paid(stripe_client, gateway, 4200)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(PaymentsPane)
        pane.table.move_cursor(pane.source.position_of(payment_id))
        started = time.monotonic()
        await pilot.press("r")
        dialog = app.screen
        assert isinstance(dialog, RefundDialog)
        assert dialog.query_one("#refund-amount", Input).value == "42.00"
        dialog.query_one("#refund-amount", Input).value = "15.00"
        await pilot.pause()
        reviewed = time.monotonic()
        await review_and_confirm(pilot)
        await wait_for(lambda: pane.table.row_at(pane.table.cursor).amount_refunded, pilot=pilot)
        done = time.monotonic()
        assert app.screen is not dialog  # closed on success
        assert pane.table.row_at(pane.table.cursor).amount_refunded == 1500
        refunds = [r for r in stripe_client.v1.refunds.list({"limit": 10}).data
                   if r.payment_intent == payment_id]
        assert [r.amount for r in refunds] == [1500]
        await pilot.press("6")
        audit = app.query_one(AuditPane).table
        assert [audit.row_at(i).entry.result for i in range(2)] == ["succeeded", "attempted"]
        print(f"refund: the Payments pane shows it {done - reviewed:.2f} s after Review and "
              f"confirm, {done - started:.2f} s after pressing r")


async def test_a_declined_charge_shows_the_decline_code_in_the_dialog(
        console: tuple[StripeGateway, PayConsoleApp], stripe_client: stripe.StripeClient,
        wait_for: Waiter) -> None:
    gateway, app = console
    customer_id, (method_id,) = customer_with_cards(stripe_client, "4000000000000341")
    sync(gateway)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        assert app.query_one(CustomersPane).selected_customer.id == customer_id
        await pilot.press("n")
        dialog = app.screen
        assert isinstance(dialog, ChargeDialog)
        assert dialog.query_one("#charge-method", Select).value == method_id  # the only card
        dialog.query_one("#charge-amount", Input).value = "9.00"
        await pilot.pause()
        await review_and_confirm(pilot)
        message = dialog.query_one("#dialog-message", Static)
        await wait_for(lambda: "declined" in str(message.content), pilot=pilot)
        assert app.screen is dialog  # stays open: try another card, or close
        assert "Your card was declined." in str(message.content)
        assert "(card_declined, generic_decline)" in str(message.content)
        payments = app.query_one(PaymentsPane).table
        assert payments.row_at(0).failure_code == "card_declined"


async def test_a_partial_capture_from_the_key_press_to_the_ledger(
        console: tuple[StripeGateway, PayConsoleApp], stripe_client: stripe.StripeClient,
        wait_for: Waiter) -> None:
    gateway, app = console
    payment_id = authorized(stripe_client, 1000).id
    sync(gateway)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(PaymentsPane)
        pane.table.move_cursor(pane.source.position_of(payment_id))
        status = pane.table.columns[2].cell(pane.table.row_at(pane.table.cursor))
        assert str(status) == "requires_capture 6d 23h"  # the countdown to capture_before
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, CaptureDialog)
        amount = dialog.query_one("#capture-amount", Input)
        assert amount.value == "10.00"
        amount.value = "6.00"
        await pilot.pause()
        await review_and_confirm(pilot)
        await wait_for(lambda: pane.table.row_at(pane.table.cursor).status == "succeeded",
                       pilot=pilot)
        assert app.screen is not dialog
    row = Payment.get_by_id(payment_id)
    assert (row.status, row.amount_captured, row.amount_refunded) == ("succeeded", 600, 0)
    assert stripe_client.v1.payment_intents.retrieve(payment_id).amount_received == 600
