"""The dispute evidence plan: text fields and files, saved as a draft or submitted.

Like every plan (sync.plans), plain data validated against the ledger: showing it sends
nothing. Its files are uploaded to Stripe's Files API first (sync.evidence_uploads), each
once; the one dispute update then points the evidence fields at the uploaded files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar

from ledger.audit import canonical_json
from sync.evidence_files import EvidenceFile
from sync.plans import StripeRequest, _DisputePlan


@dataclass(frozen=True, kw_only=True)
class EvidencePlan(_DisputePlan):
    action: ClassVar[str] = "dispute.evidence"
    due_by: int | None
    evidence: tuple[tuple[str, str], ...]  # (field, text), sorted by field
    submit: bool
    files: tuple[EvidenceFile, ...] = ()  # sorted by field
    packet: str | None = None  # the dispute's files together against Stripe's limits
    # Filled in once the files are uploaded (or found uploaded): (field, file id).
    file_ids: tuple[tuple[str, str], ...] = ()

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"evidence": dict(self.evidence), "submit": self.submit}
        if self.files:  # a file is its content: the same bytes from elsewhere are the same
            params["files"] = {f.field: f.sha256 for f in self.files}
        return params

    def audit_params(self) -> dict[str, Any]:
        # Evidence can run to 150,000 characters: the log keeps which fields and a digest;
        # of each file its metadata, never its contents.
        digest = hashlib.sha256(canonical_json(dict(self.evidence)).encode()).hexdigest()
        return {"fields": {name: len(text) for name, text in self.evidence},
                "evidence_sha256": digest, "submit": self.submit,
                "files": {f.field: {"filename": f.filename, "type": f.type, "size": f.size,
                                    "pages": f.pages, "sha256": f.sha256} for f in self.files}}

    def request(self) -> StripeRequest:
        if len(self.file_ids) != len(self.files):
            raise ValueError("the evidence files must be uploaded before the dispute update")
        params: dict[str, Any] = {"submit": self.submit}
        evidence = {**dict(self.evidence), **dict(self.file_ids)}
        if evidence:
            params["evidence"] = evidence
        return StripeRequest(f"/v1/disputes/{self.target}", params)

    @property
    def destructive(self) -> bool:
        return self.submit

    @property
    def summary(self) -> str:
        given = [name for name, _ in self.evidence]
        given += [f"{f.field} = {f.description}" for f in self.files]
        names = ", ".join(given) or "the evidence already saved"
        verb = "Submit to the bank" if self.submit else "Save as a draft (not submitted)"
        packet = f"; files: {self.packet}" if self.packet else ""
        return f"{verb} evidence for dispute {self.target}: {names}{packet}"
