"""Uploading an evidence plan's files to Stripe's Files API, each at most once.

The ledger remembers dispute + field + sha256 -> file id as soon as Stripe confirms an
upload, so running the same action again (after a later upload or the dispute update
failed, or on purpose) reuses the file instead of uploading it twice. Each upload carries
its own idempotency key, derived from the dispute, the field and the bytes.
"""

from __future__ import annotations

from dataclasses import replace

from ledger import dispute_files
from ledger.dispute_files import FileRecord
from ledger.pending import fingerprint, idempotency_key
from sync.evidence_files import EvidenceFile
from sync.gateway import GatewayError, StripeGateway
from sync.plans_evidence import EvidencePlan

PURPOSE = "dispute_evidence"


def upload_key(plan: EvidencePlan, file: EvidenceFile) -> str:
    identity = fingerprint(plan.operator, "file.upload", plan.target,
                           {"field": file.field, "sha256": file.sha256})
    return idempotency_key("file.upload", identity, plan.attempt)


def with_uploads(gateway: StripeGateway, plan: EvidencePlan, *, now: int) -> EvidencePlan:
    """The plan with a Stripe file id for each of its files, uploading those not yet on
    Stripe. Raises GatewayError when an upload fails: the dispute is left as it was."""
    ids: list[tuple[str, str]] = []
    for file in plan.files:
        known = dispute_files.uploaded_id(plan.target, file.field, file.sha256)
        ids.append((file.field, known or _upload(gateway, plan, file, now)))
    return replace(plan, file_ids=tuple(ids))


def _upload(gateway: StripeGateway, plan: EvidencePlan, file: EvidenceFile, now: int) -> str:
    try:
        answer = gateway.upload_file(file.filename, file.content, purpose=PURPOSE,
                                     idempotency_key=upload_key(plan, file))
    except GatewayError as exc:  # say which file: a plan may upload several
        raise type(exc)(f"{exc} (uploading {file.filename} for {file.field}; the dispute "
                        "was not changed)", status=exc.status, code=exc.code,
                        request_id=exc.request_id, retryable=exc.retryable,
                        error=exc.error) from None
    file_id = answer.get("id")
    if not isinstance(file_id, str) or not file_id:
        raise GatewayError(f"Stripe sent an unreadable answer to the upload of {file.filename} "
                           "(no file id)")
    dispute_files.remember(FileRecord(
        id=file_id, dispute=plan.target, field=file.field, filename=file.filename,
        size=file.size, type=file.type, pages=file.pages, sha256=file.sha256,
        uploaded_at=now, operator=plan.operator))
    return file_id
