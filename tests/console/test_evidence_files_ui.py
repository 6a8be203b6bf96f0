"""The evidence form's file fields and the file picker (Pilot, fixed ledger, frozen clock),
and the dispute detail's list of uploaded files. Nothing here reaches Stripe: the tests
stop at the confirmation (tests/integration/test_evidence_files.py uploads for real)."""

from __future__ import annotations

from pathlib import Path

from peewee import SqliteDatabase
from textual.pilot import Pilot
from textual.widgets import Static

from console.context import Mode
from console.screens.confirm import ConfirmScreen
from console.screens.dispute_detail import DisputeDetailScreen, evidence_facts, file_rows
from console.screens.evidence_form import EvidenceForm
from console.screens.file_picker import FilePicker
from tests.console.conftest import SIZE, AppFactory
from tests.helpers import (
    attach_file,
    offline_actions,
    pdf_bytes,
    png_bytes,
    saved_evidence_file,
    with_actions,
    write_file,
)


async def open_form(pilot: Pilot) -> EvidenceForm:
    await pilot.press("2", "v")  # dp_1, the only dispute
    assert isinstance(pilot.app.screen, EvidenceForm)
    return pilot.app.screen


def shown(screen: EvidenceForm | FilePicker, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_files_are_picked_checked_and_totalled(
        make_app: AppFactory, filled_ledger: SqliteDatabase, tmp_path: Path) -> None:
    receipt = write_file(tmp_path, "receipt.pdf", pdf_bytes(3))
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        assert shown(form, "#evidence-file-receipt") == "none"
        assert shown(form, "#evidence-packet") == (
            "Together: 0 files, 0 bytes of 4.5 MB, 0 of 50 pages")
        await attach_file(pilot, "receipt", receipt)
        assert app.screen is form
        assert shown(form, "#evidence-file-receipt").startswith("new: receipt.pdf (PDF, ")
        assert shown(form, "#evidence-file-receipt").endswith(", 3 pages)")
        assert "1 file, " in shown(form, "#evidence-packet")
        assert "3 of 50 pages" in shown(form, "#evidence-packet")

        # A PNG named .pdf is refused in the picker, which stays open; the field keeps none.
        await attach_file(pilot, "customer_signature",
                          write_file(tmp_path, "signature.pdf", png_bytes()))
        picker = app.screen
        assert isinstance(picker, FilePicker)
        assert "signature.pdf for customer_signature is a PNG by its content" in shown(
            picker, "#picker-message")
        await pilot.press("escape")
        assert app.screen is form and shown(form, "#evidence-file-customer_signature") == "none"

        await pilot.press("ctrl+t")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "receipt = receipt.pdf (PDF" in confirm.summary
        assert "files: 1 file, " in confirm.summary
        await pilot.press("escape")
        await pilot.click("#remove-receipt")
        await pilot.pause()
        assert shown(form, "#evidence-file-receipt") == "none"


async def test_the_packet_limit_shows_as_files_are_chosen(
        make_app: AppFactory, filled_ledger: SqliteDatabase, tmp_path: Path) -> None:
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await attach_file(pilot, "receipt", write_file(tmp_path, "a.pdf", pdf_bytes(30)))
        await attach_file(pilot, "refund_policy", write_file(tmp_path, "b.pdf", pdf_bytes(21)))
        assert shown(form, "#evidence-packet").startswith(
            "Too much: the evidence PDFs come to 51 pages together (a.pdf 30, b.pdf 21)")


async def test_the_detail_and_the_form_show_files_already_uploaded(
        make_app: AppFactory, filled_ledger: SqliteDatabase) -> None:
    saved_evidence_file()
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "enter")
        detail = app.screen
        assert isinstance(detail, DisputeDetailScreen)
        facts = dict(evidence_facts(detail.detail.evidence, detail.detail.files))
        assert facts == {"receipt (file)": "receipt-A1001.pdf (file_receipt1)"}
        assert list(file_rows(detail.detail.files)) == [(
            "receipt", "receipt-A1001.pdf", "PDF", "48 KB", "2", "2026-11-18 10:56:40",
            "ops@example.com", "file_receipt1")]
        headings = [str(label.content) for label in detail.query(".detail-heading")]
        assert "Evidence files uploaded" in headings
        await pilot.press("v")
        form = app.screen
        assert isinstance(form, EvidenceForm)
        assert shown(form, "#evidence-file-receipt") == (
            "on Stripe: receipt-A1001.pdf (PDF, 48 KB, 2 pages)")
        assert "1 file, 48 KB of 4.5 MB, 2 of 50 pages" in shown(form, "#evidence-packet")


async def test_offline_the_detail_lists_the_files(make_app: AppFactory,
                                                  filled_ledger: SqliteDatabase) -> None:
    record = saved_evidence_file()
    app = make_app(mode=Mode.OFFLINE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "enter")
        detail = app.screen
        assert isinstance(detail, DisputeDetailScreen)
        assert detail.detail.files == [record]
        await pilot.press("v")  # offline: no actions, so no form either
        assert app.screen is detail
