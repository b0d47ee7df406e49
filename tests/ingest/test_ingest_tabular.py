"""CSV and Excel input: one text per row."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from ingest_checks import assert_blocks_valid, block_texts
from pipeline.errors import IngestError
from pipeline.ingest.decode import CP1252_WARNING
from pipeline.ingest.read import ReadOptions, read_file
from shared_data import shared_file


SURVEY = (
    "respondent,question,answer,site,age\n"
    "001,q1,We had no time.,North,34\n"
    "002,q1,,North,51\n"  # no answer: skipped with a warning
    '003,q1,"Too many\nforms.",South,\n'  # a line break inside the cell; blank age
    ",,,,\n"  # an entirely blank row is padding, not an empty answer
)


def _write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def test_csv_rows_become_row_blocks(tmp_path: Path) -> None:
    path = _write(tmp_path, "survey.csv", SURVEY)
    options = ReadOptions(text_column="answer", id_columns=("respondent", "question"))
    [doc] = read_file(path, options)
    assert doc.format == "csv" and doc.encoding == "utf-8" and doc.case is None
    assert doc.text == "We had no time.\nToo many forms."
    assert [b.kind for b in doc.blocks] == ["row", "row"]
    # ids stay strings: "001" is not turned into 1 or 1.0
    assert [b.external_id for b in doc.blocks] == ["001:q1", "003:q1"]
    # the other columns become attributes, blanks left out
    assert [dict(b.attributes) for b in doc.blocks] == [
        {"site": "North", "age": "34"}, {"site": "South"},
    ]
    assert doc.warnings == ("skipped 1 row(s) with no text in column 'answer': rows 3 "
                            "(header = row 1)",)
    assert_blocks_valid(doc)


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8"), ("\t", "utf-16"), (",", "utf-8-sig")],  # Excel's "CSV UTF-8" has a BOM
)
def test_csv_delimiters_and_encodings(tmp_path: Path, delimiter: str, encoding: str) -> None:
    content = f'id{delimiter}text\n1{delimiter}"Ça va, merci."\n2{delimiter}Bien.\n'
    path = _write(tmp_path, "x.csv", content, encoding)
    [doc] = read_file(path, ReadOptions(text_column="text", id_columns=("id",)))
    assert block_texts(doc) == ["Ça va, merci.", "Bien."]
    assert [b.external_id for b in doc.blocks] == ["1", "2"]
    assert doc.encoding == encoding


def test_cp1252_csv_warns(tmp_path: Path) -> None:
    path = _write(tmp_path, "old.csv", "text\nCafé “open”\n", "cp1252")
    [doc] = read_file(path, ReadOptions(text_column="text"))
    assert doc.text == "Café “open”"
    assert doc.encoding == "cp1252" and CP1252_WARNING in doc.warnings


def test_case_column_splits_documents_and_finds_case_attributes(tmp_path: Path) -> None:
    content = (
        "interview,turn,who,time,text,site,mood\n"
        "B,1,I,00:00:01,How was it?,North,calm\n"
        "A,1,I,00:00:02,And you?,South,calm\n"
        "B,2,R,00:00:05,Fine.,North,tense\n"
        "A,2,R,00:00:09,Busy.,South,calm\n"
    )
    path = _write(tmp_path, "turns.csv", content)
    options = ReadOptions(text_column="text", id_columns=("interview", "turn"),
                          case_column="interview", speaker_column="who",
                          timestamp_column="time")
    docs = read_file(path, options)
    # one document per case, in order of first appearance
    assert [(d.case, d.key_suffix) for d in docs] == [("B", "B"), ("A", "A")]
    b, a = docs
    assert b.text == "How was it?\nFine."
    assert [(x.speaker, x.timestamp, x.external_id) for x in b.blocks] == [
        ("I", "00:00:01", "B:1"), ("R", "00:00:05", "B:2"),
    ]
    # "site" never varies within a case: a case attribute, not repeated on each row;
    # "mood" varies within case B, so it stays a row attribute in every case
    assert dict(b.attributes) == {"site": "North"} and dict(a.attributes) == {"site": "South"}
    assert [dict(x.attributes) for x in b.blocks] == [{"mood": "calm"}, {"mood": "tense"}]
    assert [dict(x.attributes) for x in a.blocks] == [{"mood": "calm"}, {"mood": "calm"}]
    for doc in docs:
        assert_blocks_valid(doc)


def test_xlsx_sheet_and_numeric_cells(tmp_path: Path) -> None:
    path = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": ["ignore me"]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame({"id": [1, 2], "answer": ["Good.", "Bad."], "score": [3, 4.5]}).to_excel(
            writer, sheet_name="Answers", index=False)
    options = ReadOptions(text_column="answer", id_columns=("id",), sheet="Answers")
    [doc] = read_file(path, options)
    assert doc.format == "xlsx"
    assert block_texts(doc) == ["Good.", "Bad."]
    assert [b.external_id for b in doc.blocks] == ["1", "2"]  # not "1.0"
    assert [b.attributes["score"] for b in doc.blocks] == ["3", "4.5"]
    assert_blocks_valid(doc)
    with pytest.raises(IngestError, match="has no sheet named 'Missing'.*'Notes', 'Answers'"):
        read_file(path, ReadOptions(text_column="answer", sheet="Missing"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # no text column named at all
        (ReadOptions(), "name the column that holds the text.*'respondent', 'question'"),
        # a text column that is not there: the available columns are listed
        (ReadOptions(text_column="Answer"), "has no text column 'Answer'; available columns: "
                                            "'respondent', 'question', 'answer'"),
        (ReadOptions(text_column="answer", id_columns=("id",)), "has no id column 'id'"),
        (ReadOptions(text_column="answer", case_column="case"), "has no case column 'case'"),
        # a column with no text anywhere
        (ReadOptions(text_column="age"), None),
    ],
)
def test_column_errors_list_the_columns(tmp_path: Path, options: ReadOptions,
                                        message: str | None) -> None:
    path = _write(tmp_path, "survey.csv", SURVEY.replace(",34\n", ",\n").replace(",51\n", ",\n"))
    with pytest.raises(IngestError, match=message or "has no rows with text in column 'age'"):
        read_file(path, options)


def test_case_value_missing_on_a_row_with_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "case,text\nA,hello\n,orphan\n")
    with pytest.raises(IngestError, match="rows 3 have text but no value in case column"):
        read_file(path, ReadOptions(text_column="text", case_column="case"))


def test_repeated_ids_are_warned(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "id,text\n1,a\n1,b\n")
    [doc] = read_file(path, ReadOptions(text_column="text", id_columns=("id",)))
    assert any("ids repeat" in warning for warning in doc.warnings)


def test_annomi_benchmark_reads_fast() -> None:
    annomi = shared_file("benchmarks", "annomi", "AnnoMI-simple.csv")
    options = ReadOptions(text_column="utterance_text",
                          id_columns=("transcript_id", "utterance_id"),
                          case_column="transcript_id", speaker_column="interlocutor",
                          timestamp_column="timestamp")
    started = time.perf_counter()
    docs = read_file(annomi, options)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"reading AnnoMI took {elapsed:.2f} s"
    assert len(docs) == 133
    assert sum(len(doc.blocks) for doc in docs) == 9699
    for doc in docs:
        assert {"mi_quality", "topic"} <= set(doc.attributes)
        assert not {"mi_quality", "topic"} & set(doc.blocks[0].attributes)
        assert doc.blocks[0].speaker in {"therapist", "client"}
        assert_blocks_valid(doc)
    first = docs[0]
    assert first.case == "0" and first.blocks[0].external_id == "0:0"
    assert first.blocks[0].timestamp == "00:00:13"
