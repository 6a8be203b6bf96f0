"""The operator action dialogs with Pilot, on the fixed ledger and without a network:
prefill, inline refusals (nothing sent), confirmation (typed in LIVE), one send per press,
and the actions hidden when this session may not act. Sending for real is in
tests/integration/test_console_actions.py, against the emulator."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Label, Select, Static

from console.commands import COMMANDS
from console.context import Mode
from console.panes.customers import CustomersPane
from console.panes.payments import PaymentsPane
from console.screens.charge_dialog import ChargeDialog
from console.screens.confirm import ConfirmScreen
from console.screens.method_dialogs import MethodEditDialog
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.refund_dialog import RefundDialog
from ledger.audit import AuditListing, NewEntry, append
from ledger.models import PendingAction
from sync.actions import Actions
from sync.plans import ActionPlan, ActionResult
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, ActionsAppFactory
from tests.helpers import OPERATOR, notes_of, offline_actions


def results_in_audit() -> list[str]:
    return [row.result for row in AuditListing().page(0, 100)]


async def open_refund(pilot: Pilot, payment_id: str) -> RefundDialog:
    pane = pilot.app.query_one(PaymentsPane)
    pane.table.move_cursor(pane.source.position_of(payment_id))
    await pilot.press("r")
    screen = pilot.app.screen
    assert isinstance(screen, RefundDialog)
    return screen


def error_under(screen: Any, field_id: str) -> str:
    return str(screen.query_one(f"#{field_id}-error", Label).content)


async def submit(pilot: Pilot, screen: Any, wait_for: Waiter) -> None:
    """Click the dialog's submit button, once it takes a click: a Button ignores clicks
    while it shows its last press (0.2 s), which a test that submits twice can be within."""
    button = screen.query_one("#dialog-submit", Button)
    await wait_for(lambda: not button.has_class("-active"), pilot=pilot)
    assert await pilot.click(button), "the click did not land on the submit button"
    await pilot.pause()


async def submit_amount(pilot: Pilot, screen: RefundDialog, amount: str) -> None:
    screen.query_one("#refund-amount", Input).value = amount
    await pilot.pause()
    screen.query_one("#refund-amount", Input).focus()
    await pilot.press("enter")
    await pilot.pause()


# -- refunds ------------------------------------------------------------------------------

async def test_the_refund_dialog_offers_what_is_left_in_the_payments_currency(
        actions_app: ActionsAppFactory) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        for payment_id, prefill, left in (
                ("pi_usd", "12.50", "12.50 USD"),
                ("pi_jpy", "1,500", "1,500 JPY"),
                ("pi_kwd", "1.250", "1.250 KWD"),
                ("pi_refunded", "20.00", "20.00 EUR")):  # 30.00 captured, 10.00 refunded
            screen = await open_refund(pilot, payment_id)
            assert screen.query_one("#refund-amount", Input).value == prefill
            assert left in str(screen.query_one(".dialog-facts", Static).content)
            await pilot.press("escape")


async def test_bad_refund_amounts_are_refused_on_the_field_and_nothing_is_sent(
        actions_app: ActionsAppFactory) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, "pi_usd")
        for amount, message in (
                ("0", "must be more than zero"),
                ("-5", "must be more than zero"),
                ("ten", "is not an amount"),
                ("12.345", "USD amounts have at most 2 decimals"),
                ("12.51", "is more than the 12.50 USD left to refund")):
            await submit_amount(pilot, screen, amount)
            assert app.screen is screen  # no confirmation was asked for
            assert message in error_under(screen, "refund-amount")
        assert "attempted" not in results_in_audit()
        assert PendingAction.select().count() == 0


async def test_a_payment_that_cannot_be_refunded_says_why_and_opens_nothing(
        actions_app: ActionsAppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        notes = notes_of(app, monkeypatch)
        pane = app.query_one(PaymentsPane)
        for payment_id, why in (("pi_disputed", "is disputed"),
                                ("pi_declined", "did not succeed")):
            pane.table.move_cursor(pane.source.position_of(payment_id))
            await pilot.press("r")
            assert not isinstance(app.screen, RefundDialog)
            assert why in notes[-1]


async def test_cancelling_the_confirmation_sends_nothing(actions_app: ActionsAppFactory) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, "pi_usd")
        await submit_amount(pilot, screen, "5.00")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.summary.startswith("Refund 5.00 USD of pi_usd")
        assert "7.50 USD will remain refundable" in confirm.summary
        assert not confirm.query("#confirm-typed")  # TEST mode: no typing
        await pilot.press("escape")
        assert app.screen is screen
        assert not screen.query_one("#dialog-submit", Button).disabled
        assert "attempted" not in results_in_audit()


async def test_live_mode_makes_the_operator_type_the_amount(
        actions_app: ActionsAppFactory, wait_for: Waiter) -> None:
    actions = offline_actions(live=True, allow_live_actions=True)
    app = actions_app(actions, mode=Mode.LIVE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, "pi_usd")
        await submit_amount(pilot, screen, "5")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and confirm.typed == "5.00"
        assert confirm.heading.startswith("LIVE")
        ok = confirm.query_one("#confirm-ok", Button)
        await pilot.press("5", "enter")  # not the amount as the plan writes it
        assert ok.disabled and app.screen is confirm
        await pilot.press(".", "0", "0")
        assert not ok.disabled
        await pilot.press("enter")
        # Sent, to nowhere: the failure shows in the dialog, which stays open.
        await wait_for(lambda: "failed" in results_in_audit(), pilot=pilot)
        await pilot.pause()
        assert app.screen is screen
        message = str(screen.query_one("#dialog-message", Static).content)
        assert "running the same action again is safe" in message
        assert results_in_audit()[:2] == ["failed", "attempted"]


async def test_nothing_is_sent_again_while_an_action_is_on_its_way(
        actions_app: ActionsAppFactory, monkeypatch: pytest.MonkeyPatch, wait_for: Waiter
) -> None:
    actions = offline_actions()
    release = threading.Event()
    sent: list[ActionPlan] = []

    def slow_execute(plan: ActionPlan, *, typed_confirmation: str | None = None
                     ) -> ActionResult:
        sent.append(plan)
        release.wait(5)
        return ActionResult(action=plan.action, target=plan.target, ok=True,
                            object_id="re_slow", status="succeeded",
                            message="re_slow succeeded", idempotency_key=plan.idempotency_key)

    monkeypatch.setattr(actions, "execute", slow_execute)
    app = actions_app(actions)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, "pi_usd")
        await submit_amount(pilot, screen, "5.00")
        await pilot.press("enter")  # confirms
        await wait_for(lambda: len(sent) == 1, pilot=pilot)
        assert screen.query_one("#dialog-submit", Button).disabled
        assert "Sending" in str(screen.query_one("#dialog-message", Static).content)
        screen.query_one("#refund-amount", Input).focus()
        await pilot.press("enter", "enter")
        assert app.screen is screen  # no second confirmation
        # Closed while sending, opened again, the same refund confirmed again: refused.
        await pilot.press("escape")
        screen = await open_refund(pilot, "pi_usd")
        await submit_amount(pilot, screen, "5.00")
        notes = notes_of(app, monkeypatch)
        await pilot.press("enter")
        await pilot.pause()
        assert "already on its way to Stripe" in notes[-1]
        release.set()
        await wait_for(lambda: "re_slow succeeded" in notes, pilot=pilot)
        assert len(sent) == 1


async def test_refund_from_the_payment_detail(actions_app: ActionsAppFactory) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(PaymentsPane)
        pane.table.move_cursor(pane.source.position_of("pi_kwd"))
        await pilot.press("enter")
        assert isinstance(app.screen, PaymentDetailScreen)
        pane.table.move_cursor(0)  # the detail's payment is refunded, not the cursor's
        await pilot.press("r")
        assert isinstance(app.screen, RefundDialog)
        assert app.screen.query_one("#refund-amount", Input).value == "1.250"


# -- what is hidden when this session may not act --------------------------------------------

@pytest.mark.parametrize(("actions", "mode", "reason"), [
    (None, Mode.OFFLINE, "the console is offline"),
    (offline_actions(read_only=True), Mode.TEST, "read-only"),
    (offline_actions(live=True), Mode.LIVE, "live actions are not allowed"),
])
async def test_refused_actions_are_hidden_and_the_palette_says_why(
        actions_app: ActionsAppFactory, monkeypatch: pytest.MonkeyPatch,
        actions: Actions | None, mode: Mode, reason: str) -> None:
    app = actions_app(actions, mode=mode)
    async with app.run_test(size=SIZE) as pilot:
        footer_keys = {b.binding.key for b in app.screen.active_bindings.values()
                       if b.enabled}
        assert not {"r", "n"} & footer_keys
        await pilot.press("r")
        assert not isinstance(app.screen, RefundDialog)
        notes = notes_of(app, monkeypatch)
        for command in COMMANDS:
            if command.operator:
                await app.run_command(command.id)  # what the command palette does
                assert reason in notes[-1], command.id
        assert not isinstance(app.screen, RefundDialog | ChargeDialog | MethodEditDialog)
        await pilot.press("3")
        assert reason in str(app.query_one("#customers-refusal", Label).content)


async def test_allowed_actions_are_in_the_footer(actions_app: ActionsAppFactory) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        keys = {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}
        assert {"r", "n"} <= keys
        await pilot.press("3")
        keys = {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}
        assert {"e", "d", "x", "n"} <= keys


# -- payment methods and charges --------------------------------------------------------------

async def show_customer(pilot: Pilot, customer_id: str, method_index: int = 0
                        ) -> CustomersPane:
    await pilot.press("3")
    pane = pilot.app.query_one(CustomersPane)
    pane.customers.move_cursor(pane.customers.source.position_of(customer_id))
    await pilot.pause()
    pane.methods.move_cursor(method_index)
    await pilot.pause()
    return pane


async def test_editing_a_method_is_checked_on_each_field(
        actions_app: ActionsAppFactory, wait_for: Waiter) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await show_customer(pilot, "cus_ada")
        await pilot.press("e", "enter")
        screen = app.screen
        assert isinstance(screen, MethodEditDialog) and screen.method.id == "pm_ada_visa"
        assert screen.query_one("#method-exp-year", Input).value == "2030"
        message = str(screen.query_one("#dialog-message", Static).content)
        assert "nothing to change" in message
        for field_id, value, refusal in (
                ("method-exp-month", "13", "expiry month must be 1 to 12"),
                ("method-exp-year", "2025", "expiry 04/2025 is in the past"),
                ("method-email", "not-an-email", "is not an email address"),
                ("method-name", "x" * 201, "at most 200"),
                ("method-postal-code", "EC1A/1BB", "only letters, digits")):
            widget = screen.query_one(f"#{field_id}", Input)
            original, widget.value = widget.value, value
            await pilot.pause()
            await submit(pilot, screen, wait_for)
            assert app.screen is screen
            await wait_for(lambda f=field_id, r=refusal: r in error_under(screen, f),
                           pilot=pilot, what=field_id)
            widget.value = original
        assert "attempted" not in results_in_audit()


@pytest.mark.parametrize(("method_index", "says"), [
    (1, "is cus_ada's default payment method: the customer is left with no default"),
    (0, "default payment method stays as it is"),
])
async def test_detaching_says_what_becomes_of_the_default(
        actions_app: ActionsAppFactory, method_index: int, says: str) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await show_customer(pilot, "cus_ada", method_index)
        await pilot.press("x")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.summary.startswith("Detach")
        assert any(says in line for line in (*confirm.warnings, *confirm.details))
        await pilot.press("escape")
        assert "attempted" not in results_in_audit()


async def test_charging_a_customer_preselects_the_default_method(
        actions_app: ActionsAppFactory, wait_for: Waiter) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await show_customer(pilot, "cus_ada")
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, ChargeDialog)
        assert screen.query_one("#charge-customer", Input).value == "cus_ada"
        assert screen.query_one("#charge-method", Select).value == "pm_ada_mc"
        screen.query_one("#charge-amount", Input).value = "25.00"
        await pilot.pause()
        await submit(pilot, screen, wait_for)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.summary.startswith(
            "Charge 25.00 USD to ada@example.com's mastercard •••• 4444")


async def test_a_charge_needs_a_known_customer_and_offers_their_methods(
        actions_app: ActionsAppFactory, wait_for: Waiter) -> None:
    app = actions_app(offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, ChargeDialog)
        screen.query_one("#charge-amount", Input).value = "10"
        for customer, refusal in (
                ("nobody@example.com", "no customer nobody@example.com"),
                ("cus_nobody", "no customer cus_nobody in the ledger"),
                ("", "type a customer id or email")):
            screen.query_one("#charge-customer", Input).value = customer
            await pilot.pause()
            await submit(pilot, screen, wait_for)
            await wait_for(lambda r=refusal: r in error_under(screen, "charge-customer"),
                           pilot=pilot, what=refusal)
        screen.query_one("#charge-customer", Input).value = "BO@example.jp"
        await pilot.pause()
        # Once the dialog has seen the value (its Changed message may take a few hops).
        who = screen.query_one("#charge-who", Static)
        await wait_for(lambda: "Bo Tanaka" in str(who.content), pilot=pilot)
        # Bo has one card and no default: the only card is chosen.
        assert screen.query_one("#charge-method", Select).value == "pm_bo_amex"
        screen.query_one("#charge-currency", Input).value = "jpy"
        screen.query_one("#charge-amount", Input).value = "10.5"
        await pilot.pause()
        await wait_for(lambda: "no decimals" in error_under(screen, "charge-amount"), pilot=pilot)
        assert "JPY amounts have no decimals" in error_under(screen, "charge-amount")


# -- snapshots ---------------------------------------------------------------------------------

def test_refund_dialog_snapshot(actions_app: ActionsAppFactory, snap_compare: Any) -> None:
    async def open_it(pilot: Pilot) -> None:
        await open_refund(pilot, "pi_refunded")
        await pilot.pause()

    assert snap_compare(actions_app(offline_actions()), run_before=open_it, terminal_size=SIZE)


def test_payment_detail_with_its_audit_entries_snapshot(
        actions_app: ActionsAppFactory, snap_compare: Any) -> None:
    for seq, (result, object_id, error) in enumerate((
            ("attempted", None, None), ("succeeded", "re_1", None),
            ("refused", None, "pi_refunded is already fully refunded"))):
        append(NewEntry(operator=OPERATOR, action="refund", target="pi_refunded",
                        result=result, object_id=object_id, error=error,
                        params={"amount": 1000, "currency": "eur"}), now=NOW - 3000 + seq)

    async def open_it(pilot: Pilot) -> None:
        pane = pilot.app.query_one(PaymentsPane)
        pane.table.move_cursor(pane.source.position_of("pi_refunded"))
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(actions_app(offline_actions()), run_before=open_it, terminal_size=SIZE)

