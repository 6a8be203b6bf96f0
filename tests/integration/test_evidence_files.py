"""File evidence against the emulator over HTTP with the real SDK: uploads to the Files
API, the evidence fields pointing at them, submission; every check refused before anything
is sent; one upload however often the same file is sent; a failed upload changing nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from ledger.audit import entries_touching
from ledger.dispute_files import files_of
from ledger.models import Dispute, Payment
from sync.actions import Actions
from sync.emulator import ControlClient, EmulatorProcess
from sync.evidence_files import format_size
from sync.gateway import GatewayError, StripeGateway
from sync.plans import ActionFailed, ActionRefused
from tests.helpers import gateway_for, paid, pdf_bytes, png_bytes, sync, write_file
from tests.integration.fault_proxy import Fault, FaultProxy


def open_dispute(client: stripe.StripeClient, gateway: StripeGateway,
                 emulator: EmulatorProcess) -> str:
    payment_id = paid(client, gateway, 7500)
    charge = Payment.get_by_id(payment_id).latest_charge
    dispute_id: str = ControlClient(emulator.api_base).create_dispute(charge)["id"]
    sync(gateway)
    return dispute_id


def uploaded(client: stripe.StripeClient) -> list[Any]:
    return list(client.v1.files.list({"purpose": "dispute_evidence", "limit": 100}).data)


def test_files_uploaded_attached_then_submitted(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        emulator: EmulatorProcess, tmp_path: Path) -> None:
    dispute_id = open_dispute(stripe_client, gateway, emulator)
    receipt = write_file(tmp_path, "receipt.pdf", pdf_bytes(3))
    photo = write_file(tmp_path, "parcel.png", png_bytes())
    plan = actions.plan_evidence(dispute_id, {"product_description": "A blue mug"},
                                 files={"receipt": receipt, "shipping_documentation": photo})
    size = format_size(len(pdf_bytes(3)))
    assert f"receipt = receipt.pdf (PDF, {size}, 3 pages)" in plan.summary
    assert "2 files" in plan.summary and "3 of 50 pages" in plan.summary
    result = actions.execute(plan)
    assert result.ok and result.status == "needs_response"

    on_stripe = stripe_client.v1.disputes.retrieve(dispute_id).evidence
    files = {f.id: f for f in uploaded(stripe_client)}
    assert files[on_stripe.receipt].filename == "receipt.pdf"
    assert (files[on_stripe.shipping_documentation].type, on_stripe.product_description) == (
        "png", "A blue mug")
    records = {r.field: r for r in files_of(dispute_id)}  # the ledger: metadata only
    assert (records["receipt"].id, records["receipt"].pages, records["receipt"].type) == (
        on_stripe.receipt, 3, "pdf")
    assert (records["shipping_documentation"].pages, records["shipping_documentation"].size) \
        == (None, len(png_bytes()))
    assert records["receipt"].operator == "ada"
    assert json.loads(Dispute.get_by_id(dispute_id).evidence)["receipt"] == on_stripe.receipt
    audited = entries_touching(dispute_id)[0].params
    assert audited["files"]["receipt"]["filename"] == "receipt.pdf"

    submitted = actions.execute(actions.plan_evidence(dispute_id, {}, submit=True))
    assert submitted.status == "under_review"
    assert stripe_client.v1.disputes.retrieve(dispute_id).evidence.receipt == on_stripe.receipt


def _six_mb(folder: Path) -> dict[str, str]:
    return {"receipt": write_file(folder, "huge.pdf", pdf_bytes(1, at_least=6_000_000))}


def _over_packet(folder: Path) -> dict[str, str]:
    half = pdf_bytes(1, at_least=2_300_000)
    return {"receipt": write_file(folder, "a.pdf", half),
            "refund_policy": write_file(folder, "b.pdf", half)}


REFUSALS = {
    "a PNG named .pdf": (lambda folder: {"receipt": write_file(folder, "receipt.pdf",
                                                                png_bytes())},
                         "receipt.pdf for receipt is a PNG by its content"),
    "a 6 MB file": (_six_mb, "huge.pdf is 6.0 MB; Stripe takes at most 5.0 MB a file"),
    "a packet over 4.5 MB": (_over_packet, "come to 4.6 MB together (a.pdf 2.3 MB, b.pdf "
                                           "2.3 MB); Stripe takes at most 4.5 MB"),
    "a 51-page PDF": (lambda folder: {"receipt": write_file(folder, "long.pdf",
                                                             pdf_bytes(51))},
                      "come to 51 pages together (long.pdf 51); Stripe takes at most 50"),
    "a missing file": (lambda folder: {"receipt": str(folder / "nowhere.pdf")},
                       "nowhere.pdf: no such file"),
    "a text file": (lambda folder: {"receipt": write_file(folder, "notes.txt", b"hello")},
                    "notes.txt for receipt is not a PDF, JPEG or PNG"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_file_stripe_would_not_take_changes_nothing(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        emulator: EmulatorProcess, tmp_path: Path, case: str) -> None:
    dispute_id = open_dispute(stripe_client, gateway, emulator)
    actions.execute(actions.plan_evidence(dispute_id, {"customer_name": "Ada"}))
    before = (stripe_client.v1.disputes.retrieve(dispute_id).to_dict(),
              Dispute.get_by_id(dispute_id).evidence)
    make, message = REFUSALS[case]
    with pytest.raises(ActionRefused) as refused:
        actions.plan_evidence(dispute_id, {"uncategorized_text": "see file"},
                              files=make(tmp_path / "files"))
    assert message in str(refused.value)
    assert uploaded(stripe_client) == [] and files_of(dispute_id) == []
    assert (stripe_client.v1.disputes.retrieve(dispute_id).to_dict(),
            Dispute.get_by_id(dispute_id).evidence) == before


def test_files_already_attached_count_towards_the_packet(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        emulator: EmulatorProcess, tmp_path: Path) -> None:
    dispute_id = open_dispute(stripe_client, gateway, emulator)
    actions.execute(actions.plan_evidence(dispute_id, {}, files={
        "receipt": write_file(tmp_path, "first.pdf", pdf_bytes(30))}))
    with pytest.raises(ActionRefused) as refused:
        actions.plan_evidence(dispute_id, {}, files={
            "refund_policy": write_file(tmp_path, "second.pdf", pdf_bytes(21))})
    assert "51 pages together (first.pdf 30, second.pdf 21)" in str(refused.value)
    # Replacing the receipt frees its pages.
    plan = actions.plan_evidence(dispute_id, {}, files={
        "receipt": write_file(tmp_path, "shorter.pdf", pdf_bytes(21))})
    assert "21 of 50 pages" in plan.summary


def test_the_same_file_again_is_uploaded_once(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        emulator: EmulatorProcess, tmp_path: Path) -> None:
    dispute_id = open_dispute(stripe_client, gateway, emulator)
    files = {"receipt": write_file(tmp_path, "receipt.pdf", pdf_bytes(2))}
    actions.execute(actions.plan_evidence(dispute_id, {}, files=files))
    with pytest.raises(ActionRefused, match="already succeeded"):
        actions.plan_evidence(dispute_id, {}, files=files)
    again = actions.execute(actions.plan_evidence(dispute_id, {}, files=files, repeat=True))
    # The same bytes under another name and path are the same evidence, already on Stripe.
    copy = {"receipt": write_file(tmp_path / "elsewhere", "copy.pdf", pdf_bytes(2))}
    actions.execute(actions.plan_evidence(dispute_id, {"customer_name": "Ada"}, files=copy))
    assert again.ok and len(uploaded(stripe_client)) == 1 and len(files_of(dispute_id)) == 1


def test_a_failed_upload_leaves_the_draft_as_it_was(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions,
        emulator: EmulatorProcess, proxy: FaultProxy, tmp_path: Path) -> None:
    dispute_id = open_dispute(stripe_client, gateway, emulator)
    actions.execute(actions.plan_evidence(dispute_id, {"customer_name": "Ada"}))
    draft = stripe_client.v1.disputes.retrieve(dispute_id).evidence.to_dict()
    through_proxy = Actions(gateway_for(proxy.url), "ada")
    files = {"receipt": write_file(tmp_path, "receipt.pdf", pdf_bytes(1)),
             "refund_policy": write_file(tmp_path, "policy.png", png_bytes())}
    # The first file goes up, the second's upload is refused: the dispute is not updated.
    proxy.inject(Fault(status=400, path="/v1/files", skip=1, body=json.dumps(
        {"error": {"type": "invalid_request_error", "message": "upload refused"}})))
    with pytest.raises(ActionFailed, match=r"upload refused \(uploading policy\.png for "
                       r"refund_policy; the dispute was not changed\)"):
        through_proxy.execute(through_proxy.plan_evidence(
            dispute_id, {"product_description": "A mug"}, files=files))
    assert stripe_client.v1.disputes.retrieve(dispute_id).evidence.to_dict() == draft
    assert "product_description" not in json.loads(Dispute.get_by_id(dispute_id).evidence)
    # Running it again uploads only the file Stripe does not have yet.
    result = through_proxy.execute(through_proxy.plan_evidence(
        dispute_id, {"product_description": "A mug"}, files=files))
    assert result.ok and proxy.outcomes("/v1/files") == ["forwarded", "400", "forwarded"]
    assert len(uploaded(stripe_client)) == 2


def test_the_emulator_refuses_an_unknown_file_id_as_stripe_does(
        stripe_client: stripe.StripeClient, gateway: StripeGateway,
        emulator: EmulatorProcess) -> None:
    dispute_id = open_dispute(stripe_client, gateway, emulator)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.disputes.update(dispute_id, {"evidence": {"receipt": "file_nope"}})
    assert (refused.value.http_status, refused.value.code, refused.value.param) == (
        400, "resource_missing", "evidence[receipt]")
    with pytest.raises(GatewayError, match="not supported"):
        gateway.upload_file("x.gif", b"GIF89a", purpose="dispute_evidence",
                            idempotency_key="gif")
    made = gateway.upload_file("r.pdf", pdf_bytes(1), purpose="dispute_evidence",
                               idempotency_key="pdf")
    assert stripe_client.v1.files.retrieve(made["id"]).size == len(pdf_bytes(1))
