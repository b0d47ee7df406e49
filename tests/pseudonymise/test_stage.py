"""Propose, review, apply and re-identify over a real (small) study, rules and lists
only; and every bad input refused with nothing stored changed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.errors import InputError, StudyError, WorkbookError
from pipeline.pseudonymise import apply_review, propose, reidentify
from pipeline.pseudonymise.workbook import ADD_SHEET, REVIEW_SHEET
from pipeline.study import Study
from pseudonymise_helpers import snapshot


def _keys(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    folder.mkdir(exist_ok=True)
    return folder / "study.key.json"


def _edit(workbook: Path, decide: dict[str, str] | None = None, add: list[list] | None = None) -> None:
    """Reject/accept rows by their found text; append rows to the Add sheet."""
    book = load_workbook(workbook)
    sheet = book[REVIEW_SHEET]
    for row in sheet.iter_rows(min_row=2):
        if decide and row[3].value in decide:
            row[0].value = decide[row[3].value]
    for values in add or []:
        book[ADD_SHEET].append(values)
    book.save(workbook)


def _rows(workbook: Path) -> list[tuple]:
    book = load_workbook(workbook, read_only=True)
    return [r for r in book[REVIEW_SHEET].iter_rows(min_row=2, values_only=True)]


def test_propose_writes_workbook_and_key_outside_the_study(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    before = study.documents(all_versions=True)
    report = propose(study, key, names, model=False)
    assert report.workbook.exists() and key.exists() and report.workbook.parent == key.parent
    found = {(r[3], r[1], r[5]) for r in _rows(report.workbook)}
    assert ("Maria", "[PERSON_01]", "list") in found            # speaker label
    assert ("MARIA GONZALEZ", "[PERSON_01]", "list") in found   # capitals
    assert ("Kwame", "[PERSON_02]", "list") in found            # first name only, speaker label
    assert ("rose okafor", "[PERSON_03]", "list") in found      # lower case, other document
    assert ("Rose Okafor", "[PERSON_03]", "list") in found
    assert ("maria.gonzalez@stbrigids.org", "[EMAIL_01]", "rule") in found
    assert ("07700 900123", "[PHONE_02]", "rule") in found
    assert all(r[0] == "accept" for r in _rows(report.workbook))
    # nothing is stored before the review, and the key never goes into the store
    assert study.documents(all_versions=True).equals(before)
    dump = "\n".join(snapshot(study))
    assert "[PERSON_01]" not in dump
    entries = json.loads(key.read_text(encoding="utf-8"))["entries"]
    assert {e["code"]: e["original"] for e in entries}["[PERSON_01]"] in ("Maria", "Maria Gonzalez")


def test_apply_writes_new_versions_with_consistent_offsets(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    # "St Brigid's Hospital" is found by its shape; the researcher adds "ward" as missed
    assert ("St Brigid's Hospital", "[ORG_01]", "pattern") in {(r[3], r[1], r[5]) for r in _rows(report.workbook)}
    _edit(report.workbook, decide={"Mari": "reject"}, add=[["ward", "PLACE", None, None]])
    result = apply_review(study, report.workbook, key)
    assert result.documents == 2 and result.rejected == 1 and result.added == 1
    docs = study.documents(all_versions=True)
    assert sorted(docs["version"]) == [1, 1, 2, 2]
    text = study.store.query("SELECT text FROM current_documents WHERE source_key LIKE '%int1.txt'")[0][0]
    assert "Maria" not in text and "Gonzalez" not in text and "0113" not in text
    assert "[PERSON_01]: I manage the [PLACE_01] at [ORG_01]." in text
    assert "call me Mari." in text  # rejected by the researcher: left as it was
    assert "Dr [PERSON_02] and\n[PERSON_03]." in text
    segments = study.segments()
    for seg in segments.itertuples():
        full = study.store.query("SELECT text FROM documents WHERE id = ?", (seg.document_id,))[0][0]
        assert full[seg.start:seg.end] == seg.text
    assert set(segments["speaker"]) == {"Interviewer", "[PERSON_01]", "[PERSON_02]"}
    assert not any("Maria" in t or "Kwame" in t for t in segments["text"])
    # the earlier version is kept (decisions on it stay where they were)
    assert study.store.query("SELECT COUNT(*) FROM documents WHERE version = 1")[0][0] == 2


def test_rerunning_on_pseudonymised_text_is_refused(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    apply_review(study, report.workbook, key)
    before = snapshot(study)
    with pytest.raises(InputError, match="already pseudonymised"):
        propose(study, key, names, model=False)
    with pytest.raises(WorkbookError, match="already pseudonymised"):
        apply_review(study, report.workbook, key)
    assert snapshot(study) == before


def test_key_inside_the_study_is_refused(study: Study, names: Path) -> None:
    before = snapshot(study)
    for inside in (study.root / "key.json", study.root / "data" / "k.json"):
        with pytest.raises(InputError, match="must not be written inside the study folder"):
            propose(study, inside, names, model=False)
        assert not inside.exists()
    with pytest.raises(InputError, match="review workbook"):
        propose(study, study.root.parent / "k.json", names, workbook_path=study.root / "r.xlsx", model=False)
    assert snapshot(study) == before


def test_a_key_of_another_study_is_refused(study: Study, names: Path, tmp_path: Path) -> None:
    other = Study.create(tmp_path / "other")
    other_raw = tmp_path / "other_raw" / "X"
    other_raw.mkdir(parents=True)
    (other_raw / "a.txt").write_text("Maria Gonzalez was there.", encoding="utf-8")
    other.ingest([tmp_path / "other_raw"])
    key = _keys(tmp_path)
    propose(other, key, names, model=False)
    other.close()
    before, key_before = snapshot(study), key.read_bytes()
    with pytest.raises(InputError, match="belongs to another study"):
        propose(study, key, names, model=False)
    assert snapshot(study) == before and key.read_bytes() == key_before


def test_a_bad_names_list_changes_nothing(study: Study, tmp_path: Path) -> None:
    bad = tmp_path / "names.csv"
    bad.write_text("who\nMaria\n", encoding="utf-8")
    key = _keys(tmp_path)
    before = snapshot(study)
    with pytest.raises(InputError, match="needs a 'name' column"):
        propose(study, key, bad, model=False)
    assert snapshot(study) == before and not key.exists()


def test_a_bad_workbook_changes_nothing(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    _edit(report.workbook, decide={"Maria": "maybe"}, add=[["X", "PERSON", None, None]])
    book = load_workbook(report.workbook)
    book[REVIEW_SHEET]["B4"] = "PERSON 1"
    book[REVIEW_SHEET]["I5"] = "twelve"  # an edited hidden offset
    book.save(report.workbook)
    before, key_before = snapshot(study), key.read_bytes()
    with pytest.raises(WorkbookError) as caught:
        apply_review(study, report.workbook, key)
    message = str(caught.value)
    assert "Decision is 'maybe'" in message and "row 4: Code 'PERSON 1'" in message and "'Add missed' row 2" in message
    assert "row 5: the hidden start/end cells were edited" in message
    assert snapshot(study) == before and key.read_bytes() == key_before


def test_a_workbook_of_another_study_is_refused(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    other = Study.create(tmp_path / "other")
    with pytest.raises(WorkbookError, match="not written for the study"):
        apply_review(other, report.workbook, key)
    other.close()


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, names: Path) -> None:
    raw = tmp_path / "raw" / "S"
    raw.mkdir(parents=True)
    (raw / "a.txt").write_text("=HYPERLINK(\"http://x\") Maria Gonzalez wrote this.\n", encoding="utf-8")
    study = Study.create(tmp_path / "study")
    study.ingest([tmp_path / "raw"])
    report = propose(study, _keys(tmp_path), names, model=False)
    study.close()
    book = load_workbook(report.workbook)
    cells = [c for row in book[REVIEW_SHEET].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)


def test_reidentify_reports(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    apply_review(study, report.workbook, key)
    out = tmp_path / "out"
    out.mkdir()
    html_in = out / "r.html"
    html_in.write_text("<td>[PERSON_01] said</td><td>[PERSON_99]</td>", encoding="utf-8")
    result = reidentify(study, key, html_in, out / "r2.html")
    restored = (out / "r2.html").read_text(encoding="utf-8")
    assert "[PERSON_01]" not in restored and "Maria" in restored and result.unknown == ("[PERSON_99]",)
    csv_in = out / "r.csv"
    csv_in.write_text('quote,case\n"[PERSON_02] said, ""yes""",A\n', encoding="utf-8")
    reidentify(study, key, csv_in, out / "r2.csv")
    rows = list(csv.reader((out / "r2.csv").open(encoding="utf-8")))
    assert rows[1] == ['Kwame Mensah said, "yes"', "A"]
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "[PERSON_03] agreed"
    book.save(out / "r.xlsx")
    reidentify(study, key, out / "r.xlsx", out / "r2.xlsx")
    assert load_workbook(out / "r2.xlsx").active["A1"].value.endswith(" agreed")
    assert "[PERSON_03]" not in load_workbook(out / "r2.xlsx").active["A1"].value
    with pytest.raises(InputError, match="inside the study folder"):
        reidentify(study, key, html_in, study.root / "r2.html")


def test_reidentify_needs_a_pseudonymised_study_and_its_key(study: Study, tmp_path: Path) -> None:
    report_file = tmp_path / "r.txt"
    report_file.write_text("[PERSON_01]", encoding="utf-8")
    with pytest.raises(StudyError, match="never pseudonymised"):
        reidentify(study, tmp_path / "k.json", report_file, tmp_path / "o.txt")


def test_nothing_to_pseudonymise(tmp_path: Path) -> None:
    study = Study.create(tmp_path / "empty")
    with pytest.raises(StudyError, match="no documents"):
        propose(study, tmp_path / "k.json", model=False)
    study.close()


def test_reingesting_the_original_files_keeps_the_pseudonymised_version(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    apply_review(study, report.workbook, key)
    again = study.ingest([tmp_path / "raw"])
    assert {o.status for o in again.outcomes} == {"unchanged"}
    texts = [r[0] for r in study.store.query("SELECT text FROM current_documents")]
    assert texts and all("[PERSON_01]" in t and "Maria" not in t for t in texts)
    # a changed original is a new version as always (and is then detected again)
    (tmp_path / "raw" / "SiteA" / "int2.txt").write_text("Interviewer: And Maria?\nKwame: Yes.\n", encoding="utf-8")
    assert {o.status for o in study.ingest([tmp_path / "raw"]).outcomes} == {"unchanged", "new version"}
    again = propose(study, key, names, model=False)
    assert again.skipped == ("SiteA/int1.txt",)
    assert [(m.text, m.code) for m in again.mentions][:1] == [("Maria", "[PERSON_01]")]  # the code from the key


def test_sentences_opening_with_a_code_keep_their_bracket(study: Study, names: Path, tmp_path: Path) -> None:
    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    apply_review(study, report.workbook, key)
    texts = list(study.segments()["text"])
    assert not any(t.endswith("[") or t.startswith("PERSON_") for t in texts)
    assert any(t.startswith("[PERSON_") for t in texts)


def test_the_project_export_holds_only_pseudonymised_text(study: Study, names: Path, tmp_path: Path,
                                                          mini_codebook: Path) -> None:
    import io
    import zipfile

    from pipeline.interchange.qdpx import project_bytes

    key = _keys(tmp_path)
    report = propose(study, key, names, model=False)
    apply_review(study, report.workbook, key)
    study.add_codebook(mini_codebook)
    data, _ = project_bytes(study.store, name="study")
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        text = "".join(package.read(n).decode("utf-8", "replace") for n in package.namelist())
    assert "[PERSON_01]" in text
    for original in ("Maria", "Gonzalez", "Kwame", "Okafor", "0113", "07700", "stbrigids"):
        assert original not in text
