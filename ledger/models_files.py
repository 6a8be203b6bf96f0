"""The ledger's table of dispute evidence files: what was uploaded to Stripe's Files API
for which dispute and evidence field, never the contents. Created by its own migration."""

from __future__ import annotations

from peewee import BigIntegerField, TextField

from ledger.models import LedgerModel


class DisputeFile(LedgerModel):
    """One uploaded evidence file. (dispute, field, sha256) is unique: the same bytes for
    the same field are uploaded once, however often the operator sends them."""

    id = TextField(primary_key=True)  # Stripe's file id (file_...)
    dispute = TextField(index=True)
    field = TextField()  # the evidence field it was uploaded for (receipt, ...)
    filename = TextField()
    size = BigIntegerField()  # bytes
    type = TextField()  # pdf | jpeg | png, by content
    pages = BigIntegerField(null=True)  # a PDF's page count; images: None
    sha256 = TextField()
    uploaded_at = BigIntegerField()
    operator = TextField()


FILE_MODELS: tuple[type[LedgerModel], ...] = (DisputeFile,)

# The memory of what is uploaded, and the dispute detail's listing, seek on these.
FILE_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS dispute_file_content ON dispute_file "
    "(dispute, field, sha256)",
)
