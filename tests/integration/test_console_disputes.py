"""The Disputes pane against the emulator, driven with Pilot: a dispute opened on the server
reaches the pane by a real sync (announced once), evidence is saved as a draft then
submitted, a second submission shows Stripe's refusal in the form, accepting loses
the dispute, and a file attached in the form is uploaded and listed in the detail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from textual.pilot import Pilot
from textual.widgets import Label, TextArea

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from console.panes.disputes import DisputesTable, dispute_columns
from console.screens.confirm import ConfirmScreen
from console.screens.dispute_detail import DisputeDetailScreen, evidence_facts
from console.screens.evidence_form import EvidenceForm
from ledger.db import open_ledger
from ledger.models import Dispute
from sync.actions import Actions
from sync.emulator import EmulatorProcess
from sync.gateway import StripeGateway
from sync.scheduler import Job
from sync.service import SyncService
from tests.conftest import Waiter
from tests.helpers import attach_file, gateway_for, new_payment, pdf_bytes, write_file

SIZE = (150, 40)


@pytest.fixture
def gateway(emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
            ledger_location: str) -> Iterator[StripeGateway]:
    db = open_ledger(ledger_location)
    yield gateway_for(emulator.api_base)
    db.close()


def paid_charge(client: stripe.StripeClient, amount: int) -> str:
    """A succeeded card payment on the server; its charge id."""
    return str(new_payment(client, amount).latest_charge)


def console(gateway: StripeGateway, ledger_location: str) -> PayConsoleApp:
    service = SyncService(gateway)
    service.run_once()  # what the ledger holds when the console opens is not news
    context = ConsoleContext(
        ledger_location=ledger_location, mode=Mode.TEST, operator="ada",
        jobs=[Job("sync", service.run_once, every_seconds=3600, run_at_start=False)],
        actions=Actions(gateway, "ada"))
    return PayConsoleApp(context)


def row_cells(table: DisputesTable, index: int = 0) -> list[str]:
    row = table.row_at(index)
    return [str(column.cell(row)) for column in dispute_columns(time.time)] if row else []


async def fill_and_send(pilot: Pilot, fields: dict[str, str], key: str) -> EvidenceForm:
    await pilot.press("v")
    form = pilot.app.screen
    assert isinstance(form, EvidenceForm)
    for name, text in fields.items():
        editor = form.editors[name]
        if isinstance(editor, TextArea):
            editor.load_text(text)
        else:
            editor.value = text
    await pilot.pause()
    await pilot.press(key)
    return form


async def test_a_new_dispute_reaches_the_pane_then_evidence_is_drafted_and_submitted(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient, gateway: StripeGateway,
        ledger_location: str, wait_for: Waiter) -> None:
    charge = paid_charge(stripe_client, 7500)
    app = console(gateway, ledger_location)
    titles: list[str] = []
    bells: list[bool] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        titles.append(options.get("title", ""))
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        table = app.query_one(DisputesTable)
        assert table.row_count == 0
        emulator.control.create_dispute(charge, reason="product_not_received",
                                        due_by=int(time.time()) + 5 * 3600 + 60)
        await pilot.press("s")
        await wait_for(lambda: table.row_count == 1, pilot=pilot)
        dispute_id = table.row_at(0).id
        cells = row_cells(table)
        assert cells[0].startswith("5h") and cells[0].endswith("left")
        assert cells[1:5] == ["75.00 USD", "needs_response", "product_not_received",
                              "ada@example.com"]
        assert (titles.count("New dispute"), bells) == (1, [True])
        header = app.query_one("#header-disputes", Label)
        assert str(header.content).strip() == "1 dispute needs a response"

        await fill_and_send(pilot, {"product_description": "A blue mug, 350 ml"}, "ctrl+s")
        await wait_for(lambda: row_cells(table)[6] == "draft", pilot=pilot)
        assert not isinstance(app.screen, EvidenceForm)  # saved: the form closed
        saved = Dispute.get_by_id(dispute_id)
        assert (saved.status, saved.has_evidence, saved.submission_count) == (
            "needs_response", True, 0)

        # Submitting asks first; the form sends only what changed.
        await fill_and_send(pilot, {"uncategorized_text": "Delivered on 2 May"}, "ctrl+t")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await wait_for(lambda: row_cells(table)[0] == "awaiting decision", pilot=pilot)
        assert row_cells(table)[2] == "under_review" and row_cells(table)[6] == "yes (1)"
        assert str(header.content) == ""
        assert "A blue mug" in Dispute.get_by_id(dispute_id).evidence

        # A second submission: Stripe refuses, and the form stays open with its message.
        form = await fill_and_send(pilot, {"uncategorized_text": "More"}, "ctrl+t")
        await pilot.press("enter")
        message = form.query_one("#evidence-message")
        await wait_for(lambda: "already been submitted" in str(message.render()), pilot=pilot)
        assert app.screen is form and not form.busy
        assert titles.count("New dispute") == 1  # the syncs since brought nothing new


async def test_accepting_a_dispute_concedes_it(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient, gateway: StripeGateway,
        ledger_location: str, wait_for: Waiter) -> None:
    charge = paid_charge(stripe_client, 6000)
    emulator.control.create_dispute(charge, reason="fraudulent", amount=4500)
    app = console(gateway, ledger_location)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        table = app.query_one(DisputesTable)
        await pilot.press("a")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "concedes 45.00 USD to the cardholder; this cannot be undone" in confirm.summary
        await pilot.press("enter")
        await wait_for(lambda: row_cells(table)[2] == "lost", pilot=pilot)
        assert row_cells(table)[0] == "closed"
        assert Dispute.get_by_id(table.row_at(0).id).status == "lost"


async def test_files_attached_in_the_form_are_uploaded_and_listed_in_the_detail(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient, gateway: StripeGateway,
        tmp_path: Path, ledger_location: str, wait_for: Waiter) -> None:
    emulator.control.create_dispute(paid_charge(stripe_client, 7500))
    receipt = write_file(tmp_path / "files", "receipt.pdf", pdf_bytes(2))
    app = console(gateway, ledger_location)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "v")
        form = app.screen
        assert isinstance(form, EvidenceForm)
        await attach_file(pilot, "receipt", receipt)
        await pilot.press("ctrl+s")  # a draft: sent without a confirmation
        await wait_for(lambda: not isinstance(app.screen, EvidenceForm), pilot=pilot)
        dispute_id = app.query_one(DisputesTable).row_at(0).id
        (uploaded,) = stripe_client.v1.files.list({"purpose": "dispute_evidence"}).data
        assert stripe_client.v1.disputes.retrieve(dispute_id).evidence.receipt == uploaded.id
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, DisputeDetailScreen)
        assert [(f.id, f.filename, f.pages) for f in detail.detail.files] == [
            (uploaded.id, "receipt.pdf", 2)]
        assert dict(evidence_facts(detail.detail.evidence, detail.detail.files)) == {
            "receipt (file)": f"receipt.pdf ({uploaded.id})"}
