"""Dispute evidence files in the ledger: what was uploaded for which dispute and field
(`remember`), whether the same bytes are already on Stripe (`uploaded_id`), and a
dispute's files for its detail and the evidence form (`files_of`)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.models import database
from ledger.models_files import DisputeFile


@dataclass(frozen=True, slots=True)
class FileRecord:
    """An evidence file's metadata as the ledger keeps it: never the contents."""

    id: str
    dispute: str
    field: str
    filename: str
    size: int
    type: str
    pages: int | None
    sha256: str
    uploaded_at: int
    operator: str


def uploaded_id(dispute: str, field: str, sha256: str) -> str | None:
    """The Stripe file id these bytes were uploaded as, for this dispute and field."""
    row = DisputeFile.get_or_none((DisputeFile.dispute == dispute) & (DisputeFile.field == field)
                                  & (DisputeFile.sha256 == sha256))
    return row.id if row is not None else None


def remember(record: FileRecord) -> None:
    """Record an upload Stripe confirmed; the same (dispute, field, sha256) again is a no-op."""
    with database.atomic():
        DisputeFile.insert(
            id=record.id, dispute=record.dispute, field=record.field,
            filename=record.filename, size=record.size, type=record.type, pages=record.pages,
            sha256=record.sha256, uploaded_at=record.uploaded_at, operator=record.operator,
        ).on_conflict(conflict_target=[DisputeFile.dispute, DisputeFile.field,
                                       DisputeFile.sha256], action="NOTHING").execute()


def files_of(dispute: str) -> list[FileRecord]:
    """Every file uploaded for the dispute, by field then newest first."""
    query = (DisputeFile.select().where(DisputeFile.dispute == dispute)
             .order_by(DisputeFile.field, DisputeFile.uploaded_at.desc(), DisputeFile.id))
    return [_record(row) for row in query]


def attached_files(dispute: str, evidence: dict[str, object]) -> dict[str, FileRecord]:
    """The files the dispute's saved evidence points at, by field (those the ledger knows)."""
    return {record.field: record for record in files_of(dispute)
            if evidence.get(record.field) == record.id}


def _record(row: DisputeFile) -> FileRecord:
    return FileRecord(id=row.id, dispute=row.dispute, field=row.field, filename=row.filename,
                      size=row.size, type=row.type, pages=row.pages, sha256=row.sha256,
                      uploaded_at=row.uploaded_at, operator=row.operator)
