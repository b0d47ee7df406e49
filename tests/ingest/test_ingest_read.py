"""read_file: dispatch by extension, and one clear error for each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import docx
import pandas as pd
import pytest
from fpdf import FPDF
from pypdf import PdfWriter

from ingest_checks import assert_blocks_valid
from pipeline.errors import IngestError
from pipeline.ingest import read as read_module
from pipeline.ingest.read import SUPPORTED_EXTENSIONS, ReadOptions, read_file


def _text_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 6, "Confidential minutes.")
    pdf.output(str(path))
    return path


def _encrypted_pdf(path: Path) -> None:
    writer = PdfWriter(clone_from=str(_text_pdf(path.with_name("plain.pdf"))))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(str(path))


def _scanned_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60)  # only a drawing: no text layer
    pdf.output(str(path))


BAD_INPUTS = [
    # (file name, how to make it, options, what the message must say)
    ("empty.txt", lambda p: p.write_bytes(b""), ReadOptions(), "is empty"),
    ("blank.md", lambda p: p.write_bytes(b"\n \r\n\t"), ReadOptions(), "is empty"),
    ("junk.txt", lambda p: p.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50),
     ReadOptions(), "does not look like text"),
    ("broken.docx", lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), ReadOptions(),
     "is not a readable Word document"),
    ("locked.pdf", _encrypted_pdf, ReadOptions(),
     "is password-protected: remove the password and ingest again"),
    ("scan.pdf", _scanned_pdf, ReadOptions(), "has no text layer.*run OCR first.*ocrmypdf"),
    ("slides.pptx", lambda p: p.write_bytes(b"PK"), ReadOptions(),
     "unsupported file type '.pptx'; supported: .txt, .md, .docx, .pdf, .vtt, .srt, .csv, "
     ".xlsx"),
    ("survey.csv", lambda p: p.write_text("id,answer\n1,yes\n", encoding="utf-8"),
     ReadOptions(text_column="text"), "has no text column 'text'; available columns: 'id', "
                                      "'answer'"),
    ("latin.txt", lambda p: p.write_bytes(b"na\xefve \x81\x90"), ReadOptions(),
     "re-save it as UTF-8"),
    ("latin.srt", lambda p: p.write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\n\x8d\x8f\n"),
     ReadOptions(), "re-save it as UTF-8"),
]


@pytest.mark.parametrize(("name", "make", "options", "message"), BAD_INPUTS,
                         ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_raises_one_clear_error(tmp_path: Path, name: str, make,
                                          options: ReadOptions, message: str) -> None:
    path = tmp_path / name
    make(path)
    with pytest.raises(IngestError, match=message) as info:
        read_file(path, options)
    assert info.value.path == str(path)  # every message starts with the file


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        read_file(tmp_path / "nowhere.txt")


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "NOTES.TXT"
    path.write_text("Hello.", encoding="utf-8")
    [doc] = read_file(path)
    assert doc.format == "text"
    assert_blocks_valid(doc)


def test_every_supported_extension_reads(tmp_path: Path) -> None:
    """One small file of each kind goes through read_file with the same invariants."""
    files = {
        ".txt": "I: Why?\nR: Because.",
        ".md": "# Title\n\nBody.",
        ".vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>Hi.\n",
        ".srt": "1\n00:00:01,000 --> 00:00:02,000\nHi.\n",
        ".csv": "text\nHi.\n",
    }
    for suffix, content in files.items():
        (tmp_path / f"f{suffix}").write_text(content, encoding="utf-8")
    document = docx.Document()
    document.add_paragraph("Hi.")
    document.save(str(tmp_path / "f.docx"))
    _text_pdf(tmp_path / "f.pdf")
    pd.DataFrame({"text": ["Hi."]}).to_excel(tmp_path / "f.xlsx", index=False)

    for suffix, fmt in SUPPORTED_EXTENSIONS.items():
        [doc] = read_file(tmp_path / f"f{suffix}", ReadOptions(text_column="text"))
        assert doc.format == fmt
        assert_blocks_valid(doc)


def test_public_surface() -> None:
    assert set(read_module.__all__) == {
        "DEFAULT_SPEAKER_PATTERN", "SUPPORTED_EXTENSIONS", "ReadOptions", "read_file",
    }
