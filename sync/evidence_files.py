"""Dispute evidence files, checked before anything is uploaded: pure functions over the
file system, no ledger, no network.

Stripe takes PDF, JPEG and PNG evidence, at most 5 MB a file; one dispute's files together
at most 4.5 MB and 50 PDF pages. The type is read from the content (its first bytes), and a
name that says otherwise (a PNG named `.pdf`) is refused, since the bank sees the name.
Each refusal names the file and the limit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.dispute_files import FileRecord
from sync.actions_checks import EVIDENCE_FILE_FIELDS
from sync.plans import ActionRefused

FILE_MAX = 5_000_000  # Stripe: 5 MB a dispute evidence file
PACKET_MAX = 4_500_000  # Stripe: 4.5 MB for all of one dispute's evidence files
PAGES_MAX = 50  # Stripe: 50 PDF pages for all of one dispute's evidence files

# Type -> (the content's first bytes, the extensions a file of that type may be named with).
FILE_TYPES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "pdf": (b"%PDF", (".pdf",)),
    "jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}


def format_size(size: int) -> str:
    """Bytes as people read them, in Stripe's (decimal) units: 830 KB, 4.5 MB."""
    if size < 1_000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{(size + 500) // 1_000} KB"
    tenths = (size + 50_000) // 100_000
    return f"{tenths // 10}.{tenths % 10} MB"


@dataclass(frozen=True)
class EvidenceFile:
    """A file checked for one evidence field, with the bytes that were checked: those are
    what is uploaded, whatever happens to the file on disk afterwards."""

    field: str  # the evidence field (receipt, ...)
    path: str  # as the operator gave it
    filename: str  # the name Stripe and the bank see
    type: str  # pdf | jpeg | png
    size: int
    pages: int | None  # a PDF's pages; None for an image
    sha256: str
    content: bytes = dataclasses.field(repr=False, compare=False)

    @property
    def description(self) -> str:
        """e.g. "receipt.pdf (PDF, 12 KB, 3 pages)"."""
        pages = "" if self.pages is None else f", {self.pages} page{'s' * (self.pages != 1)}"
        return f"{self.filename} ({self.type.upper()}, {format_size(self.size)}{pages})"


def content_type(head: bytes) -> str | None:
    """pdf, jpeg or png by the first bytes; None for anything else."""
    return next((kind for kind, (magic, _) in FILE_TYPES.items() if head.startswith(magic)),
                None)


def inspect(field_name: str, path: str) -> EvidenceFile:
    """The file at `path` for the evidence field `field_name`, or ActionRefused saying why
    Stripe would not take it."""
    if field_name not in EVIDENCE_FILE_FIELDS:
        raise ActionRefused(f"{field_name!r} is not an evidence field that takes a file; "
                            f"Stripe's file fields are: {', '.join(EVIDENCE_FILE_FIELDS)}")
    where = Path(path).expanduser()
    name = where.name
    content = _read(where, path)
    kind = content_type(content[:8])
    if kind is None:
        raise ActionRefused(f"{name} for {field_name} is not a PDF, JPEG or PNG (judged by its "
                            "content): Stripe takes only those as evidence")
    extensions = FILE_TYPES[kind][1]
    if where.suffix.lower() not in extensions:
        raise ActionRefused(f"{name} for {field_name} is a {kind.upper()} by its content but "
                            f"its name does not end in {' or '.join(extensions)}: rename it "
                            "so the bank opens it as what it is")
    return EvidenceFile(field=field_name, path=path, filename=name, type=kind,
                        size=len(content), pages=_pages(content, name) if kind == "pdf" else None,
                        sha256=hashlib.sha256(content).hexdigest(), content=content)


def _read(where: Path, given: str) -> bytes:
    """The whole file, if it is a readable file of at most FILE_MAX bytes."""
    try:
        size = where.stat().st_size
        if where.is_dir():
            raise ActionRefused(f"{given} is a directory, not a file")
        if size > FILE_MAX:
            raise ActionRefused(f"{where.name} is {format_size(size)}; Stripe takes at most "
                                f"{format_size(FILE_MAX)} a file")
        if size == 0:
            raise ActionRefused(f"{where.name} is empty")
        with where.open("rb") as handle:
            content = handle.read(FILE_MAX + 1)
    except FileNotFoundError:
        raise ActionRefused(f"{given}: no such file") from None
    except PermissionError:
        raise ActionRefused(f"{given} is not readable (permission denied)") from None
    except OSError as exc:
        raise ActionRefused(f"{given} cannot be read: {os.strerror(exc.errno or 0)}") from None
    if len(content) > FILE_MAX:  # it grew since it was measured
        raise ActionRefused(f"{where.name} is over {format_size(FILE_MAX)}; Stripe takes at "
                            f"most {format_size(FILE_MAX)} a file")
    return content


def _pages(content: bytes, name: str) -> int:
    # Imported here: the console's first screen has no PDF to read (pypdf costs ~0.1 s).
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise ActionRefused(f"{name} is a password-protected PDF, which the bank cannot "
                                "open: upload it unprotected")
        return len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # pypdf reports a damaged file with several exception types.
        raise ActionRefused(f"{name} is not a readable PDF ({type(exc).__name__})") from None


@dataclass(frozen=True, slots=True)
class PacketItem:
    """One file of a dispute's evidence packet, as the packet limits see it."""

    field: str
    filename: str
    size: int
    pages: int | None


@dataclass(frozen=True, slots=True)
class Packet:
    """All of one dispute's evidence files: those sent now and those already attached."""

    items: tuple[PacketItem, ...]

    @property
    def size(self) -> int:
        return sum(item.size for item in self.items)

    @property
    def pages(self) -> int:
        return sum(item.pages or 0 for item in self.items)

    @property
    def summary(self) -> str:
        """e.g. "2 files, 1.2 MB of 4.5 MB, 3 of 50 pages"."""
        count = len(self.items)
        return (f"{count} file{'s' * (count != 1)}, {format_size(self.size)} of "
                f"{format_size(PACKET_MAX)}, {self.pages} of {PAGES_MAX} pages")

    def problem(self) -> str | None:
        """Which packet limit these files break, naming them; None within both."""
        if self.size > PACKET_MAX:
            listed = ", ".join(f"{i.filename} {format_size(i.size)}" for i in self.items)
            return (f"the evidence files come to {format_size(self.size)} together ({listed}); "
                    f"Stripe takes at most {format_size(PACKET_MAX)} for one dispute")
        if self.pages > PAGES_MAX:
            listed = ", ".join(f"{i.filename} {i.pages}" for i in self.items if i.pages)
            return (f"the evidence PDFs come to {self.pages} pages together ({listed}); Stripe "
                    f"takes at most {PAGES_MAX} pages for one dispute")
        return None


def attached_items(records: Mapping[str, FileRecord]) -> dict[str, PacketItem]:
    """The packet items of files already attached (field -> the ledger's record of it)."""
    return {name: PacketItem(name, r.filename, r.size, r.pages) for name, r in records.items()}


def packet(new: Iterable[EvidenceFile], attached: Mapping[str, PacketItem]) -> Packet:
    """The packet once `new` is attached: it replaces what its fields held before."""
    sent = tuple(PacketItem(f.field, f.filename, f.size, f.pages) for f in new)
    replaced = {item.field for item in sent}
    kept = tuple(item for name, item in sorted(attached.items()) if name not in replaced)
    return Packet(kept + sent)


def inspect_all(paths: Mapping[str, str], attached: Mapping[str, PacketItem]
                ) -> tuple[EvidenceFile, ...]:
    """Every file given (field -> path), checked one by one and then as a packet."""
    files = tuple(inspect(name, path) for name, path in sorted(paths.items()))
    problem = packet(files, attached).problem()
    if problem:
        raise ActionRefused(problem)
    return files
