"""The checks of evidence files, on files made under tmp_path: type by content, the name
agreeing with it, size, readability, PDF pages, and the packet limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from sync.evidence_files import (
    FILE_MAX,
    PacketItem,
    format_size,
    inspect,
    inspect_all,
    packet,
)
from sync.plans import ActionRefused
from tests.helpers import pdf_bytes, png_bytes, write_file

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (999, "999 bytes"), (1_000, "1 KB"), (48_213, "48 KB"),
    (999_499, "999 KB"), (1_000_000, "1.0 MB"), (4_500_000, "4.5 MB"), (5_049_999, "5.0 MB"),
])
def test_sizes_in_stripes_decimal_units(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(("name", "content", "kind", "pages"), [
    ("receipt.pdf", pdf_bytes(3), "pdf", 3),
    ("RECEIPT.PDF", pdf_bytes(1), "pdf", 1),
    ("photo.jpg", JPEG, "jpeg", None),
    ("photo.jpeg", JPEG, "jpeg", None),
    ("chat.png", png_bytes(), "png", None),
], ids=lambda value: value if isinstance(value, str) else "")  # bytes differ between runs
def test_a_file_is_typed_by_its_content(tmp_path: Path, name: str, content: bytes, kind: str,
                                        pages: int | None) -> None:
    checked = inspect("receipt", write_file(tmp_path, name, content))
    assert (checked.filename, checked.type, checked.pages, checked.size) == (
        name, kind, pages, len(content))
    assert checked.content == content and len(checked.sha256) == 64


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("photo.png", JPEG, "photo.png for receipt is a JPEG by its content but its name does "
                        "not end in .jpg or .jpeg"),
    ("scan", pdf_bytes(1), "scan for receipt is a PDF by its content but its name does not "
                           "end in .pdf"),
    ("notes.pdf", b"just some text", "notes.pdf for receipt is not a PDF, JPEG or PNG"),
    ("empty.pdf", b"", "empty.pdf is empty"),
    ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 20, "broken.pdf is not a readable PDF"),
    ("locked.pdf", _encrypted_pdf(), "locked.pdf is a password-protected PDF"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "")
def test_files_stripe_would_refuse(tmp_path: Path, name: str, content: bytes,
                                   message: str) -> None:
    with pytest.raises(ActionRefused) as refused:
        inspect("receipt", write_file(tmp_path, name, content))
    assert message in str(refused.value)


def test_size_field_and_path_are_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:  # sparse: over the limit without writing 5 MB
        handle.write(b"%PDF-1.7")
        handle.truncate(FILE_MAX + 1)
    with pytest.raises(ActionRefused, match=r"big.pdf is 5.0 MB; Stripe takes at most 5.0 MB"):
        inspect("receipt", str(big))
    with pytest.raises(ActionRefused, match="is a directory"):
        inspect("receipt", str(tmp_path))
    with pytest.raises(ActionRefused, match="'receipts' is not an evidence field that takes"):
        inspect("receipts", str(big))
    with pytest.raises(ActionRefused, match=r"gone\.pdf: no such file"):
        inspect("receipt", str(tmp_path / "gone.pdf"))


def test_the_packet_counts_files_kept_and_replaced(tmp_path: Path) -> None:
    attached = {"receipt": PacketItem("receipt", "old.pdf", 4_000_000, 40),
                "refund_policy": PacketItem("refund_policy", "policy.pdf", 400_000, 5)}
    new = inspect("receipt", write_file(tmp_path, "new.pdf", pdf_bytes(6)))
    together = packet([new], attached)
    assert [item.filename for item in together.items] == ["policy.pdf", "new.pdf"]
    assert together.pages == 11 and together.problem() is None
    assert together.summary == "2 files, 401 KB of 4.5 MB, 11 of 50 pages"
    with pytest.raises(ActionRefused, match=r"4\.6 MB together .*old\.pdf 4\.0 MB"):
        inspect_all({"customer_communication": write_file(tmp_path, "chat.png", png_bytes()),
                     "service_documentation": write_file(
                         tmp_path, "more.pdf", pdf_bytes(1, at_least=200_000))}, attached)
    with pytest.raises(ActionRefused, match="51 pages together"):
        inspect_all({"uncategorized_file": write_file(tmp_path, "six.pdf", pdf_bytes(6))},
                    attached)
