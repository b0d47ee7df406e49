"""Word documents: body order, tables, transcripts, broken files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from ingest_checks import assert_blocks_valid, block_texts
from pipeline.errors import IngestError
from pipeline.ingest.read import read_file


def _save(document: docx.document.Document, path: Path) -> Path:
    document.save(str(path))
    return path


def test_paragraphs_and_tables_in_body_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Site report", level=1)
    document.add_paragraph("")  # empty paragraphs are skipped
    document.add_paragraph("The ward has ten beds.")
    table = document.add_table(rows=3, cols=3)
    for cell, value in zip(table.rows[0].cells, ["Phase", "Start", "End"]):
        cell.text = value
    merged = table.cell(1, 0).merge(table.cell(1, 1))  # spans two columns: kept once
    merged.text = "Pilot"
    table.cell(1, 2).text = "May\nlate"  # a line break in a cell stays on the row's line
    # row 3 left empty: no block
    document.add_paragraph("Closing line.\nSecond line of it.")  # a soft line break
    [doc] = read_file(_save(document, tmp_path / "report.docx"))
    assert doc.format == "docx" and doc.encoding is None
    assert block_texts(doc) == [
        "Site report",
        "The ward has ten beds.",
        "Phase | Start | End",
        "Pilot | May late",
        "Closing line.\nSecond line of it.",
    ]
    assert doc.text == "\n\n".join(block_texts(doc))
    assert {b.kind for b in doc.blocks} == {"paragraph"}
    assert_blocks_valid(doc)


def test_vertically_merged_cell_is_not_repeated(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "Both rows"
    table.cell(0, 1).text = "top"
    table.cell(1, 1).text = "bottom"
    [doc] = read_file(_save(document, tmp_path / "merged.docx"))
    assert block_texts(doc) == ["Both rows | top", "bottom"]
    assert_blocks_valid(doc)


def test_docx_transcript_keeps_tables_out_of_turns(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Interview 4, ward manager")
    document.add_paragraph("Interviewer: How did the rollout go?")
    document.add_paragraph("Respondent: Slowly at first.")
    document.add_paragraph("Then the champions took over.")  # continues the answer
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Champion", "Ward 3"
    document.add_paragraph("Interviewer: Thanks.")
    [doc] = read_file(_save(document, tmp_path / "interview.docx"))
    assert [(b.kind, b.speaker, b.turn, doc.text[b.start:b.end]) for b in doc.blocks] == [
        ("paragraph", None, None, "Interview 4, ward manager"),
        ("turn", "Interviewer", 1, "How did the rollout go?"),
        ("turn", "Respondent", 2, "Slowly at first.\n\nThen the champions took over."),
        ("paragraph", None, None, "Champion | Ward 3"),
        ("turn", "Interviewer", 3, "Thanks."),
    ]
    assert_blocks_valid(doc)


def _random_bytes(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 4)


def _zip_of_something_else(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("hello.txt", "not a Word document")


def _zip_without_document(path: Path) -> None:
    # a real .docx with word/document.xml taken out
    source = path.with_suffix(".full.docx")
    docx.Document().save(str(source))
    with zipfile.ZipFile(source) as full, zipfile.ZipFile(path, "w") as broken:
        for item in full.infolist():
            if item.filename != "word/document.xml":
                broken.writestr(item, full.read(item))


def _truncated(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Some text")
    document.save(str(path))
    path.write_bytes(path.read_bytes()[:500])


@pytest.mark.parametrize(
    "make", [_random_bytes, _zip_of_something_else, _zip_without_document, _truncated])
def test_broken_docx_raises(tmp_path: Path, make) -> None:
    path = tmp_path / "broken.docx"
    make(path)
    with pytest.raises(IngestError, match="is not a readable Word document") as info:
        read_file(path)
    assert info.value.path == str(path)
    assert info.value.__cause__ is not None


def test_docx_without_text_is_empty(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("   ")
    with pytest.raises(IngestError, match="is empty"):
        read_file(_save(document, tmp_path / "blank.docx"))
