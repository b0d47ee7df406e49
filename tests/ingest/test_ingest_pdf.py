"""PDF documents made with fpdf2: pages, paragraphs, hyphenation, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfWriter

from ingest_checks import assert_blocks_valid, block_texts
from pipeline.errors import IngestError
from pipeline.ingest.read import read_file

LONG = ("The implementation of the programme was slow because the team had no time "
        "to prepare for it. ") * 3 + "They said so."
NEXT_LINE = {"new_x": "LMARGIN", "new_y": "NEXT"}


def _pdf(pages: list[list[str | None]]) -> FPDF:
    """A PDF with one list of paragraphs per page; None draws a paragraph gap."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=11)
    for page in pages:
        pdf.add_page()
        for line in page:
            if line is None:
                pdf.ln(6)
            else:
                pdf.multi_cell(0, 6, line, **NEXT_LINE)
    return pdf


def _save(pdf: FPDF, path: Path) -> Path:
    pdf.output(str(path))
    return path


def test_paragraphs_carry_their_page(tmp_path: Path) -> None:
    pdf = _pdf([
        [LONG, None, "Second paragraph is short.", None, "Third one."],
        ["Page two talks about imple-", "mentation climate."],  # hyphen at a line end
    ])
    [doc] = read_file(_save(pdf, tmp_path / "report.pdf"))
    assert doc.format == "pdf"
    assert block_texts(doc) == [
        LONG,  # wrapped lines joined back into one paragraph
        "Second paragraph is short.",
        "Third one.",
        "Page two talks about implementation climate.",
    ]
    assert [b.page for b in doc.blocks] == [1, 1, 1, 2]
    assert doc.text == "\n\n".join(block_texts(doc))
    assert doc.warnings == ()
    assert_blocks_valid(doc)


def test_running_page_numbers_are_dropped(tmp_path: Path) -> None:
    pdf = _pdf([["Body text of page one."], ["Body text of page two."]])
    for number in (1, 2):
        pdf.page = number
        pdf.set_xy(10, 280)
        pdf.cell(0, 6, f"Page {number} of 2", align="C")
    [doc] = read_file(_save(pdf, tmp_path / "numbered.pdf"))
    assert block_texts(doc) == ["Body text of page one.", "Body text of page two."]
    assert_blocks_valid(doc)


def test_pdf_transcript_turns(tmp_path: Path) -> None:
    pdf = _pdf([["Interview 2", "Interviewer: What changed?", "P2: The rota changed and",
                 "we got more staff.", "Interviewer: Good."]])
    [doc] = read_file(_save(pdf, tmp_path / "interview.pdf"))
    assert [(b.kind, b.speaker, b.page, doc.text[b.start:b.end]) for b in doc.blocks] == [
        ("paragraph", None, 1, "Interview 2"),
        ("turn", "Interviewer", 1, "What changed?"),
        ("turn", "P2", 1, "The rota changed and we got more staff."),
        ("turn", "Interviewer", 1, "Good."),
    ]
    assert_blocks_valid(doc)


def test_blank_page_among_text_pages_is_warned(tmp_path: Path) -> None:
    pdf = _pdf([["Text on page one."], [], ["Text on page three."]])
    [doc] = read_file(_save(pdf, tmp_path / "gap.pdf"))
    assert [b.page for b in doc.blocks] == [1, 3]
    assert len(doc.warnings) == 1 and "pages without text" in doc.warnings[0]
    assert ": 2;" in doc.warnings[0]


def test_owner_password_only_pdf_is_read(tmp_path: Path) -> None:
    # restrictions without an open password: readers open it with an empty password
    source = _save(_pdf([["Readable text."]]), tmp_path / "plain.pdf")
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    writer.write(str(path))
    [doc] = read_file(path)
    assert block_texts(doc) == ["Readable text."]


def _encrypted(path: Path) -> None:
    source = _save(_pdf([["Secret text."]]), path.with_name("source.pdf"))
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(str(path))


def _no_text_layer(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60)  # a drawing, like a scanned page, has no text to extract
    pdf.output(str(path))


def _corrupt(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)


def _truncated(path: Path) -> None:
    _save(_pdf([[LONG]]), path)
    path.write_bytes(path.read_bytes()[:300])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_encrypted, "is password-protected: remove the password and ingest again"),
        (_no_text_layer, "has no text layer.*ocrmypdf"),
        (_corrupt, "is not a readable PDF"),
        (_truncated, "is not a readable PDF"),
    ],
)
def test_bad_pdfs_raise(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "bad.pdf"
    make(path)
    with pytest.raises(IngestError, match=message) as info:
        read_file(path)
    assert info.value.path == str(path)
